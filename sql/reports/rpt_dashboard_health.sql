-- rpt_dashboard_health: one row per source: its newest ingested raw file (of the latest
-- run, the last by path), when that run started (a run id begins with that instant) and
-- its newest event time, for the dashboard's data health.
-- key: source
-- inputs: ingested_files, stg_coder_workspace_agent_stats, stg_coder_workspace_app_stats,
--         stg_rocketchat_messages, stg_seatable_user_activity, stg_seatable_script_runs,
--         stg_openl2m_log
with

files as (
    select split_part(path, '/', 1) as source, path, run_id from ingested_files
),

newest_files as (
    select source, arg_max(path, (run_id, path)) as newest_file, max(run_id) as newest_run_id,
    from files
    group by all
),

events as (
    select 'coder' as source, * from newest_event('stg_coder_workspace_agent_stats', created_at)
    union all
    select 'coder', * from newest_event('stg_coder_workspace_app_stats', session_ended_at)
    union all
    select 'rocketchat', * from newest_event('stg_rocketchat_messages', sent_at)
    union all
    select 'seatable', * from newest_event('stg_seatable_user_activity', active_at)
    union all
    select 'seatable', * from newest_event('stg_seatable_script_runs', finished_at)
    union all
    select 'openl2m', * from newest_event('stg_openl2m_log', logged_at)
),

final as (
    select
        sources.source,
        newest_files.newest_file,
        try_strptime(left(newest_files.newest_run_id, 22), '%Y%m%dT%H%M%S%fZ') as landed_at,
        (select max(newest_event_at) from events where events.source = sources.source) as newest_event_at,
    from (select unnest(['coder', 'rocketchat', 'seatable', 'openl2m']) as source) as sources
    left join newest_files using (source)
    order by list_position(['coder', 'rocketchat', 'seatable', 'openl2m'], sources.source)
)

select * from final
