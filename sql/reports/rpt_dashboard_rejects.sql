-- rpt_dashboard_rejects: one row per run day of [$first, $last] with rejected lines: how
-- many, and the three most frequent reasons with their counts.
-- key: day
-- inputs: rejects
with

rejected as (
    select * from rejects
    where day between $first::date and $last::date
),

per_reason as (
    select day, reason, count(*) as count_lines,
    from rejected
    group by all
),

final as (
    select
        day,
        sum(count_lines)::bigint as count_rejected,
        list(format('{} ({})', reason, count_lines) order by count_lines desc, reason)[1:3] as top_reasons,
    from per_reason
    group by all
    order by day
)

select * from final
