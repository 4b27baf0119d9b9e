-- fct_seatable_script_runs_daily: one row per (finished_date, owner, org_id): the script
-- runs that finished on a calendar day of the reporting time zone.
-- key: finished_date, owner, org_id
-- partition: finished_date
-- window: 1 day (a UTC day spans two local days)
-- person: owner
-- inputs: stg_seatable_script_runs
-- Failed runs count.
with

runs as (
    select * from stg_seatable_script_runs
),

final as (
    select
        local_day(finished_at) as finished_date,
        owner,
        coalesce(org_id, -1) as org_id,
        owner like '%@seafile_group' as is_group_owned,
        count(*) as count_runs,
        count(*) filter (where not is_success) as count_failed_runs,
        sum(run_seconds) as run_seconds,
    from runs
    group by all
)

select * from final
