-- stg_seatable_user_activity: one row per (user, UTC day) with activity.
-- key: username, active_at
-- inputs: seatable_user_activity
with

renamed as (
    select
        username,
        "timestamp" as active_at,
        org_id,
        day,
    from seatable_user_activity
)

select * from renamed
