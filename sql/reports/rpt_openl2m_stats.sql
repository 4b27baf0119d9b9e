-- rpt_openl2m_stats: one row with every number of OpenL2M's api/stats/ as of $now:
-- the inventory snapshot, log counts over the retention window and the usage windows
-- ($hour_start, $today_start, $week_start, $month_start; each up to $now), and the change/
-- command counters (null when there is none). Every usage window includes its start, as
-- OpenL2M's `timestamp >= start` does: a record exactly one hour old is in the last hour.
-- Records are read one by one only on the edge days: the retention start's day, the days
-- the usage windows start on, and the days from the hour's or today's start on. The other
-- days are whole and come from fct_openl2m_log_daily (counts per type and action) and
-- fct_openl2m_seen_daily (the devices and logged-in users of a day).
-- key: (one row)
-- inputs: stg_openl2m_log, fct_openl2m_log_daily, fct_openl2m_seen_daily,
--         stg_openl2m_inventory, stg_openl2m_counters
with

-- The records of the edge days up to $now (day: the UTC partition), read once.
edge_records as (
    select * from stg_openl2m_log
    where (day in ($retention_start::timestamptz::date, $month_start::timestamptz::date, $week_start::timestamptz::date)
           or day >= least($hour_start, $today_start)::timestamptz::date)
      and logged_at <= $now
),

-- Per UTC day up to $now: whole past days from the fact, the day of $now from its records.
daily as (
    select log_date, log_type, action, count_records from fct_openl2m_log_daily
    where log_date < $now::timestamptz::date
    union all
    select day, log_type, action, count(*),
    from edge_records
    where day = $now::timestamptz::date
    group by all
),

retained as (
    select sum(count_records) as count_records from daily
    where log_date > $retention_start::timestamptz::date
    union all
    select count(*) from edge_records
    where day = $retention_start::timestamptz::date
      and logged_at > $retention_start
),

-- The usage windows' days that are not edge days are whole: their counts per type and
-- action, and the devices and logged-in users they saw, from the daily facts.
whole_days as (
    select * from (
        select log_date, log_type, action, count_records, from fct_openl2m_log_daily
        union all by name
        select log_date, switch_id, login_user_id, 0 as count_records, from fct_openl2m_seen_daily
    )
    where log_date > $month_start::timestamptz::date
      and log_date < least($hour_start, $today_start)::timestamptz::date
      and log_date not in ($retention_start::timestamptz::date, $week_start::timestamptz::date)
),

-- What the usage windows count: each record of the edge days once, and each whole day at
-- its first instant, which lies in a window exactly when the whole day does.
activity as (
    select logged_at, log_type, action, switch_id, if(log_type = 5, user_id, null) as login_user_id, 1 as count_records,
    from edge_records
    where logged_at >= $month_start
    union all by name
    select log_date::timestamptz as logged_at, * exclude (log_date),
    from whole_days
),

-- A device or user is in a window when last seen in it: the distinct counts count each
-- one's latest instant, not a distinct aggregate per window. The hour and today count a
-- device by its views and changes (log types 0 and 1) only, as OpenL2M does.
last_seen as (
    select
        'device' as actor,
        max(logged_at) filter (where log_type in (0, 1)) as last_viewed_or_changed_at,
        max(logged_at) as last_seen_at,
    from activity
    where switch_id is not null
    group by switch_id
    union all
    select 'user', max(logged_at), max(logged_at),
    from activity
    where login_user_id is not null
    group by login_user_id
),

actors as (
    select
        count(*) filter (where actor = 'device' and last_viewed_or_changed_at >= $hour_start) as devices_last_hour,
        count(*) filter (where actor = 'device' and last_viewed_or_changed_at >= $today_start) as devices_today,
        count(*) filter (where actor = 'device' and last_seen_at >= $week_start) as devices_last_7_days,
        count(*) filter (where actor = 'device') as devices_last_31_days,
        count(*) filter (where actor = 'user' and last_seen_at >= $hour_start) as users_last_hour,
        count(*) filter (where actor = 'user' and last_seen_at >= $today_start) as users_today,
        count(*) filter (where actor = 'user' and last_seen_at >= $week_start) as users_last_7_days,
        count(*) filter (where actor = 'user') as users_last_31_days,
    from last_seen
),

counts as (
    select
        sum(count_records) filter (where log_type = 1 and logged_at >= $hour_start) as changes_last_hour,
        sum(count_records) filter (where log_type = 1 and logged_at >= $today_start) as changes_today,
        sum(count_records) filter (where log_type = 1 and logged_at >= $week_start) as changes_last_7_days,
        sum(count_records) filter (where log_type = 1) as changes_last_31_days,
        sum(count_records) filter (where log_type = 5 and action = 95 and logged_at >= $today_start) as api_calls_today,
        sum(count_records) filter (where log_type = 5 and action = 95 and logged_at >= $week_start) as api_calls_last_7_days,
        sum(count_records) filter (where log_type = 5 and action = 95) as api_calls_last_31_days,
        sum(count_records) filter (where log_type = 4 and logged_at >= $today_start) as commands_today,
        sum(count_records) filter (where log_type = 4 and logged_at >= $week_start) as commands_last_7_days,
        sum(count_records) filter (where log_type = 4) as commands_last_31_days,
    from activity
),

-- Sums over no rows are null: zero.
usage as (
    select coalesce(columns(*), 0)::bigint from actors, counts
),

inventory as (
    select * from as_of(stg_openl2m_inventory, $now)
),

counters as (
    select counter_name, value from as_of(stg_openl2m_counters, $now)
),

log_entries as (
    select coalesce(sum(count_records), 0) as log_entries from retained
),

log_totals as (
    select
        coalesce(sum(count_records) filter (where log_type = 1), 0) as count_changes_ever,
        coalesce(sum(count_records) filter (where log_type = 4), 0) as count_commands_ever,
    from daily
),

-- One current version per counter name.
counter_values as (
    select
        max(value) filter (where counter_name = 'changes') as changes_counter,
        max(value) filter (where counter_name = 'commands') as commands_counter,
    from counters
),

-- One-row parts side by side (scalar subqueries would each be a join to order).
final as (
    select
        coalesce(inventory.switches, 0) as switches,
        coalesce(inventory.switchgroups, 0) as switchgroups,
        coalesce(inventory.vlans, 0) as vlans,
        coalesce(inventory.vlan_groups, 0) as vlan_groups,
        coalesce(inventory.snmp_profiles, 0) as snmp_profiles,
        coalesce(inventory.credentials_profiles, 0) as credentials_profiles,
        coalesce(inventory.commands, 0) as commands,
        coalesce(inventory.command_lists, 0) as command_lists,
        coalesce(inventory.api_tokens, 0) as api_tokens,
        log_entries.log_entries,
        usage.*,
        log_totals.*,
        counter_values.*,
    from usage
    cross join log_entries
    cross join log_totals
    cross join counter_values
    left join inventory on true
)

select * from final
