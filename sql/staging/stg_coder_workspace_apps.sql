-- stg_coder_workspace_apps: one row per app of a workspace agent (immutable,
-- current from its creation on).
-- key: app_id, valid_from
-- inputs: coder_workspace_apps
-- versions of: app_id
with

renamed as (
    select
        id as app_id,
        agent_id,
        workspace_id,
        build_id,
        slug,
        display_name,
        icon,
        created_at,
        created_at as valid_from,
    from coder_workspace_apps
)

select * from renamed
