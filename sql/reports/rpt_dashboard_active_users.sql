-- rpt_dashboard_active_users: one row per (source, day of [$first, $last]): DAU, WAU and
-- MAU (the active_users_rolling macro), zero-filled, for the dashboard's overview.
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

sources as (
    select unnest(['coder', 'rocketchat', 'seatable', 'openl2m']) as source
),

final as (
    select
        sources.source,
        days.activity_date,
        coalesce(rolling.dau, 0) as dau,
        coalesce(rolling.wau, 0) as wau,
        coalesce(rolling.mau, 0) as mau,
    from sources
    cross join days
    left join rolling using (source, activity_date)
    order by sources.source, days.activity_date
)

select * from final
