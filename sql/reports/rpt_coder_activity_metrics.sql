-- rpt_coder_activity_metrics: one row per (interval, active user) of Coder's v1 usage
-- metrics, intervals stepping $step from $start while before $end (each row also for an
-- interval without activity, user_id null): the minutes of the user in the interval that
-- count for $category, for members of $org only when $org is given. On UTC days that only
-- Coder's rollup covers (fct_coder_usage_30m.is_from_rollup) the minute sets are gone: a
-- half hour adds the rollup's minutes of the category, summed over templates, filling it up
-- to 30 beside the minutes counted from raw records (audit logins).
-- key: bucket_start, user_id
-- inputs: fct_coder_activity_minutes, fct_coder_usage_30m, stg_coder_organization_members
with

buckets as (
    select
        range as bucket_start,
        least(range + $step::interval, $end::timestamptz) as bucket_end,
    from range($start::timestamptz, $end::timestamptz, $step::interval)
),

members as (
    select user_id from as_of(stg_coder_organization_members, $now)
    where organization_id = $org
),

activity as (
    select * from fct_coder_activity_minutes
    where minute_at >= $start::timestamptz
      and minute_at < $end::timestamptz
      -- the UTC day partitions of the range: only their files are read
      and minute_date between $start::timestamptz::date and $end::timestamptz::date
      and ($org is null or user_id in (select user_id from members))
),

categorised as (
    select
        minute_at,
        user_id,
        case $category
            when 'ide' then is_vscode or is_jetbrains
            when 'tunnel' then is_ssh
            when 'web terminal' then is_reconnecting_pty or coalesce(app_key = '[terminal]', false)
            when 'app' then coalesce(app_key <> '[terminal]', false)
            when 'login' then is_login
            else true
        end as is_counted,
    from activity
),

counted_minutes as (
    select distinct minute_at, user_id, 1 as count_minutes, from categorised where is_counted
),

rollup_usage as (
    select * from fct_coder_usage_30m
    where is_from_rollup
      and start_time >= $start::timestamptz
      and start_time < $end::timestamptz
      and bucket_date between $start::timestamptz::date and $end::timestamptz::date
      and ($org is null or user_id in (select user_id from members))
),

rollup_per_half_hour as (
    select
        start_time,
        user_id,
        sum(case $category
            when 'ide' then least(vscode_mins + jetbrains_mins, usage_mins)
            when 'tunnel' then ssh_mins
            when 'web terminal' then least(reconnecting_pty_mins + coalesce(app_usage_mins['[terminal]'], 0), usage_mins)
            when 'app' then least(coalesce(list_sum([e.value for e in map_entries(app_usage_mins) if e.key <> '[terminal]']), 0), usage_mins)
            when 'login' then 0
            else usage_mins
        end) as count_minutes,
    from rollup_usage
    group by all
),

counted_per_half_hour as (
    select
        date_trunc('hour', minute_at) + to_minutes(minute(minute_at) // 30 * 30) as start_time,
        user_id,
        count(*) as count_minutes,
    from counted_minutes
    group by all
),

rollup_minutes as (
    select
        rollup_per_half_hour.start_time as minute_at,
        rollup_per_half_hour.user_id,
        least(
            rollup_per_half_hour.count_minutes,
            30 - coalesce(counted_per_half_hour.count_minutes, 0)
        ) as count_minutes,
    from rollup_per_half_hour
    left join counted_per_half_hour using (start_time, user_id)
    where rollup_per_half_hour.count_minutes > 0
),

minutes as (
    select * from counted_minutes
    union all
    select * from rollup_minutes where count_minutes > 0
),

-- Each minute finds its interval with an as-of join (sorted merge), not a range join.
per_user as (
    select buckets.bucket_start, minutes.user_id, sum(minutes.count_minutes)::bigint as count_minutes,
    from minutes
    asof join buckets on minutes.minute_at >= buckets.bucket_start
    where minutes.minute_at < buckets.bucket_end
    group by all
),

final as (
    select
        buckets.bucket_start,
        buckets.bucket_end,
        per_user.user_id,
        coalesce(per_user.count_minutes, 0) as count_minutes,
    from buckets
    left join per_user on per_user.bucket_start = buckets.bucket_start
    order by buckets.bucket_start, count_minutes desc, per_user.user_id
)

select * from final
