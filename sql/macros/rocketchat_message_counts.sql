-- rocketchat_message_counts(messages, first_day, until): per (UTC day, room) the messages
-- of `messages` (stg_rocketchat_messages) sent from first_day to the instant until: all, the
-- users' (is_user_message), the latest time, and what Rocket.Chat 8.x's statistics count
-- among the messages it still holds (not deleted): thread starts (a reply count) and the
-- system types it counts. fct_rocketchat_messages_daily keeps them a day; the statistics
-- report adds the day of its instant from here.
-- reads: its first argument
create or replace macro rocketchat_message_counts(messages, first_day, until) as table
select
    utc_day(sent_at) as message_date,
    room_id,
    count(*) filter (where is_user_message) as count_user_messages,
    count(*) as count_messages,
    max(sent_at) as last_message_at,
    count(*) filter (where count_thread_replies is not null and deleted_at is null)
        as count_threads,
    count(*) filter (where message_type = 'e2e' and deleted_at is null) as count_e2e_messages,
    count(*) filter (where message_type = 'voip-call-wrapup' and deleted_at is null)
        as count_voip_wrapups,
    count(*) filter (where message_type = 'voip-call-ended-unexpectedly' and deleted_at is null)
        as count_voip_errors,
    count(*) filter (where message_type = 'voip-call-on-hold' and deleted_at is null)
        as count_voip_on_hold,
    count(*) filter (where message_type = 'omnichannel_placed_chat_on_hold' and deleted_at is null)
        as count_chats_on_hold,
from query_table(messages)
where day >= first_day::date  -- day: the UTC day partition of sent_at
  and sent_at <= until::timestamptz
group by all;
