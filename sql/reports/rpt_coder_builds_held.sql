-- rpt_coder_builds_held: every workspace build of a current template version, as a
-- session holds them for the templates insights' parameters (builds.py): its template,
-- workspace, number and version, ordered by created_at (microseconds since the epoch).
-- key: build_id
-- inputs: stg_coder_workspace_builds, stg_coder_template_versions
with

template_versions as (
    select template_version_id, template_id from current_versions(stg_coder_template_versions)
),

final as (
    select
        epoch_us(builds.created_at) as created_us,
        template_versions.template_id,
        builds.workspace_id,
        builds.build_number,
        builds.build_id,
        builds.template_version_id,
    from stg_coder_workspace_builds as builds
    join template_versions using (template_version_id)
    order by builds.created_at, builds.build_id
)

select * from final
