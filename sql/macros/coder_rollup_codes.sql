-- coder_rollup_codes(): every user id and template id of Coder's 30-minute rollup
-- (fct_coder_usage_30m) with its code: its place from 0 among the sorted ids of its kind
-- ('user' or 'template'). A session holds the rollup's rows with these codes, not the ids
-- (rpt_coder_usage_held, rpt_coder_app_usage_held, rpt_coder_rollup_ids_held: rollup.py):
-- at 3,000 users no string a row is read.
-- reads: fct_coder_usage_30m
create or replace macro coder_rollup_codes() as table
select
    'user' as kind,
    user_id as id,
    (dense_rank() over (order by user_id) - 1)::integer as code,
from (select distinct user_id from fct_coder_usage_30m)
union all
select 'template', template_id, (dense_rank() over (order by template_id) - 1)::integer,
from (select distinct template_id from fct_coder_usage_30m);
