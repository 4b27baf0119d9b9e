-- rpt_openl2m_stats_settled_held: one row, the instant from which every OpenL2M log record
-- lies before the instant of a request and the inventory and counters as of it no longer
-- change: the latest instant the records and versions name (1970 when there is nothing).
-- From it on a session answers api/stats from what it holds (rpt_openl2m_instants_held,
-- rpt_openl2m_log_days_held); a request as of an earlier instant runs rpt_openl2m_stats.
-- key: (one row)
-- inputs: stg_openl2m_log, stg_openl2m_inventory, stg_openl2m_counters
with

final as (
    select
        greatest(
            (select max(logged_at) from stg_openl2m_log),
            (select instant from last_change(stg_openl2m_inventory)),
            (select instant from last_change(stg_openl2m_counters)),
            '1970-01-01 00:00:00+00'::timestamptz
        ) as settled_at,
)

select * from final
