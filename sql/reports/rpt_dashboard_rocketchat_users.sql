-- rpt_dashboard_rocketchat_users: one row per Rocket.Chat user type (user, bot, app) as of
-- $now: how many users there are of it, and how many of them are active.
-- key: type
-- inputs: rocketchat_users
with

users as (
    select * from rocketchat_users
    where "_updatedAt" <= $now
    qualify row_number() over (partition by "_id" order by "_updatedAt" desc) = 1
),

final as (
    select
        type,
        count(*) as count_users,
        count(*) filter (where active) as count_active,
    from users
    group by all
    order by count_users desc, type
)

select * from final
