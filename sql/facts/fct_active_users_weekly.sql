-- fct_active_users_weekly: one row per (source, week_start_date, user_id): a user active
-- on at least one day of an ISO week (Monday start) in the reporting time zone.
-- key: source, week_start_date, user_id
-- partition: week_start_date
-- window: week
-- source: source
-- person: user_id
-- inputs: fct_active_users_daily
with

daily as (
    select * from fct_active_users_daily
),

final as (
    select
        source,
        date_trunc('week', activity_date)::date as week_start_date,
        user_id,
        count(*) as count_active_days,
        sum(count_events)::bigint as count_events,
    from daily
    group by all
)

select * from final
