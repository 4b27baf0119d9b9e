-- collect openl2m log: one line per switches_log record stamped since the watermark. Never
-- ip_address (a client's address: personal data no report reads) nor the interface.
-- A record without a timestamp (a nullable column Django always fills) is never read: it
-- can match no watermark and falls in no report window (docs/sources/openl2m.md).
-- watermark: timestamp
select
    json_build_object(
        'id', id,
        'timestamp', "timestamp",
        'user_id', user_id,
        'switch_id', switch_id,
        'group_id', group_id,
        'type', type,
        'action', action,
        'description', description
    )::text as line,
    "timestamp" as watermark
from switches_log
where "timestamp" >= %(since)s
order by "timestamp", id
