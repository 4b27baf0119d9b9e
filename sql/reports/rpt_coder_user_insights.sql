-- rpt_coder_user_insights: one row per user with rollup rows in [$start, $end]
-- ($template_ids empty = all): their templates; seconds of use (per half hour the minutes
-- summed over templates, capped at 30); the 50th and 95th continuous percentiles of the
-- rows' median latencies (float4 values; -1 when none) by PostgreSQL's percentile_cont, as
-- Coder computes them; username and avatar as of $now.
-- user-activity and user-latency each show their part.
-- key: user_id
-- inputs: fct_coder_usage_30m, stg_coder_users
with

usage as (
    select * from coder_usage($start, $end, $template_ids)
),

users as (
    select * from as_of(stg_coder_users, $now)
),

per_half_hour as (
    select
        start_time,
        user_id,
        least(sum(usage_mins), 30) as usage_mins,
    from usage
    group by all
),

seconds as (
    select user_id, (sum(usage_mins) * 60)::bigint as seconds,
    from per_half_hour
    group by all
),

per_user as (
    select
        user_id,
        list(distinct template_id order by template_id) as template_ids,
        coalesce(pg_percentile_cont(list(median_latency_ms::double), 0.5), -1) as p50,
        coalesce(pg_percentile_cont(list(median_latency_ms::double), 0.95), -1) as p95,
    from usage
    group by all
),

final as (
    select
        per_user.user_id,
        coalesce(users.username, '') as username,
        coalesce(users.avatar_url, '') as avatar_url,
        per_user.template_ids,
        seconds.seconds,
        per_user.p50,
        per_user.p95,
    from per_user
    join seconds using (user_id)
    left join users using (user_id)
    order by per_user.user_id
)

select * from final
