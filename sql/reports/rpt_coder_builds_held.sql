-- rpt_coder_builds_held: every workspace build of a current template version, as a
-- session holds them for the templates insights' parameters (builds.py): its template,
-- workspace, number and version, ordered by created_at (microseconds since the epoch),
-- then build_id (coder_held_builds' rows).
-- key: build_id
-- inputs: stg_coder_workspace_builds, stg_coder_template_versions
with

final as (
    select
        epoch_us(created_at) as created_us,
        template_id,
        workspace_id,
        build_number,
        template_version_id,
    from coder_held_builds()
    order by build_row
)

select * from final
