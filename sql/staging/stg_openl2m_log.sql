-- stg_openl2m_log: one row per OpenL2M log record.
-- key: log_id
-- partition: day
-- window: 0 days
-- person: user_id
-- pack: blocks (event records: the month so far is not copied again each night)
-- inputs: openl2m_log
-- Kept in files, not a view: a report reads it, and a session binds a view's every
-- file (one per day of history for the raw table), these packed like a fact's. Its
-- records never change once written, so old days are seldom written again (Rocket.Chat
-- messages, edited under the day they were sent, stay a view).
with

renamed as (
    select
        id as log_id,
        "timestamp" as logged_at,
        user_id,
        switch_id,
        group_id,
        ip_address,
        type as log_type,
        action,
        description,
        day,
    from openl2m_log
)

select * from renamed
