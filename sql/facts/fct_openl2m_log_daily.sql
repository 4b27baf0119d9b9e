-- fct_openl2m_log_daily: one row per (log_date, log_type, action): how many OpenL2M log
-- records of that type and action fall on a UTC day; the stats' counts over the whole log
-- read these instead of every record.
-- key: log_date, log_type, action
-- partition: log_date
-- window: 0 days
-- inputs: stg_openl2m_log
with

log as (
    select * from stg_openl2m_log
),

final as (
    select
        logged_at::date as log_date,
        log_type,
        action,
        count(*) as count_records,
    from log
    group by all
)

select * from final
