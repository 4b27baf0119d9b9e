-- chk_reject_rate: one row per raw file read by this run whose rejected share of lines
-- exceeds $max_reject_rate.
-- key: subject (the file)
-- inputs: rejects, ingested_files
with

rejected as (
    select
        file,
        count(*) as count_rejected,
    from rejects
    where run_id like $run_id || '%'
    group by all
),

read as (
    select
        path as file,
        lines_read,
    from ingested_files
    where run_id like $run_id || '%'
),

final as (
    select
        'reject_rate' as check_name,
        read.file as subject,
        round(rejected.count_rejected / read.lines_read, 4) as value,
        $max_reject_rate as threshold,
        format('{} of {} lines rejected', rejected.count_rejected, read.lines_read) as detail,
    from read
    join rejected using (file)
    where read.lines_read > 0
      and rejected.count_rejected / read.lines_read > $max_reject_rate
)

select * from final
