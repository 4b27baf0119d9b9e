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

final as (
    select
        intervals.start_time,
        intervals.end_time,
        coalesce(list(distinct usage.template_id order by usage.template_id)
            filter (where usage.template_id is not null), []) as template_ids,
        count(distinct usage.user_id) as active_users,
    from intervals
    left join usage
      on usage.start_time >= intervals.start_time
     and usage.start_time < intervals.end_time
     and usage.end_time <= intervals.end_time
    group by all
    order by intervals.start_time
)

select * from final
