-- stg_seatable_users: one row per version of a SeaTable user's profile,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: username, valid_from
-- inputs: seatable_users
-- versions of: username
with

renamed as (
    select
        username,
        nickname,
        org_id,
        updated_at,
        updated_at as valid_from,
    from seatable_users
)

select * from renamed
