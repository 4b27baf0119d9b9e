-- rpt_dashboard_rocketchat_users: one row per Rocket.Chat user type (user, bot, app) as of
-- $now: how many users there are of it, and how many of them are active.
-- key: type
-- inputs: stg_rocketchat_users
with

users as (
    select * from as_of(stg_rocketchat_users, $now)
),

final as (
    select
        user_type as type,
        count(*) as count_users,
        count(*) filter (where is_active) as count_active,
    from users
    group by all
    order by count_users desc, type
)

select * from final
