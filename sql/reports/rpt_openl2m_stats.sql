-- rpt_openl2m_stats: one row with every number of OpenL2M's api/stats/ as of $now:
-- the inventory snapshot, log counts over the retention window and the usage windows
-- ($hour_start, $today_start, $week_start, $month_start; each up to $now), and the change/
-- command counters (null when there is none). Every usage window includes its start, as
-- OpenL2M's `timestamp >= start` does: a record exactly one hour old is in the last hour.
-- Counts over the whole log add whole UTC days of fct_openl2m_log_daily to the records of
-- the edge days (the retention start's day, the day of $now up to $now).
-- key: (one row)
-- inputs: stg_openl2m_log, fct_openl2m_log_daily, stg_openl2m_inventory, stg_openl2m_counters
with

-- The usage windows: the records since the longest one's start (day: the UTC partition).
recent as (
    select * from stg_openl2m_log
    where day >= $month_start::timestamptz::date
      and logged_at >= $month_start
      and logged_at <= $now
),

-- Per UTC day up to $now: whole past days from the fact, the day of $now from its records.
daily as (
    select log_date, log_type, action, count_records from fct_openl2m_log_daily
    where log_date < $now::timestamptz::date
    union all
    select day, log_type, action, count(*),
    from stg_openl2m_log
    where day = $now::timestamptz::date and logged_at <= $now
    group by all
),

retained as (
    select sum(count_records) as count_records from daily
    where log_date > $retention_start::timestamptz::date
    union all
    select count(*) from stg_openl2m_log
    where day = $retention_start::timestamptz::date
      and logged_at > $retention_start
      and logged_at <= $now
),

usage as (
    select
        count(distinct switch_id) filter (where log_type in (0, 1) and logged_at >= $hour_start) as devices_last_hour,
        count(distinct switch_id) filter (where log_type in (0, 1) and logged_at >= $today_start) as devices_today,
        count(distinct switch_id) filter (where logged_at >= $week_start) as devices_last_7_days,
        count(distinct switch_id) as devices_last_31_days,
        count(*) filter (where log_type = 1 and logged_at >= $hour_start) as changes_last_hour,
        count(*) filter (where log_type = 1 and logged_at >= $today_start) as changes_today,
        count(*) filter (where log_type = 1 and logged_at >= $week_start) as changes_last_7_days,
        count(*) filter (where log_type = 1) as changes_last_31_days,
        count(distinct user_id) filter (where log_type = 5 and logged_at >= $hour_start) as users_last_hour,
        count(distinct user_id) filter (where log_type = 5 and logged_at >= $today_start) as users_today,
        count(distinct user_id) filter (where log_type = 5 and logged_at >= $week_start) as users_last_7_days,
        count(distinct user_id) filter (where log_type = 5) as users_last_31_days,
        count(*) filter (where log_type = 5 and action = 95 and logged_at >= $today_start) as api_calls_today,
        count(*) filter (where log_type = 5 and action = 95 and logged_at >= $week_start) as api_calls_last_7_days,
        count(*) filter (where log_type = 5 and action = 95) as api_calls_last_31_days,
        count(*) filter (where log_type = 4 and logged_at >= $today_start) as commands_today,
        count(*) filter (where log_type = 4 and logged_at >= $week_start) as commands_last_7_days,
        count(*) filter (where log_type = 4) as commands_last_31_days,
    from recent
),

inventory as (
    select * from as_of(stg_openl2m_inventory, $now)
),

counters as (
    select counter_name, value from as_of(stg_openl2m_counters, $now)
),

final as (
    select
        coalesce((select switches from inventory), 0) as switches,
        coalesce((select switchgroups from inventory), 0) as switchgroups,
        coalesce((select vlans from inventory), 0) as vlans,
        coalesce((select vlan_groups from inventory), 0) as vlan_groups,
        coalesce((select snmp_profiles from inventory), 0) as snmp_profiles,
        coalesce((select credentials_profiles from inventory), 0) as credentials_profiles,
        coalesce((select commands from inventory), 0) as commands,
        coalesce((select command_lists from inventory), 0) as command_lists,
        coalesce((select api_tokens from inventory), 0) as api_tokens,
        (select coalesce(sum(count_records), 0) from retained) as log_entries,
        usage.*,
        (select coalesce(sum(count_records), 0) from daily where log_type = 1) as count_changes_ever,
        (select coalesce(sum(count_records), 0) from daily where log_type = 4) as count_commands_ever,
        (select value from counters where counter_name = 'changes') as changes_counter,
        (select value from counters where counter_name = 'commands') as commands_counter,
    from usage
)

select * from final
