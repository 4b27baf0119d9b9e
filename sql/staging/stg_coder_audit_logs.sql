-- stg_coder_audit_logs: one row per audit record.
-- key: audit_log_id
-- inputs: coder_audit_logs
with

renamed as (
    select
        id as audit_log_id,
        "time" as logged_at,
        user_id,
        organization_id,
        action,
        resource_type,
        status_code,
        day,
    from coder_audit_logs
)

select * from renamed
