-- fct_coder_usage_30m: Coder's template usage rollup: one row per (UTC half hour,
-- template, user) with the minutes of use, per connection type and per app, and the
-- median connection latency.
-- key: start_time, template_id, user_id
-- partition: bucket_date
-- window: 1 day (app sessions may run past midnight)
-- person: user_id
-- inputs: fct_coder_activity_minutes, stg_coder_workspace_agent_stats,
--         fct_coder_raw_stats_daily, stg_coder_template_usage_stats
-- A UTC day for which raw agent or app stats are landed (fct_coder_raw_stats_daily) is
-- computed here from them; any other day takes Coder's own rollup rows
-- (template_usage_stats), which outlive the raw agent stats Coder purges after about a day
-- (is_from_rollup marks those rows).
with

activity as (
    select
        *,
        time_bucket(interval 30 minute, minute_at) as start_time,  -- the UTC half hour
    from fct_coder_activity_minutes
    where not is_login
),

agent_stats as (
    select * from stg_coder_workspace_agent_stats
),

raw_days as (
    select stats_date as day from fct_coder_raw_stats_daily
),

coder_rollup as (
    select * from stg_coder_template_usage_stats
),

used_minutes as (
    select distinct start_time, template_id, user_id, minute_at from activity
),

usage as (
    select
        start_time,
        template_id,
        user_id,
        count(*) as usage_mins,
    from used_minutes
    group by all
),

per_type as (
    select
        start_time,
        template_id,
        user_id,
        count(*) filter (where is_ssh) as ssh_mins,
        count(*) filter (where is_reconnecting_pty) as reconnecting_pty_mins,
        count(*) filter (where is_vscode) as vscode_mins,
        count(*) filter (where is_jetbrains) as jetbrains_mins,
    from activity
    where app_key is null
    group by all
),

per_app as (
    select
        start_time,
        template_id,
        user_id,
        app_key,
        count(*) as app_mins,
    from activity
    where app_key is not null
    group by all
),

apps as (
    select
        start_time,
        template_id,
        user_id,
        map(list(app_key order by app_key), list(app_mins order by app_key)) as app_usage_mins,
    from per_app
    group by all
),

-- Coder takes the median over every agent record of the template and user (sessions or
-- not) in the row's used minutes, with a latency above zero, by PostgreSQL's
-- percentile_cont (its arithmetic: pg_percentile_cont); stored as float4.
latencies as (
    select
        used_minutes.start_time,
        used_minutes.template_id,
        used_minutes.user_id,
        pg_percentile_cont(list(agent_stats.connection_median_latency_ms), 0.5)::float
            as median_latency_ms,
    from used_minutes
    join agent_stats
      on time_bucket(interval 1 minute, agent_stats.created_at) = used_minutes.minute_at
     and agent_stats.template_id = used_minutes.template_id
     and agent_stats.user_id = used_minutes.user_id
     and agent_stats.connection_median_latency_ms > 0
    group by all
),

computed as (
    select
        usage.start_time,
        usage.start_time + interval 30 minute as end_time,
        usage.template_id,
        usage.user_id,
        usage.usage_mins,
        coalesce(per_type.ssh_mins, 0) as ssh_mins,
        0::bigint as sftp_mins,
        coalesce(per_type.reconnecting_pty_mins, 0) as reconnecting_pty_mins,
        coalesce(per_type.vscode_mins, 0) as vscode_mins,
        coalesce(per_type.jetbrains_mins, 0) as jetbrains_mins,
        coalesce(apps.app_usage_mins, map([]::varchar[], []::bigint[])) as app_usage_mins,
        latencies.median_latency_ms,
        false as is_from_rollup,
        usage.start_time::date as bucket_date,
    from usage
    left join per_type using (start_time, template_id, user_id)
    left join apps using (start_time, template_id, user_id)
    left join latencies using (start_time, template_id, user_id)
    semi join raw_days on raw_days.day = usage.start_time::date
),

rollup_only as (
    select
        * exclude (day) replace (median_latency_ms::float as median_latency_ms),
        true as is_from_rollup,
        start_time::date as bucket_date,
    from coder_rollup
    anti join raw_days on raw_days.day = coder_rollup.start_time::date
),

final as (
    select * from computed
    union all by name
    select * from rollup_only
)

select * from final
