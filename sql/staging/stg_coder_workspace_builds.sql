-- stg_coder_workspace_builds: one row per workspace build.
-- key: build_id
-- inputs: coder_workspace_builds
with

renamed as (
    select
        id as build_id,
        workspace_id,
        template_version_id,
        build_number,
        transition,
        initiator_id,
        created_at,
        day,
    from coder_workspace_builds
)

select * from renamed
