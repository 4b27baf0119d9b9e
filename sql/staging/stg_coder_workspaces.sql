-- stg_coder_workspaces: one row per version of a Coder workspace,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: workspace_id, valid_from
-- inputs: coder_workspaces
-- versions of: workspace_id
with

renamed as (
    select
        id as workspace_id,
        owner_id,
        organization_id,
        template_id,
        name,
        created_at,
        updated_at,
        deleted as is_deleted,
        updated_at as valid_from,
    from coder_workspaces
)

select * from renamed
