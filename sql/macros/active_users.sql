-- active_users_rolling(first_day, last_day): one row per (source, day of [first_day,
-- last_day]) with a user active in the 30 days ending that day: the distinct users active
-- that day (DAU), in the 7 days (WAU) and in the 30 days (MAU) ending with it. Reads only
-- the daily partitions of first_day - 29 .. last_day.
-- reads: fct_active_users_daily
create or replace macro active_users_rolling(first_day, last_day) as table
with

daily as (
    select * from fct_active_users_daily
    where activity_date between first_day::date - 29 and last_day::date
),

days as (
    select range::date as activity_date
    from range(first_day::date, last_day::date + 1, interval 1 day)
)

select
    daily.source,
    days.activity_date,
    count(distinct daily.user_id) filter (where daily.activity_date = days.activity_date) as dau,
    count(distinct daily.user_id) filter (where daily.activity_date > days.activity_date - 7) as wau,
    count(distinct daily.user_id) as mau,
from days
join daily on daily.activity_date between days.activity_date - 29 and days.activity_date
group by all;
