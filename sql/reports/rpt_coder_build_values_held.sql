-- rpt_coder_build_values_held: the value of every parameter of every workspace build, as
-- a session holds them for the templates insights (builds.py).
-- key: build_id, name
-- inputs: stg_coder_workspace_build_parameters
with

final as (
    select build_id, name, value, from stg_coder_workspace_build_parameters
)

select * from final
