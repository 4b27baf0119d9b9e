-- rpt_dashboard_runs: the last ten runs, newest first (a run id begins with its start),
-- with the seconds of each stage, for the dashboard's data health.
-- key: run_id
-- inputs: runs
with

latest_runs as (
    select * from runs
    order by run_id desc
    limit 10
),

final as (
    select
        run_id,
        status,
        started_at,
        extract_seconds,
        transform_seconds,
        publish_seconds,
        seconds,
        rejected,
    from latest_runs
    order by run_id desc
)

select * from final
