-- rpt_rocketchat_statistics: one row with Rocket.Chat's statistics as of $now: users,
-- rooms and subscriptions as of $now (not deleted), user messages by room type (and of
-- discussions apart), what else Rocket.Chat 8.x counts from them, the last login /
-- message / seen times, and the server's latest statistics record.
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
    select * from fct_rocketchat_messages_daily
    where message_date < $now::date
    union all by name
    select * from rocketchat_message_counts(stg_rocketchat_messages, $now::date, $now)
),

-- Per live room: its type, whether it is a discussion, and its messages' counts.
room_messages as (
    select
        r.room_id,
        r.room_type,
        r.parent_room_id is not null as is_discussion,
        sum(m.count_user_messages) as user_messages,
        sum(m.count_threads) as threads,
        sum(m.count_e2e_messages) as e2e_messages,
        sum(m.count_voip_wrapups) as voip_wrapups,
        sum(m.count_voip_errors) as voip_errors,
        sum(m.count_voip_on_hold) as voip_on_hold,
        sum(m.count_chats_on_hold) as chats_on_hold,
    from messages_per_room as m
    join live_rooms as r on r.room_id = m.room_id
    group by all
),

messages_by_type as (
    select
        coalesce(sum(user_messages) filter (where room_type = 'c'), 0) as channel,
        coalesce(sum(user_messages) filter (where room_type = 'p'), 0) as private_group,
        coalesce(sum(user_messages) filter (where room_type = 'd'), 0) as direct,
        coalesce(sum(user_messages) filter (where room_type = 'l'), 0) as livechat,
        -- Rocket.Chat 8.x counts a discussion's messages apart from its type's.
        coalesce(sum(user_messages) filter (where room_type = 'c' and is_discussion), 0)
            as channel_discussion,
        coalesce(sum(user_messages) filter (where room_type = 'p' and is_discussion), 0)
            as private_group_discussion,
        coalesce(sum(threads), 0) as threads,
        coalesce(sum(e2e_messages), 0) as e2e_messages,
        coalesce(sum(voip_wrapups), 0) as voip_wrapups,
        coalesce(sum(voip_errors), 0) as voip_errors,
        count(*) filter (where voip_on_hold > 0) as rooms_with_voip_on_hold,
        count(*) filter (where chats_on_hold > 0) as rooms_with_chats_on_hold,
    from room_messages
),

-- Users per language; users without one count as `none` in the endpoint.
languages as (
    select list({'language': language, 'users': users} order by language) as languages,
    from (
        select language, count(*) as users,
        from users
        where language <> ''
        group by all
    )
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
        (select count(*) from users
         where is_active and user_type <> 'app' and roles = ['guest']
           and not coalesce(is_remote, false)) as active_guests,
        (select count(*) from users where not is_active) as non_active_users,
        (select count(*) from users where user_type = 'app') as app_users,
        (select count(*) from users where status = 'online') as online_users,
        (select count(*) from users where status = 'away') as away_users,
        (select count(*) from users where status = 'busy') as busy_users,
        (select count(*) from users where is_remote) as remote_users,
        (select count(*) from users where list_contains(roles, 'livechat-agent')) as livechat_agents,
        (select count(*) from users where list_contains(roles, 'livechat-manager'))
            as livechat_managers,
        coalesce(languages.languages, []) as languages,
        (select count(*) from live_rooms) as total_rooms,
        (select count(*) from live_rooms where room_type = 'c') as total_channels,
        (select count(*) from live_rooms where room_type = 'p') as total_private_groups,
        (select count(*) from live_rooms where room_type = 'd') as total_direct,
        (select count(*) from live_rooms where room_type = 'l') as total_livechat,
        (select count(*) from live_rooms where room_type = 'v') as total_voip,
        (select count(*) from live_rooms where parent_room_id is not null) as total_discussions,
        (select count(*) from live_rooms where is_team_main) as total_teams,
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
        server.mongo_version,
        server.mongo_storage_engine,
        server.is_oplog_enabled,
        server.is_microservices,
        server.count_uploads,
        server.uploads_bytes,
    from messages_by_type
    cross join languages
    left join server on true
)

select * from final
