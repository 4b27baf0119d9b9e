-- day_counts(events): the records of each UTC day partition (`day`) of the staging view
-- named `events` (a string, 'stg_<raw table>'), under the raw table's name.
-- reads: its first argument
create or replace macro day_counts(events) as table
select regexp_replace(events, '^stg_', '') as table_name, day as record_date, count(*) as count_records,
from query_table(events)
group by all;
