-- rpt_openl2m_stats_settled_held: one row, the instant from which every OpenL2M log record
-- lies before the instant of a request and the inventory and counters as of it no longer
-- change: the latest instant the records and versions name (1970 when there is nothing).
-- From it on a session answers api/stats from what it holds (rpt_openl2m_instants_held,
-- rpt_openl2m_log_days_held); a request as of an earlier instant runs rpt_openl2m_stats.
-- key: (one row)
-- inputs: stg_openl2m_log, stg_openl2m_inventory, stg_openl2m_counters
with

instants as (
    select max(logged_at) as instant from stg_openl2m_log
    union all
    select max(greatest(valid_from, valid_to)) from stg_openl2m_inventory
    union all
    select max(greatest(valid_from, valid_to)) from stg_openl2m_counters
),

final as (
    select greatest(max(instant), '1970-01-01 00:00:00+00'::timestamptz) as settled_at,
    from instants
)

select * from final
