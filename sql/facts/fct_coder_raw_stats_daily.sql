-- fct_coder_raw_stats_daily: one row per UTC day for which raw Coder usage stats are
-- landed: agent reports made that day, or app sessions that ended that day. On these days
-- fct_coder_usage_30m computes Coder's rollup itself; on any other day it takes Coder's own
-- rollup rows (template_usage_stats), which outlive the agent stats Coder purges.
-- key: stats_date
-- partition: stats_date
-- window: 1 day (an app session may end the day after it started)
-- inputs: stg_coder_workspace_agent_stats, stg_coder_workspace_app_stats
-- An app session counts for the day it ends, not the day it starts: the collector lands
-- the sessions still running at its horizon (collect/coder/horizon.sql), and those must not
-- claim the day before the horizon, which only the rollup covers.
with

agent_stats as (
    select * from stg_coder_workspace_agent_stats
),

app_stats as (
    select * from stg_coder_workspace_app_stats
),

agent_days as (
    select day as stats_date, count(*) as count_agent_stats,
    from agent_stats
    group by all
),

app_days as (
    select session_ended_at::date as stats_date, count(*) as count_app_sessions_ended,
    from app_stats
    group by all
),

final as (
    select
        stats_date,
        coalesce(agent_days.count_agent_stats, 0) as count_agent_stats,
        coalesce(app_days.count_app_sessions_ended, 0) as count_app_sessions_ended,
    from agent_days
    full join app_days using (stats_date)
)

select * from final
