-- fct_coder_activity_minutes: one row per (minute, user, template, activity) of Coder use:
-- agent minutes with a session (per connection type), app minutes per app key, and
-- login minutes (audit log, no template). The 30-minute rollup and the v1 usage metrics
-- both read it.
-- key: minute_at, user_id, template_id, app_key, is_login
-- partition: minute_date
-- window: 1 day (app sessions may run past midnight)
-- pack: blocks (minute grain: too large to write its month again each night)
-- person: user_id
-- unsorted: no request reads it; fct_coder_usage_30m and fct_coder_category_minutes read
--   whole days of it, and nothing they compute depends on its rows' order. Sorting a
--   large day's 2.9 million rows cost 1.5 s of CPU and 400 MB more on the nightly run's
--   longest chain of models.
-- inputs: stg_coder_workspace_agent_stats, stg_coder_workspace_app_stats, stg_coder_workspaces,
--         stg_coder_audit_logs
-- follows: stg_coder_workspaces.workspace_id = stg_coder_workspace_app_stats.workspace_id (template_id)
--   (a workspace's new template moves only its app minutes: those days are rebuilt)
-- Rules (endpoints.md, as Coder's UpsertTemplateUsageStats): agent records with a session
-- make their minute active, per type too; the agent minutes of a (half hour, template,
-- user) without any record with a connection are dropped. App sessions cover every minute
-- from trunc(start) to trunc(end - 1 µs), credited to the workspace's current template and
-- the app record's user, keyed by slug or port ('[terminal]' for the web terminal).
with

agent_stats as (
    select * from stg_coder_workspace_agent_stats
),

app_stats as (
    select * from stg_coder_workspace_app_stats
),

audit_logs as (
    select * from stg_coder_audit_logs
),

workspaces as (
    select workspace_id, template_id from current_versions(stg_coder_workspaces)
),

-- time_bucket, not date_trunc: UTC minutes and half hours whatever the session's zone,
-- without ICU's calendar arithmetic (seconds over a large day's millions of records).
agent_minutes as (
    select
        time_bucket(interval 1 minute, created_at) as minute_at,
        template_id,
        user_id,
        bool_or(count_ssh_sessions > 0) as is_ssh,
        bool_or(count_reconnecting_pty_sessions > 0) as is_reconnecting_pty,
        bool_or(count_vscode_sessions > 0) as is_vscode,
        bool_or(count_jetbrains_sessions > 0) as is_jetbrains,
    from agent_stats
    where has_session
    group by all
),

-- the (half hour, template, user) with an agent record with a session and a connection
connected_half_hours as (
    select distinct
        time_bucket(interval 30 minute, created_at) as start_time,
        template_id,
        user_id,
    from agent_stats
    where has_session and count_connections > 0
),

connected_agent_minutes as (
    select agent_minutes.*
    from agent_minutes
    semi join connected_half_hours
      on connected_half_hours.start_time = time_bucket(interval 30 minute, agent_minutes.minute_at)
     and connected_half_hours.template_id = agent_minutes.template_id
     and connected_half_hours.user_id = agent_minutes.user_id
),

app_minutes as (
    select distinct
        minutes.minute_at,
        workspaces.template_id,
        app_stats.user_id,
        case
            when app_stats.access_method = 'terminal' then '[terminal]'
            else app_stats.slug_or_port
        end as app_key,
    from app_stats
    join workspaces on workspaces.workspace_id = app_stats.workspace_id
    cross join unnest(
        generate_series(
            time_bucket(interval 1 minute, app_stats.session_started_at),
            time_bucket(interval 1 minute, app_stats.session_ended_at - interval 1 microsecond),
            interval 1 minute
        )
    ) as minutes(minute_at)
),

login_minutes as (
    select distinct
        time_bucket(interval 1 minute, logged_at) as minute_at,
        user_id,
    from audit_logs
    where action = 'login'
),

final as (
    select
        minute_at,
        user_id,
        template_id,
        null::varchar as app_key,
        is_ssh,
        is_reconnecting_pty,
        is_vscode,
        is_jetbrains,
        false as is_login,
        utc_day(minute_at) as minute_date,
    from connected_agent_minutes
    union all
    select minute_at, user_id, template_id, app_key, false, false, false, false, false, utc_day(minute_at),
    from app_minutes
    union all
    select minute_at, user_id, null, null, false, false, false, false, true, utc_day(minute_at),
    from login_minutes
)

select * from final
