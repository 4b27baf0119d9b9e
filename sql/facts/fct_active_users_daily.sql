-- fct_active_users_daily: one row per (source, activity_date, user_id): a user active
-- in one product on one calendar day of the reporting time zone (flows.yaml `timezone`).
-- key: source, activity_date, user_id
-- partition: activity_date
-- window: 1 day (a UTC day spans two local days)
-- source: source
-- person: user_id
-- inputs: stg_coder_workspace_agent_stats, stg_coder_workspace_app_stats, fct_coder_usage_30m,
--         stg_rocketchat_messages, stg_seatable_user_activity, stg_openl2m_log
-- Active means: Coder, an agent report with a session open or an app session (on UTC days
-- without raw stats, a row of Coder's own rollup, by the local day its half hour starts);
-- Rocket.Chat, a user message sent; SeaTable, a user_activity record; OpenL2M, any log
-- record carrying a user.
with

coder_agent as (
    select
        'coder' as source,
        local_day(created_at) as activity_date,
        user_id,
        count(*) as count_events,
    from stg_coder_workspace_agent_stats
    where count_connections > 0 and has_session
    group by all
),

coder_apps as (
    select
        'coder' as source,
        local_day(session_started_at) as activity_date,
        user_id,
        count(*) as count_events,
    from stg_coder_workspace_app_stats
    group by all
),

coder_rollup as (
    select
        'coder' as source,
        local_day(start_time) as activity_date,
        user_id,
        count(*) as count_events,
    from fct_coder_usage_30m
    where is_from_rollup
    group by all
),

rocketchat as (
    select
        'rocketchat' as source,
        local_day(sent_at) as activity_date,
        user_id,
        count(*) as count_events,
    from stg_rocketchat_messages
    where message_type is null
    group by all
),

seatable as (
    select
        'seatable' as source,
        local_day(active_at) as activity_date,
        username as user_id,
        count(*) as count_events,
    from stg_seatable_user_activity
    group by all
),

openl2m as (
    select
        'openl2m' as source,
        local_day(logged_at) as activity_date,
        user_id::varchar as user_id,
        count(*) as count_events,
    from stg_openl2m_log
    where user_id is not null
    group by all
),

unioned as (
    select * from coder_agent
    union all select * from coder_apps
    union all select * from coder_rollup
    union all select * from rocketchat
    union all select * from seatable
    union all select * from openl2m
),

final as (
    select
        source,
        activity_date,
        user_id,
        sum(count_events)::bigint as count_events,
    from unioned
    group by all
)

select * from final
