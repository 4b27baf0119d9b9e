-- collect coder horizon: one row: the instant from which raw agent and app stats are
-- landed, or null when Coder still holds every agent stat since the last collect.
-- Coder deletes agent stats older than a day before its newest rollup half hour; its rollup
-- (template_usage_stats) keeps every half hour. A rollup half hour after the last collected
-- agent stat (the watermark) that ends before the oldest agent stat Coder still has exists
-- only in the rollup: raw stats are then landed from the next UTC midnight on, so each UTC
-- day is wholly raw or wholly the rollup's (fct_coder_usage_30m).
with

oldest as (
    select min(created_at) as oldest_at from workspace_agent_stats
),

purged as (
    select exists (
        select 1
        from template_usage_stats, oldest
        where template_usage_stats.start_time > coalesce(%(watermark)s::timestamptz, '-infinity')
          and template_usage_stats.end_time <= coalesce(oldest.oldest_at, 'infinity')
    ) as is_purged
),

resume_from as (
    select coalesce(
        oldest.oldest_at,
        (select max(end_time) from template_usage_stats)
    ) as resume_at
    from oldest
)

select
    case
        when not purged.is_purged then null
        when resume_at = date_trunc('day', resume_at) then resume_at
        else date_trunc('day', resume_at) + interval '1 day'
    end as horizon
from purged, resume_from
