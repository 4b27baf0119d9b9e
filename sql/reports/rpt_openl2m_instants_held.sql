-- rpt_openl2m_instants_held: one row per measure of OpenL2M's api/stats with its instants
-- in order (microseconds since the epoch), as a session holds them: once every record lies
-- before a request's instant, a window's number is how many of a measure's instants fall
-- in the window. One instant a record: `record` (every log record), `change` (log type 1),
-- `api_call` (type 5, action 95), `command` (type 4). One a device or user, its latest:
-- `device_seen` (any record of a switch), `device_viewed_or_changed` (types 0 and 1, as
-- OpenL2M counts the last hour and today), `user_seen` (a login record: type 5 with a
-- user). A measure without instants has no row.
-- key: measure
-- inputs: stg_openl2m_log
with

log as (
    select epoch_us(logged_at) as instant, log_type, action, switch_id, user_id,
    from stg_openl2m_log
),

records as (
    select 'record' as measure, instant, from log
    union all
    select 'change', instant, from log where log_type = 1
    union all
    select 'api_call', instant, from log where log_type = 5 and action = 95
    union all
    select 'command', instant, from log where log_type = 4
),

latest as (
    select 'device_seen' as measure, max(instant) as instant,
    from log
    where switch_id is not null
    group by switch_id
    union all
    select 'device_viewed_or_changed', max(instant),
    from log
    where switch_id is not null and log_type in (0, 1)
    group by switch_id
    union all
    select 'user_seen', max(instant),
    from log
    where log_type = 5 and user_id is not null
    group by user_id
),

final as (
    select measure, list(instant order by instant) as instants,
    from (select * from records union all select * from latest)
    group by measure
)

select * from final
