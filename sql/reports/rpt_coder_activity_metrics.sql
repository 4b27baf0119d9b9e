-- rpt_coder_activity_metrics: one row per (interval, active user) of Coder's v1 usage
-- metrics over a window not on UTC half-hour bounds (the others are answered from the
-- daily, weekly and half-hourly sums a session holds, metrics.py), intervals
-- stepping $step from $start while before $end (each row also for an interval without
-- activity, user_id null): the minutes of the user in the interval that count for
-- $category (fct_coder_category_minutes), for members of $org only when $org is given.
-- key: bucket_start, user_id
-- inputs: fct_coder_category_minutes, stg_coder_organization_members
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

minutes as (
    select minute_at, user_id, count_minutes, from fct_coder_category_minutes
    where category = $category
      and minute_at >= $start::timestamptz
      and minute_at < $end::timestamptz
      -- the UTC day partitions of the range: only their files are read
      and minute_date between $start::timestamptz::date and $end::timestamptz::date
      and ($org is null or user_id in (select user_id from members))
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
