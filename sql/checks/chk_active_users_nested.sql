-- chk_active_users_nested: one row per (source, day of $days) where the distinct active
-- users break DAU <= WAU <= MAU (trailing 7 and 30 days). Empty when the facts are sound.
-- key: subject (source and day)
-- inputs: fct_active_users_daily
with

counts as (
    select * from active_users_rolling(list_min($days::date[]), list_max($days::date[]))
    where list_contains($days::date[], activity_date)
),

final as (
    select
        'active_users_nested' as check_name,
        format('{} {}', source, activity_date) as subject,
        dau::double as value,
        mau::double as threshold,
        format('DAU {} WAU {} MAU {}', dau, wau, mau) as detail,
    from counts
    where not (dau <= wau and wau <= mau)
)

select * from final
