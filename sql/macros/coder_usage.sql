-- coder_usage(range_start, range_end, template_ids): the rows of Coder's 30-minute rollup
-- (fct_coder_usage_30m) inside a request's range, of its templates (none: all), reading
-- only the UTC day partitions of the range; every Coder insight starts from these.
-- reads: fct_coder_usage_30m
create or replace macro coder_usage(range_start, range_end, template_ids) as table
select * from query_table('fct_coder_usage_30m')
where start_time >= range_start::timestamptz
  and end_time <= range_end::timestamptz
  and bucket_date between range_start::timestamptz::date and range_end::timestamptz::date
  and (len(template_ids::varchar[]) = 0 or list_contains(template_ids::varchar[], template_id));
