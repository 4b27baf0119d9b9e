-- rpt_openl2m_log_days_held: one row per UTC day of fct_openl2m_log_daily, in order: its
-- records, changes (log type 1) and commands (type 4), as a session holds them for the
-- log's entries and totals over whole days (rpt_openl2m_stats reads the same fact).
-- key: log_date
-- inputs: fct_openl2m_log_daily
with

final as (
    select
        log_date,
        sum(count_records)::bigint as count_records,
        coalesce(sum(count_records) filter (where log_type = 1), 0)::bigint as count_changes,
        coalesce(sum(count_records) filter (where log_type = 4), 0)::bigint as count_commands,
    from fct_openl2m_log_daily
    group by all
    order by log_date
)

select * from final
