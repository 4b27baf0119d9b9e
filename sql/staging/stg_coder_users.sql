-- stg_coder_users: one row per version of a Coder user,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: user_id, valid_from
-- inputs: coder_users
-- versions of: user_id
with

renamed as (
    select
        id as user_id,
        username,
        name,
        email,
        avatar_url,
        status,
        rbac_roles,
        created_at,
        updated_at,
        deleted as is_deleted,
        updated_at as valid_from,
    from coder_users
)

select * from renamed
