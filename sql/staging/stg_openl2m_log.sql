-- stg_openl2m_log: one row per OpenL2M log record.
-- key: log_id
-- inputs: openl2m_log
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
