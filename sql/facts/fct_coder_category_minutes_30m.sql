-- fct_coder_category_minutes_30m: one row per (start_time, user_id, category): the minutes
-- of fct_coder_category_minutes in a UTC half hour (start_time its start); v1 metrics over
-- windows on half-hour bounds that are not whole UTC days read these.
-- key: start_time, user_id, category
-- partition: activity_date
-- window: 0 days
-- person: user_id
-- inputs: fct_coder_category_minutes
with

minutes as (
    select * from fct_coder_category_minutes
),

final as (
    select
        time_bucket(interval 30 minute, minute_at) as start_time,  -- the UTC half hour
        minute_date as activity_date,
        user_id,
        category,
        sum(count_minutes)::bigint as count_minutes,
    from minutes
    group by all
)

select * from final
