-- rpt_coder_insights_by_interval: one row per interval from $start stepping $step_days
-- days while the interval starts before $end (the last one ends at $end), zero-filled:
-- the distinct users and templates of the rollup rows inside it ($template_ids empty = all).
-- key: start_time
-- inputs: fct_coder_usage_30m
with

intervals as (
    select
        range as start_time,
        least(range + to_days($step_days), $end::timestamptz) as end_time,
    from range($start::timestamptz, $end::timestamptz, to_days($step_days))
),

usage as (
    select * from coder_usage($start, $end, $template_ids)
),

-- Each rollup row finds its interval with an as-of join (sorted merge), not a range join:
-- the intervals do not overlap, so the one starting last at or before the row is its only
-- candidate.
placed as (
    select intervals.start_time as interval_start, usage.template_id, usage.user_id,
    from usage
    asof join intervals on usage.start_time >= intervals.start_time
    where usage.start_time < intervals.end_time
      and usage.end_time <= intervals.end_time
),

final as (
    select
        intervals.start_time,
        intervals.end_time,
        coalesce(list(distinct placed.template_id order by placed.template_id)
            filter (where placed.template_id is not null), []) as template_ids,
        count(distinct placed.user_id) as active_users,
    from intervals
    left join placed on placed.interval_start = intervals.start_time
    group by all
    order by intervals.start_time
)

select * from final
