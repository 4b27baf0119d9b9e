-- rpt_rocketchat_statistics: one row with Rocket.Chat's statistics as of $now: users,
-- rooms and subscriptions at their latest version, user messages by room type, the last
-- login / message / seen times, and the latest statistics record of the server.
-- key: (one row)
-- inputs: rocketchat_users, rocketchat_rooms, rocketchat_subscriptions,
--         fct_rocketchat_messages_daily, rocketchat_messages, rocketchat_statistics
with

users as (
    select * from rocketchat_users
    where "_updatedAt" <= $now
    qualify row_number() over (partition by "_id" order by "_updatedAt" desc) = 1
),

rooms as (
    select * from rocketchat_rooms
    where "_updatedAt" <= $now
    qualify row_number() over (partition by "_id" order by "_updatedAt" desc) = 1
),

live_rooms as (
    select * from rooms
    where "_deletedAt" is null or "_deletedAt" > $now
),

subscriptions as (
    select * from rocketchat_subscriptions
    where coalesce(ls, "_updatedAt") <= $now
    qualify row_number() over (partition by "_id" order by coalesce(ls, "_updatedAt") desc) = 1
),

-- Whole past days from the daily fact; the day of $now from the records up to $now.
messages_per_room as (
    select rid, sum(count_user_messages) as count_user_messages, max(last_message_at) as last_message_at,
    from fct_rocketchat_messages_daily
    where message_date < $now::date
    group by all
    union all
    select
        rid,
        count(*) filter (where t is null and not coalesce(_hidden, false) and "_deletedAt" is null),
        max(ts),
    from rocketchat_messages
    where day = $now::date and ts <= $now  -- day: the UTC day partition of ts
    group by all
),

messages_by_type as (
    select
        coalesce(sum(m.count_user_messages) filter (where r.t = 'c'), 0) as channel,
        coalesce(sum(m.count_user_messages) filter (where r.t = 'p'), 0) as private_group,
        coalesce(sum(m.count_user_messages) filter (where r.t = 'd'), 0) as direct,
        coalesce(sum(m.count_user_messages) filter (where r.t = 'l'), 0) as livechat,
    from messages_per_room as m
    join live_rooms as r on r."_id" = m.rid
),

server as (
    select * from rocketchat_statistics
    where "createdAt" <= $now
    order by "createdAt" desc
    limit 1
),

final as (
    select
        (select count(*) from users) as total_users,
        (select count(*) from users
         where active and type = 'user' and roles <> ['guest']
           and not coalesce(federated, false) and not coalesce("isRemote", false)) as active_users,
        (select count(*) from users where not active) as non_active_users,
        (select count(*) from users where status = 'online') as online_users,
        (select count(*) from users where status = 'away') as away_users,
        (select count(*) from users where status = 'busy') as busy_users,
        (select count(*) from live_rooms) as total_rooms,
        (select count(*) from live_rooms where t = 'c') as total_channels,
        (select count(*) from live_rooms where t = 'p') as total_private_groups,
        (select count(*) from live_rooms where t = 'd') as total_direct,
        (select count(*) from live_rooms where t = 'l') as total_livechat,
        messages_by_type.*,
        (select max("lastLogin") from users) as last_login_at,
        (select max(last_message_at) from messages_per_room) as last_message_at,
        (select max(ls) from subscriptions) as last_seen_at,
        server."uniqueId" as unique_id,
        server."installedAt" as installed_at,
        server.version,
        server.os,
        server.process,
        server.deploy,
        server.migration,
        server."instanceCount" as instance_count,
    from messages_by_type
    left join server on true
)

select * from final
