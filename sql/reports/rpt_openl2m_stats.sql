-- rpt_openl2m_stats: one row with every number of OpenL2M's api/stats/ as of $now:
-- the latest inventory snapshot, log counts over the retention window and the usage
-- windows ($hour_start, $today_start, $week_start, $month_start; each up to $now), and the
-- latest change/command counters (null when there is none). Every usage window includes
-- its start, as OpenL2M's `timestamp >= start` does: a record exactly one hour old is in the
-- last hour.
-- key: (one row)
-- inputs: openl2m_log, openl2m_inventory, openl2m_counters
with

log as (
    select * from openl2m_log
    where "timestamp" <= $now
),

inventory as (
    select * from openl2m_inventory
    where "at" <= $now
    order by "at" desc
    limit 1
),

counters as (
    select name, value from openl2m_counters
    where "at" <= $now
    qualify row_number() over (partition by name order by "at" desc) = 1
),

usage as (
    select
        count(*) filter (where "timestamp" > $retention_start) as log_entries,
        count(distinct switch_id) filter (where type in (0, 1) and "timestamp" >= $hour_start) as devices_last_hour,
        count(distinct switch_id) filter (where type in (0, 1) and "timestamp" >= $today_start) as devices_today,
        count(distinct switch_id) filter (where "timestamp" >= $week_start) as devices_last_7_days,
        count(distinct switch_id) filter (where "timestamp" >= $month_start) as devices_last_31_days,
        count(*) filter (where type = 1 and "timestamp" >= $hour_start) as changes_last_hour,
        count(*) filter (where type = 1 and "timestamp" >= $today_start) as changes_today,
        count(*) filter (where type = 1 and "timestamp" >= $week_start) as changes_last_7_days,
        count(*) filter (where type = 1 and "timestamp" >= $month_start) as changes_last_31_days,
        count(*) filter (where type = 1) as count_changes_ever,
        count(distinct user_id) filter (where type = 5 and "timestamp" >= $hour_start) as users_last_hour,
        count(distinct user_id) filter (where type = 5 and "timestamp" >= $today_start) as users_today,
        count(distinct user_id) filter (where type = 5 and "timestamp" >= $week_start) as users_last_7_days,
        count(distinct user_id) filter (where type = 5 and "timestamp" >= $month_start) as users_last_31_days,
        count(*) filter (where type = 5 and action = 95 and "timestamp" >= $today_start) as api_calls_today,
        count(*) filter (where type = 5 and action = 95 and "timestamp" >= $week_start) as api_calls_last_7_days,
        count(*) filter (where type = 5 and action = 95 and "timestamp" >= $month_start) as api_calls_last_31_days,
        count(*) filter (where type = 4 and "timestamp" >= $today_start) as commands_today,
        count(*) filter (where type = 4 and "timestamp" >= $week_start) as commands_last_7_days,
        count(*) filter (where type = 4 and "timestamp" >= $month_start) as commands_last_31_days,
        count(*) filter (where type = 4) as count_commands_ever,
    from log
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
        usage.*,
        (select value from counters where name = 'changes') as changes_counter,
        (select value from counters where name = 'commands') as commands_counter,
    from usage
)

select * from final
