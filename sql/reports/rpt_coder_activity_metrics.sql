-- rpt_coder_activity_metrics: one row per (interval, active user) of Coder's v1 usage
-- metrics, intervals stepping $step from $start while before $end (each row also for an
-- interval without activity, user_id null): the minutes of the user in the interval that
-- count for $category, for members of $org only when $org is given.
-- key: bucket_start, user_id
-- inputs: fct_coder_activity_minutes, coder_organization_members
with

buckets as (
    select
        range as bucket_start,
        least(range + $step::interval, $end::timestamptz) as bucket_end,
    from range($start::timestamptz, $end::timestamptz, $step::interval)
),

members as (
    select user_id from coder_organization_members
    where organization_id = $org and updated_at <= $now
    qualify row_number() over (partition by organization_id, user_id order by updated_at desc) = 1
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
    select distinct minute_at, user_id from categorised where is_counted
),

-- Each minute finds its interval with an as-of join (sorted merge), not a range join.
per_user as (
    select buckets.bucket_start, counted_minutes.user_id, count(*) as count_minutes,
    from counted_minutes
    asof join buckets on counted_minutes.minute_at >= buckets.bucket_start
    where counted_minutes.minute_at < buckets.bucket_end
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
