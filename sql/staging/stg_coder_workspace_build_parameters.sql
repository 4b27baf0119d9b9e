-- stg_coder_workspace_build_parameters: one row per parameter value of a build
-- (immutable: no time).
-- key: build_id, name
-- inputs: coder_workspace_build_parameters
with

renamed as (
    select
        workspace_build_id as build_id,
        name,
        value,
    from coder_workspace_build_parameters
)

select * from renamed
