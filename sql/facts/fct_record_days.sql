-- fct_record_days: one row per (table_name, record_date): how many records of a raw event
-- kind are landed for a UTC day (its `day` partition), and the latest event time among
-- them (the instant the dashboard's health shows: for app sessions their end). The
-- day-volume check compares a day with the same weekday of the weeks before, and the
-- dashboard finds each kind's newest event, from these rows, not by opening record files.
-- key: table_name, record_date
-- partition: record_date
-- window: 0 days
-- source: split_part(table_name, '_', 1)
-- inputs: stg_coder_workspace_builds, stg_coder_workspace_agent_stats,
--         stg_coder_workspace_app_stats, stg_coder_audit_logs,
--         stg_coder_template_usage_stats, stg_rocketchat_messages,
--         stg_seatable_user_activity, stg_seatable_script_runs, stg_openl2m_log
with

counts as (
    select * from day_counts('stg_coder_workspace_builds', created_at)
    union all
    select * from day_counts('stg_coder_workspace_agent_stats', created_at)
    union all
    select * from day_counts('stg_coder_workspace_app_stats', session_ended_at)
    union all
    select * from day_counts('stg_coder_audit_logs', logged_at)
    union all
    select * from day_counts('stg_coder_template_usage_stats', start_time)
    union all
    select * from day_counts('stg_rocketchat_messages', sent_at)
    union all
    select * from day_counts('stg_seatable_user_activity', active_at)
    union all
    select * from day_counts('stg_seatable_script_runs', finished_at)
    union all
    select * from day_counts('stg_openl2m_log', logged_at)
),

final as (
    select * from counts
)

select * from final
