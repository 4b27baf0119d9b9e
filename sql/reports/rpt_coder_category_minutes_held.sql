-- rpt_coder_category_minutes_held: every user's minutes in every v1 metrics category per
-- UTC half hour, per UTC day and per ISO week, as a session holds them for the windows on
-- half-hour bounds (pipelines/endpoints/coder/metrics.py): one row per grain ('half hour',
-- 'day' or 'week') and category, its sums as three lists, in no order (the session orders
-- them by first period, then user): the first periods (half hours since the epoch for
-- 'half hour', days otherwise), the users as codes (a user's place among the sorted ids of
-- user_ids, the same on every row) and the minutes. Lists of numbers, not a row per sum:
-- a session reads a million sums at 3,000 users without a string per sum, and without
-- DuckDB sorting them (an ordered list took 85 MB more at its peak).
-- key: grain, category
-- inputs: fct_coder_category_minutes_30m, fct_coder_category_minutes_daily,
--         fct_coder_category_minutes_weekly
with

-- Read twice (its users, its sums), but not held whole in between: 140 MB at the peak.
sums as not materialized (
    select
        'half hour' as grain,
        epoch(start_time)::bigint // 1800 as first_period,
        user_id,
        category,
        count_minutes,
    from fct_coder_category_minutes_30m
    union all
    select 'day', activity_date - DATE '1970-01-01', user_id, category, count_minutes,
    from fct_coder_category_minutes_daily
    union all
    select 'week', week_start_date - DATE '1970-01-01', user_id, category, count_minutes,
    from fct_coder_category_minutes_weekly
),

users as (
    select user_id, (dense_rank() over (order by user_id) - 1)::integer as user_code,
    from (select distinct user_id from sums)
),

final as (
    select
        grain,
        category,
        list(first_period::integer) as first_periods,
        list(user_code) as user_codes,
        list(count_minutes::integer) as minutes,
        (select list(user_id order by user_code) from users) as user_ids,
    from sums
    join users using (user_id)
    group by grain, category
    order by grain, category
)

select * from final
