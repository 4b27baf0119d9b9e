-- rpt_coder_category_minutes_held: every user's minutes in every v1 metrics category per
-- UTC half hour, per UTC day and per ISO week, as a session holds them for the windows on
-- half-hour bounds (pipelines/endpoints/coder/metrics.py): the grain ('half hour', 'day'
-- or 'week') and its first period (half hours since the epoch for 'half hour', days
-- otherwise); ordered by grain, category, first period and user.
-- key: grain, category, first_period, user_id
-- inputs: fct_coder_category_minutes_30m, fct_coder_category_minutes_daily,
--         fct_coder_category_minutes_weekly
with

sums as (
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

final as (
    select
        grain,
        category,
        first_period::integer as first_period,
        user_id,
        count_minutes::integer as count_minutes,
    from sums
    order by grain, category, first_period, user_id
)

select * from final
