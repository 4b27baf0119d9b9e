-- stg_rocketchat_users: one row per version of a Rocket.Chat user,
-- its time of being current: valid_from until valid_to (null: still current); deleted_at
-- set on the copy of a deleted user (exported from Rocket.Chat's trash).
-- key: user_id, valid_from
-- inputs: rocketchat_users
-- versions of: user_id
with

renamed as (
    select
        "_id" as user_id,
        username,
        type as user_type,
        active as is_active,
        roles,
        status,
        "lastLogin" as last_login_at,
        "createdAt" as created_at,
        "_updatedAt" as updated_at,
        language,
        federated as is_federated,
        "isRemote" as is_remote,
        "_deletedAt" as deleted_at,
        "_updatedAt" as valid_from,
    from rocketchat_users
)

select * from renamed
