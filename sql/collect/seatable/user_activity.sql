-- collect seatable user_activity: one line per (user, UTC day) active since the watermark.
-- SeaTable writes one row per user and UTC day, stamped with that day's midnight, and
-- rewrites it (REPLACE INTO: a new id) at each visit that day: the day is the watermark,
-- never the id, and the overlap reads the last day again.
-- database: dtable
-- watermark: timestamp
select
    username,
    `timestamp`,
    org_id,
    `timestamp` as watermark
from {dtable}.user_activity_statistics
where `timestamp` >= %(since)s
order by `timestamp`, username
