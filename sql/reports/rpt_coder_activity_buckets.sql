-- rpt_coder_activity_buckets: the intervals of Coder's v1 usage metrics: from $start
-- stepping $step (months or years: DuckDB's calendar arithmetic) while before $end, each
-- ending at the next or at $end.
-- key: bucket_start
-- inputs:
with

final as (
    select
        range as bucket_start,
        least(range + $step::interval, $end::timestamptz) as bucket_end,
    from range($start::timestamptz, $end::timestamptz, $step::interval)
)

select * from final
