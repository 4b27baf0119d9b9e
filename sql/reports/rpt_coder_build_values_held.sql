-- rpt_coder_build_values_held: every (parameter name, value) chosen in a workspace build,
-- with the rows of the held builds that chose it (coder_held_builds' rows, ascending; none
-- for a value of other builds alone), as a session holds them for the templates insights
-- (builds.py): a row per distinct value, not per build, so no string a build is read.
-- key: name, value
-- inputs: stg_coder_workspace_build_parameters, stg_coder_workspace_builds,
--         stg_coder_template_versions
with

held as (select build_id, build_row, from coder_held_builds()),

final as (
    select
        name,
        value,
        coalesce(
            list(build_row order by build_row) filter (where build_row is not null), []
        ) as build_rows,
    from stg_coder_workspace_build_parameters
    left join held using (build_id)
    group by name, value
    order by name, value
)

select * from final
