-- fct_openl2m_seen_daily: one row per UTC day and device seen in any OpenL2M log record
-- (switch_id; login_user_id null), and per UTC day and user seen in a login record (log
-- type 5; login_user_id; switch_id null): the distinct devices and users of the stats'
-- 7- and 31-day windows read whole days from these instead of every record.
-- key: log_date, switch_id, login_user_id
-- partition: log_date
-- window: 0 days
-- person: login_user_id
-- inputs: stg_openl2m_log
with

log as (
    select * from stg_openl2m_log
),

devices as (
    select distinct logged_at::date as log_date, switch_id, null::bigint as login_user_id,
    from log
    where switch_id is not null
),

users as (
    select distinct logged_at::date as log_date, null::bigint as switch_id, user_id as login_user_id,
    from log
    where log_type = 5 and user_id is not null
),

final as (
    select * from devices
    union all
    select * from users
)

select * from final
