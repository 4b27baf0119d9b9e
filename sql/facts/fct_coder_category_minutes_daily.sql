-- fct_coder_category_minutes_daily: one row per (activity_date, user_id, category): the
-- minutes of fct_coder_category_minutes on a UTC day (the sum of its half hours); v1 metrics
-- over whole days read these.
-- key: activity_date, user_id, category
-- partition: activity_date
-- window: 0 days
-- person: user_id
-- inputs: fct_coder_category_minutes_30m
with

half_hours as (
    select * from fct_coder_category_minutes_30m
),

final as (
    select
        activity_date,
        user_id,
        category,
        sum(count_minutes)::bigint as count_minutes,
    from half_hours
    group by all
)

select * from final
