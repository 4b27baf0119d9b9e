-- coder_held_builds(): every workspace build of a current template version, with the
-- version's template and the build's row: its place from 0 in the order of created_at,
-- then build_id, the order a session holds them in (rpt_coder_builds_held; its values,
-- rpt_coder_build_values_held, name their builds by these rows: builds.py).
-- reads: stg_coder_workspace_builds, stg_coder_template_versions
create or replace macro coder_held_builds() as table
select
    builds.*,
    template_versions.template_id,
    rank() over (order by builds.created_at, builds.build_id) - 1 as build_row,
from stg_coder_workspace_builds as builds
join current_versions(stg_coder_template_versions) as template_versions
    using (template_version_id);
