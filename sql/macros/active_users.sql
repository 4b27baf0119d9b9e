-- active_users_rolling(first_day, last_day): per (source, day of [first_day, last_day])
-- the distinct users active that day (DAU), in the 7 days (WAU) and in the 30 days (MAU)
-- ending with it; reads only the daily partitions of first_day - 29 .. last_day. A day
-- before a source's first activity in that range has no row.
-- Each (user, active day) counts its user from that day until the user's next active day,
-- or for 7 (WAU) and 30 (MAU) days if sooner: the spans of one user never overlap, so a
-- day's distinct users are the running sum of spans started minus spans ended.
-- reads: fct_active_users_daily
create or replace macro active_users_rolling(first_day, last_day) as table
with

daily as (
    select source, user_id, activity_date from fct_active_users_daily
    where activity_date between first_day::date - 29 and last_day::date
),

per_user as (
    select source, list(activity_date order by activity_date) as dates,
    from daily
    group by source, user_id
),

spans as (
    -- Each active day beside the user's next one: the list shifted by one (unnesting two
    -- lists pads the shorter with null: the last day has none). A third faster than
    -- lead() over a window partitioned by user.
    select source, unnest(dates) as activity_date, unnest(dates[2:]) as next_date,
    from per_user
),

changes as (
    select source, activity_date as change_date, 1 as dau, 1 as wau, 1 as mau, from spans
    union all
    select source, least(activity_date + 7, next_date), 0, -1, 0, from spans
    union all
    select source, least(activity_date + 30, next_date), 0, 0, -1, from spans
),

running as (
    select
        source,
        change_date,
        sum(dau) as dau,
        sum(sum(wau)) over (partition by source order by change_date) as wau,
        sum(sum(mau)) over (partition by source order by change_date) as mau,
    from changes
    group by source, change_date
),

days as (
    select sources.source, days.range::date as activity_date,
    from (select distinct source from daily) as sources
    cross join range(first_day::date, last_day::date + 1, interval 1 day) as days
)

select
    days.source,
    days.activity_date,
    (case when running.change_date = days.activity_date then running.dau else 0 end)::bigint as dau,
    running.wau::bigint as wau,
    running.mau::bigint as mau,
from days
asof join running
  on running.source = days.source
 and running.change_date <= days.activity_date;
