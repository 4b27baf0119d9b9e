-- stg_seatable_script_runs: one row per finished script run.
-- key: run_id
-- inputs: seatable_script_runs
with

renamed as (
    select
        id as run_id,
        dtable_uuid,
        owner,
        org_id,
        script_name,
        started_at,
        finished_at,
        success as is_success,
        return_code,
        -- SeaTable's own measure; without it, the time between start and finish
        coalesce(spend_time, epoch(finished_at - started_at)) as run_seconds,
        day,
    from seatable_script_runs
)

select * from renamed
