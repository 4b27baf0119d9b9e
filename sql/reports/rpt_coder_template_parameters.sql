-- rpt_coder_template_parameters: one row per (template parameter, build value): for the
-- latest build in [$start, $end) of every (template, workspace) ($template_ids empty =
-- all), its template version's parameters, grouped across templates by (name, type,
-- display_name, description, options), with how many of those builds chose each value.
-- key: name, type, display_name, description, options, value
-- inputs: stg_coder_workspace_builds, stg_coder_template_versions,
--         stg_coder_template_version_parameters, stg_coder_workspace_build_parameters
with

template_versions as (
    select template_version_id, template_id from current_versions(stg_coder_template_versions)
),

builds_in_range as (
    select
        builds.*,
        template_versions.template_id,
    from stg_coder_workspace_builds as builds
    join template_versions using (template_version_id)
    where builds.created_at >= $start::timestamptz
      and builds.created_at < $end::timestamptz
      -- the UTC day partitions of the range: only their files are read
      and builds.day between $start::timestamptz::date and $end::timestamptz::date
      and (len($template_ids::varchar[]) = 0 or list_contains($template_ids::varchar[], template_versions.template_id))
),

-- A workspace's build numbers are unique (Coder's constraint): one latest build each.
latest_builds as (
    select
        template_id,
        arg_max(build_id, build_number) as build_id,
        arg_max(template_version_id, build_number) as template_version_id,
    from builds_in_range
    group by template_id, workspace_id
),

parameters as (
    select
        name,
        type,
        coalesce(display_name, '') as display_name,
        coalesce(description, '') as description,
        coalesce(options::varchar, '[]') as options,
        list(distinct latest_builds.template_id order by latest_builds.template_id) as template_ids,
        list(latest_builds.build_id) as build_ids,
    from latest_builds
    join stg_coder_template_version_parameters as parameters
      on parameters.template_version_id = latest_builds.template_version_id
    group by name, type, coalesce(display_name, ''), coalesce(description, ''), coalesce(options::varchar, '[]')
),

-- One row per (parameter group, build): a hash join to the build values, not a list scan.
parameter_builds as (
    select * exclude (build_ids), unnest(list_distinct(build_ids)) as build_id,
    from parameters
),

final as (
    select
        parameter_builds.template_ids,
        parameter_builds.name,
        parameter_builds.type,
        parameter_builds.display_name,
        parameter_builds.description,
        parameter_builds.options,
        values.value,
        count(values.value) as count,
    from parameter_builds
    join stg_coder_workspace_build_parameters as values
      on values.build_id = parameter_builds.build_id
     and values.name = parameter_builds.name
    group by all
    order by name, type, display_name, description, options, value
)

select * from final
