-- rpt_dashboard_active_users: one row per (source, day of [$first, $last]): the distinct
-- users active that day (DAU), in the 7 days (WAU) and in the 30 days (MAU) ending with it,
-- zero-filled, for the dashboard's overview.
-- key: source, activity_date
-- inputs: fct_active_users_daily
with

daily as (
    select * from fct_active_users_daily
    where activity_date between $first::date - 29 and $last::date
),

days as (
    select range::date as activity_date
    from range($first::date, $last::date + 1, interval 1 day)
),

sources as (
    select unnest(['coder', 'rocketchat', 'seatable', 'openl2m']) as source
),

counts as (
    select
        daily.source,
        days.activity_date,
        count(distinct daily.user_id) filter (where daily.activity_date = days.activity_date) as dau,
        count(distinct daily.user_id) filter (where daily.activity_date > days.activity_date - 7) as wau,
        count(distinct daily.user_id) as mau,
    from days
    join daily on daily.activity_date between days.activity_date - 29 and days.activity_date
    group by all
),

final as (
    select
        sources.source,
        days.activity_date,
        coalesce(counts.dau, 0) as dau,
        coalesce(counts.wau, 0) as wau,
        coalesce(counts.mau, 0) as mau,
    from sources
    cross join days
    left join counts using (source, activity_date)
    order by sources.source, days.activity_date
)

select * from final
