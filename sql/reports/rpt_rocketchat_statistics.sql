-- rpt_rocketchat_statistics: one row with Rocket.Chat's statistics as of $now: users,
-- rooms and subscriptions as of $now (not deleted), user messages by room type,
-- the last login / message / seen times, and the server's latest statistics record.
-- key: (one row)
-- inputs: stg_rocketchat_users, stg_rocketchat_rooms, stg_rocketchat_subscriptions,
--         fct_rocketchat_messages_daily, stg_rocketchat_messages, stg_rocketchat_statistics
with

users as (
    select * from as_of(stg_rocketchat_users, $now)
    where deleted_at is null or deleted_at > $now
),

live_rooms as (
    select * from as_of(stg_rocketchat_rooms, $now)
    where deleted_at is null or deleted_at > $now
),

subscriptions as (
    select * from as_of(stg_rocketchat_subscriptions, $now)
    where deleted_at is null or deleted_at > $now
),

-- Whole past days from the daily fact; the day of $now from the messages up to $now.
messages_per_room as (
    select room_id, sum(count_user_messages) as count_user_messages, max(last_message_at) as last_message_at,
    from fct_rocketchat_messages_daily
    where message_date < $now::date
    group by all
    union all
    select room_id, count(*) filter (where is_user_message), max(sent_at),
    from stg_rocketchat_messages
    where day = $now::date and sent_at <= $now  -- day: the UTC day partition of sent_at
    group by all
),

messages_by_type as (
    select
        coalesce(sum(m.count_user_messages) filter (where r.room_type = 'c'), 0) as channel,
        coalesce(sum(m.count_user_messages) filter (where r.room_type = 'p'), 0) as private_group,
        coalesce(sum(m.count_user_messages) filter (where r.room_type = 'd'), 0) as direct,
        coalesce(sum(m.count_user_messages) filter (where r.room_type = 'l'), 0) as livechat,
    from messages_per_room as m
    join live_rooms as r on r.room_id = m.room_id
),

-- The newest statistics document as of $now: the current version of its server's.
server as (
    select * from as_of(stg_rocketchat_statistics, $now)
    order by created_at desc, unique_id
    limit 1
),

final as (
    select
        (select count(*) from users) as total_users,
        (select count(*) from users
         where is_active and user_type = 'user' and roles <> ['guest']
           and not coalesce(is_federated, false) and not coalesce(is_remote, false)) as active_users,
        (select count(*) from users where not is_active) as non_active_users,
        (select count(*) from users where status = 'online') as online_users,
        (select count(*) from users where status = 'away') as away_users,
        (select count(*) from users where status = 'busy') as busy_users,
        (select count(*) from live_rooms) as total_rooms,
        (select count(*) from live_rooms where room_type = 'c') as total_channels,
        (select count(*) from live_rooms where room_type = 'p') as total_private_groups,
        (select count(*) from live_rooms where room_type = 'd') as total_direct,
        (select count(*) from live_rooms where room_type = 'l') as total_livechat,
        messages_by_type.*,
        (select max(last_login_at) from users) as last_login_at,
        (select max(last_message_at) from messages_per_room) as last_message_at,
        (select max(last_seen_at) from subscriptions) as last_seen_at,
        server.unique_id,
        server.installed_at,
        server.version,
        server.os,
        server.process,
        server.deploy,
        server.migration,
        server.instance_count,
    from messages_by_type
    left join server on true
)

select * from final
