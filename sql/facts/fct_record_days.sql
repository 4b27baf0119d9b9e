-- fct_record_days: one row per (table_name, record_date): how many records of a raw event
-- kind are landed for a UTC day (its `day` partition). The day-volume check compares a
-- day with the same weekday of the weeks before from these rows, not by opening the
-- record files of every one of those days.
-- key: table_name, record_date
-- partition: record_date
-- window: 0 days
-- inputs: stg_coder_workspace_builds, stg_coder_workspace_agent_stats,
--         stg_coder_workspace_app_stats, stg_coder_audit_logs,
--         stg_coder_template_usage_stats, stg_rocketchat_messages,
--         stg_seatable_user_activity, stg_seatable_script_runs, stg_openl2m_log
with

counts as (
    select 'coder_workspace_builds' as table_name, day as record_date, count(*) as count_records,
    from stg_coder_workspace_builds
    group by all
    union all
    select 'coder_workspace_agent_stats', day, count(*),
    from stg_coder_workspace_agent_stats
    group by all
    union all
    select 'coder_workspace_app_stats', day, count(*),
    from stg_coder_workspace_app_stats
    group by all
    union all
    select 'coder_audit_logs', day, count(*),
    from stg_coder_audit_logs
    group by all
    union all
    select 'coder_template_usage_stats', day, count(*),
    from stg_coder_template_usage_stats
    group by all
    union all
    select 'rocketchat_messages', day, count(*),
    from stg_rocketchat_messages
    group by all
    union all
    select 'seatable_user_activity', day, count(*),
    from stg_seatable_user_activity
    group by all
    union all
    select 'seatable_script_runs', day, count(*),
    from stg_seatable_script_runs
    group by all
    union all
    select 'openl2m_log', day, count(*),
    from stg_openl2m_log
    group by all
),

final as (
    select * from counts
)

select * from final
