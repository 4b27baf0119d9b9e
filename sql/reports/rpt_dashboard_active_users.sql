-- rpt_dashboard_active_users: one row per (source, day of [$first, $last]) from the source's
-- first day with activity: DAU, WAU and MAU (the active_users_rolling macro), zero-filled
-- after that day and never before it (a zero drawn before the data starts reads as no use),
-- for the dashboard's overview.
-- key: source, activity_date
-- inputs: fct_active_users_daily
with

rolling as (
    select * from active_users_rolling($first, $last)
),

days as (
    select range::date as activity_date
    from range($first::date, $last::date + 1, interval 1 day)
),

first_days as (
    select source, min(activity_date) as first_date,
    from fct_active_users_daily
    where activity_date <= $last::date
    group by all
),

final as (
    select
        sources.source,
        days.activity_date,
        coalesce(rolling.dau, 0) as dau,
        coalesce(rolling.wau, 0) as wau,
        coalesce(rolling.mau, 0) as mau,
    from first_days as sources
    join days on days.activity_date >= sources.first_date
    left join rolling using (source, activity_date)
    order by sources.source, days.activity_date
)

select * from final
