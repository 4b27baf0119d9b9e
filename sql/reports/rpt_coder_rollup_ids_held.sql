-- rpt_coder_rollup_ids_held: the user ids and template ids of Coder's 30-minute rollup, as
-- a session holds them (rollup.py): per kind ('user', 'template') its ids sorted, a code
-- (coder_rollup_codes) being an id's place among them.
-- key: kind
-- inputs: fct_coder_usage_30m
with

final as (
    select kind, list(id order by code) as ids,
    from coder_rollup_codes()
    group by kind
)

select * from final
