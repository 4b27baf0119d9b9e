-- rpt_rocketchat_statistics_settled_held: one row, the instant from which
-- rpt_rocketchat_statistics answers the same as of every later instant: the latest instant
-- its inputs compare with $now (versions' valid_from, valid_to and deleted_at, messages'
-- sent_at), and at least the midnight after the last UTC day holding messages (from it on,
-- every day's messages come from the daily fact, none from the records). 1970 when there
-- is nothing. A serving session computes the statistics as of it once and answers every
-- request as of a later instant from them.
-- key: (one row)
-- inputs: stg_rocketchat_users, stg_rocketchat_rooms, stg_rocketchat_subscriptions,
--         stg_rocketchat_statistics, fct_rocketchat_messages_daily, stg_rocketchat_messages
with

versions as (
    select max(greatest(valid_from, valid_to, deleted_at)) as instant from stg_rocketchat_users
    union all
    select max(greatest(valid_from, valid_to, deleted_at)) from stg_rocketchat_rooms
    union all
    select max(greatest(valid_from, valid_to, deleted_at)) from stg_rocketchat_subscriptions
    union all
    select instant from last_change(stg_rocketchat_statistics)
),

messages as (
    select max(message_date) as last_day, max(last_message_at) as last_sent_at,
    from fct_rocketchat_messages_daily
    union all
    select max(day), max(sent_at) from stg_rocketchat_messages
),

final as (
    select
        greatest(
            (select max(instant) from versions),
            (select max(last_sent_at) from messages),
            (select max(last_day) + 1 from messages)::timestamptz,
            '1970-01-01 00:00:00+00'::timestamptz
        ) as settled_at,
)

select * from final
