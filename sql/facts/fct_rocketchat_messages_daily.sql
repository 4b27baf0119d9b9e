-- fct_rocketchat_messages_daily: one row per (message_date, rid): a room's messages on a
-- UTC day. User messages are those without a system type, not hidden, not deleted.
-- key: message_date, rid
-- partition: message_date
-- window: 0 days
-- inputs: rocketchat_messages
with

messages as (
    select * from rocketchat_messages
),

final as (
    select
        ts::date as message_date,
        rid,
        count(*) filter (
            where t is null and not coalesce(_hidden, false) and "_deletedAt" is null
        ) as count_user_messages,
        count(*) as count_messages,
        max(ts) as last_message_at,
    from messages
    group by all
)

select * from final
