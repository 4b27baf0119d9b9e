-- day_counts(events, instant): the records of each UTC day partition (`day`) of the
-- staging view named `events` (a string, 'stg_<raw table>'), under the raw table's name,
-- and the latest value of its column `instant` among them.
-- reads: its first argument
create or replace macro day_counts(events, instant) as table
select
    regexp_replace(events, '^stg_', '') as table_name,
    day as record_date,
    count(*) as count_records,
    max(instant) as newest_event_at,
from query_table(events)
group by all;
