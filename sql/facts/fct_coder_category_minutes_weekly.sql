-- fct_coder_category_minutes_weekly: one row per (week_start_date, user_id, category): the
-- minutes of fct_coder_category_minutes_daily in an ISO week of UTC days (Monday start);
-- v1 metrics over whole weeks read these.
-- key: week_start_date, user_id, category
-- partition: week_start_date
-- window: week
-- person: user_id
-- inputs: fct_coder_category_minutes_daily
with

daily as (
    select * from fct_coder_category_minutes_daily
),

final as (
    select
        date_trunc('week', activity_date)::date as week_start_date,
        user_id,
        category,
        sum(count_minutes)::bigint as count_minutes,
    from daily
    group by all
)

select * from final
