-- fct_rocketchat_messages_daily: one row per (message_date, room_id): a room's messages on
-- a UTC day: all, user messages (stg_rocketchat_messages.is_user_message), the latest
-- time, and what Rocket.Chat 8.x's statistics count among them (macro
-- rocketchat_message_counts).
-- key: message_date, room_id
-- partition: message_date
-- window: 0 days
-- person: room_id (a direct room)
-- inputs: stg_rocketchat_messages
select * from rocketchat_message_counts(stg_rocketchat_messages, '-infinity', 'infinity')
