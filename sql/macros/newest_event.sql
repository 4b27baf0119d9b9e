-- newest_event(events, instant): the latest value of column `instant` in an event table,
-- read from its newest day partition (`day`) alone: one file, not the whole history.
-- reads: its first argument
create or replace macro newest_event(events, instant) as table
select max(instant) as newest_event_at from query_table(events)
where day = (select max(day) from query_table(events));
