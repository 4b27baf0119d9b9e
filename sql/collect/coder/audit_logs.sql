-- collect coder audit_logs: one line per audit record since the watermark. Never the diff,
-- the additional fields, the IP address or the user agent. Site-wide records carry the nil
-- organization id: written as null.
-- watermark: time
select
    json_build_object(
        'id', id,
        'time', "time",
        'user_id', user_id,
        'organization_id', nullif(organization_id, '00000000-0000-0000-0000-000000000000'),
        'action', action,
        'resource_type', resource_type,
        'status_code', status_code
    )::text as line,
    "time" as watermark
from audit_logs
where "time" >= %(since)s
order by "time", id
