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
    select * from day_counts('stg_coder_workspace_builds')
    union all
    select * from day_counts('stg_coder_workspace_agent_stats')
    union all
    select * from day_counts('stg_coder_workspace_app_stats')
    union all
    select * from day_counts('stg_coder_audit_logs')
    union all
    select * from day_counts('stg_coder_template_usage_stats')
    union all
    select * from day_counts('stg_rocketchat_messages')
    union all
    select * from day_counts('stg_seatable_user_activity')
    union all
    select * from day_counts('stg_seatable_script_runs')
    union all
    select * from day_counts('stg_openl2m_log')
),

final as (
    select * from counts
)

select * from final
