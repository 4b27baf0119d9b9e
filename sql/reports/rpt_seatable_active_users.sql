-- rpt_seatable_active_users: one row per calendar day from $start to $end inclusive
-- (reporting time zone), zero-filled; no rows when $start > $end.
-- key: activity_date
-- inputs: fct_active_users_daily
with

days as (
    select range::date as activity_date
    from range($start::date, $end::date + 1, interval 1 day)
),

active as (
    select
        activity_date,
        count(distinct user_id) as count_active_users,
    from fct_active_users_daily
    where source = 'seatable'
      and activity_date between $start::date and $end::date
    group by all
),

final as (
    select
        days.activity_date,
        coalesce(active.count_active_users, 0) as count_active_users,
    from days
    left join active using (activity_date)
    order by days.activity_date
)

select * from final
