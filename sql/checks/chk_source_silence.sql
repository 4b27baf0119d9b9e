-- chk_source_silence: one row per source that has landed raw files before, but none for
-- longer than $max_hours before $now: an export or a collect that stopped working.
-- Time is the runs' as-of instant (a file landed by this run $run_id: $now), so a run with
-- --now compares like with like.
-- key: subject (the source)
-- inputs: ingested_files, runs
with

ingested as (
    select * from ingested_files
),

past_runs as (
    select * from runs
),

landed as (
    select
        split_part(ingested.path, '/', 1) as source,
        max(
            case when starts_with(ingested.run_id, $run_id) then $now::timestamptz else past_runs.as_of end
        ) as last_landed_at,
    from ingested
    -- an ingest's id is its run's id and the source
    left join past_runs
      on starts_with(ingested.run_id, past_runs.run_id || '-') or ingested.run_id = past_runs.run_id
    group by all
),

final as (
    select
        'source_silence' as check_name,
        source as subject,
        round(epoch($now::timestamptz - last_landed_at) / 3600, 1) as value,
        $max_hours::double as threshold,
        format('no new raw file since {} ({} hours)', strftime(last_landed_at, '%Y-%m-%d %H:%M UTC'),
               round(epoch($now::timestamptz - last_landed_at) / 3600, 1)) as detail,
    from landed
    where last_landed_at < $now::timestamptz - to_hours($max_hours::bigint)
)

select * from final order by subject
