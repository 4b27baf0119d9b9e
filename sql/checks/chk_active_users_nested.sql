-- chk_active_users_nested: one row per (source, day of $days) where the distinct active
-- users break DAU <= WAU <= MAU (trailing 7 and 30 days). Empty when the facts are sound.
-- key: subject (source and day)
-- inputs: fct_active_users_daily
with

checked_days as (
    select unnest($days::date[]) as check_date
),

daily as (
    select * from fct_active_users_daily
),

counts as (
    select
        daily.source,
        checked_days.check_date,
        count(distinct daily.user_id) filter (where daily.activity_date = checked_days.check_date) as dau,
        count(distinct daily.user_id) filter (where daily.activity_date > checked_days.check_date - 7) as wau,
        count(distinct daily.user_id) as mau,
    from checked_days
    join daily
      on daily.activity_date between checked_days.check_date - 29 and checked_days.check_date
    group by all
),

final as (
    select
        'active_users_nested' as check_name,
        format('{} {}', source, check_date) as subject,
        dau::double as value,
        mau::double as threshold,
        format('DAU {} WAU {} MAU {}', dau, wau, mau) as detail,
    from counts
    where not (dau <= wau and wau <= mau)
)

select * from final
