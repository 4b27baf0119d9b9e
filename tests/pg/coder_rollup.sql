-- Coder's template usage rollup, written in PostgreSQL from the rules of endpoints.md
-- ("Rollup"), over the loaded tables: what a Coder deployment holds in template_usage_stats.
-- An implementation of its own, apart from the warehouse's DuckDB model, so that the two
-- can be compared (chk_coder_rollup_agreement).
insert into template_usage_stats (
    start_time, end_time, template_id, user_id, median_latency_ms, usage_mins, ssh_mins,
    sftp_mins, reconnecting_pty_mins, vscode_mins, jetbrains_mins, app_usage_mins
)
with

agent_records as (
    select
        *,
        date_trunc('minute', created_at) as minute_at,
        date_trunc('hour', created_at)
            + floor(extract(minute from created_at) / 30) * interval '30 minutes' as start_time
    from workspace_agent_stats
    where session_count_vscode > 0
       or session_count_jetbrains > 0
       or session_count_reconnecting_pty > 0
       or session_count_ssh > 0
),

connected_groups as (
    select start_time, template_id, user_id
    from agent_records
    group by start_time, template_id, user_id
    having bool_or(connection_count > 0)
),

agent_minutes as (
    select
        records.start_time,
        records.template_id,
        records.user_id,
        records.minute_at,
        bool_or(session_count_ssh > 0) as is_ssh,
        bool_or(session_count_reconnecting_pty > 0) as is_pty,
        bool_or(session_count_vscode > 0) as is_vscode,
        bool_or(session_count_jetbrains > 0) as is_jetbrains
    from agent_records as records
    join connected_groups using (start_time, template_id, user_id)
    group by 1, 2, 3, 4
),

app_minutes as (
    select distinct
        date_trunc('hour', minute_at)
            + floor(extract(minute from minute_at) / 30) * interval '30 minutes' as start_time,
        workspaces.template_id,
        apps.user_id,
        minute_at,
        case when apps.access_method = 'terminal' then '[terminal]' else apps.slug_or_port end
            as app_key
    from workspace_app_stats as apps
    join workspaces on workspaces.id = apps.workspace_id
    cross join generate_series(
        date_trunc('minute', apps.session_started_at),
        date_trunc('minute', apps.session_ended_at - interval '1 microsecond'),
        interval '1 minute'
    ) as minute_at
),

used_minutes as (
    select start_time, template_id, user_id, minute_at from agent_minutes
    union
    select start_time, template_id, user_id, minute_at from app_minutes
),

usage as (
    select start_time, template_id, user_id, count(*) as usage_mins
    from used_minutes
    group by 1, 2, 3
),

per_type as (
    select
        start_time,
        template_id,
        user_id,
        count(*) filter (where is_ssh) as ssh_mins,
        count(*) filter (where is_pty) as reconnecting_pty_mins,
        count(*) filter (where is_vscode) as vscode_mins,
        count(*) filter (where is_jetbrains) as jetbrains_mins
    from agent_minutes
    group by 1, 2, 3
),

per_app as (
    select start_time, template_id, user_id, jsonb_object_agg(app_key, minutes) as app_usage_mins
    from (
        select start_time, template_id, user_id, app_key, count(*) as minutes
        from app_minutes
        group by 1, 2, 3, 4
    ) as app_key_minutes
    group by 1, 2, 3
),

latencies as (
    select
        used.start_time,
        used.template_id,
        used.user_id,
        percentile_cont(0.5) within group (order by stats.connection_median_latency_ms)::real
            as median_latency_ms
    from used_minutes as used
    join workspace_agent_stats as stats
      on date_trunc('minute', stats.created_at) = used.minute_at
     and stats.template_id = used.template_id
     and stats.user_id = used.user_id
     and stats.connection_median_latency_ms > 0
    group by 1, 2, 3
)

select
    usage.start_time,
    usage.start_time + interval '30 minutes',
    usage.template_id,
    usage.user_id,
    latencies.median_latency_ms,
    usage.usage_mins,
    coalesce(per_type.ssh_mins, 0),
    0,
    coalesce(per_type.reconnecting_pty_mins, 0),
    coalesce(per_type.vscode_mins, 0),
    coalesce(per_type.jetbrains_mins, 0),
    per_app.app_usage_mins
from usage
left join per_type using (start_time, template_id, user_id)
left join per_app using (start_time, template_id, user_id)
left join latencies using (start_time, template_id, user_id)
