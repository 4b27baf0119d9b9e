-- as_of(versions, instant): the rows of a versioned staging table current at an instant:
-- valid from it or earlier, and not replaced by it. Only the versions replaced on or after
-- the instant's day are read (valid_to_date partitions); the current ones have 9999-12-31.
-- reads: its first argument
create or replace macro as_of(versions, instant) as table
select * from query_table(versions)
where valid_to_date >= instant::date
  and valid_from <= instant
  and (valid_to is null or valid_to > instant);

-- current_versions(versions): the rows of a versioned staging table current now, read
-- from their partition alone.
-- reads: its first argument
create or replace macro current_versions(versions) as table
select * from query_table(versions)
where valid_to_date = DATE '9999-12-31';

-- last_change(versions): the latest instant a versioned staging table's rows name (a
-- version's start or end; null without rows): from it on, as_of(versions, instant) is the
-- same for every later instant.
-- reads: its first argument
create or replace macro last_change(versions) as table
select max(greatest(valid_from, valid_to)) as instant from query_table(versions);
