-- fct_rocketchat_messages_daily: one row per (message_date, room_id): a room's messages on
-- a UTC day, all and user messages (stg_rocketchat_messages.is_user_message).
-- key: message_date, room_id
-- partition: message_date
-- window: 0 days
-- person: room_id (a direct room)
-- inputs: stg_rocketchat_messages
with

messages as (
    select * from stg_rocketchat_messages
),

final as (
    select
        sent_at::date as message_date,
        room_id,
        count(*) filter (where is_user_message) as count_user_messages,
        count(*) as count_messages,
        max(sent_at) as last_message_at,
    from messages
    group by all
)

select * from final
