-- rpt_dashboard_rocketchat_messages: one row per UTC day of [$first, $last] from the first
-- day with a user message: Rocket.Chat's user messages that day, zero-filled after that day
-- and never before it.
-- key: message_date
-- inputs: fct_rocketchat_messages_daily
with

messages as (
    select * from fct_rocketchat_messages_daily
    where message_date between $first::date and $last::date
),

days as (
    select range::date as message_date
    from range($first::date, $last::date + 1, interval 1 day)
    where range >= (select min(message_date) from fct_rocketchat_messages_daily)
),

per_day as (
    select message_date, sum(count_user_messages)::bigint as count_user_messages,
    from messages
    group by all
),

final as (
    select
        days.message_date,
        coalesce(per_day.count_user_messages, 0) as count_user_messages,
    from days
    left join per_day using (message_date)
    order by days.message_date
)

select * from final
