-- day_counts(events, table_name): the records of each UTC day partition (`day`) of the
-- event table named `events` (a string), under the name table_name.
-- reads: its first argument
create or replace macro day_counts(events, table_name) as table
select table_name as table_name, day as record_date, count(*) as count_records,
from query_table(events)
group by all;
