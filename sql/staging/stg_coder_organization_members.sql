-- stg_coder_organization_members: one row per version of a membership,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: organization_id, user_id, valid_from
-- inputs: coder_organization_members
-- versions of: organization_id, user_id
with

renamed as (
    select
        organization_id,
        user_id,
        roles,
        created_at,
        updated_at,
        updated_at as valid_from,
    from coder_organization_members
)

select * from renamed
