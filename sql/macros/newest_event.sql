-- newest_event(events, instant): the latest value of column `instant` in the event table
-- named `events` (a string), read from its newest day partition (`day`) alone, which the
-- session's newest_partition() knows from the catalog: one file, not the whole history.
-- reads: its first argument
create or replace macro newest_event(events, instant) as table
select max(instant) as newest_event_at from query_table(events)
where day = newest_partition(events);
