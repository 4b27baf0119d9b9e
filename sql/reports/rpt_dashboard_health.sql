-- rpt_dashboard_health: one row per source: its newest ingested raw file (the last written,
-- by its modification time; the last by path among equals), when the run that ingested it
-- started (a run id begins with that instant) and its newest event time (of its activity
-- kinds' newest days, from fct_record_days), for the dashboard's data health.
-- key: source
-- inputs: ingested_files, fct_record_days
with

files as (
    select split_part(path, '/', 1) as source, path, mtime_ns, run_id from ingested_files
),

newest_files as (
    select
        source,
        arg_max(path, (mtime_ns, path)) as newest_file,
        arg_max(run_id, (mtime_ns, path)) as newest_run_id,
    from files
    group by all
),

-- The kinds whose newest event says a source is alive: each one's latest event time of
-- its newest landed day, the latest of them a source's.
kind_events as (
    select
        split_part(table_name, '_', 1) as source,
        arg_max(newest_event_at, record_date) as newest_event_at,
    from fct_record_days
    where table_name in (
        'coder_workspace_agent_stats', 'coder_workspace_app_stats', 'rocketchat_messages',
        'seatable_user_activity', 'seatable_script_runs', 'openl2m_log'
    )
    group by table_name
),

events as (
    select source, max(newest_event_at) as newest_event_at,
    from kind_events
    group by all
),

final as (
    select
        sources.source,
        newest_files.newest_file,
        try_strptime(left(newest_files.newest_run_id, 22), '%Y%m%dT%H%M%S%fZ') as landed_at,
        events.newest_event_at,
    from (select unnest(['coder', 'rocketchat', 'seatable', 'openl2m']) as source) as sources
    left join newest_files using (source)
    left join events using (source)
    order by list_position(['coder', 'rocketchat', 'seatable', 'openl2m'], sources.source)
)

select * from final
