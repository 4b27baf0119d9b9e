-- rpt_coder_category_minutes_held: every user's minutes in every v1 metrics category per
-- UTC day and per ISO week, as a session holds them for the windows from one UTC midnight
-- to another (pipelines/endpoints/coder/metrics.py): the grain ('day' or 'week') and its
-- first day (days since the epoch); ordered by grain, category, first day and user.
-- key: grain, category, first_day, user_id
-- inputs: fct_coder_category_minutes_daily, fct_coder_category_minutes_weekly
with

sums as (
    select 'day' as grain, activity_date as first_date, user_id, category, count_minutes,
    from fct_coder_category_minutes_daily
    union all
    select 'week', week_start_date, user_id, category, count_minutes,
    from fct_coder_category_minutes_weekly
),

final as (
    select
        grain,
        category,
        (first_date - DATE '1970-01-01')::bigint as first_day,
        user_id,
        count_minutes::bigint as count_minutes,
    from sums
    order by grain, category, first_date, user_id
)

select * from final
