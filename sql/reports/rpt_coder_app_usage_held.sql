-- rpt_coder_app_usage_held: the app minutes of every row of Coder's 30-minute rollup, as a
-- session holds them (rollup.py): one row per (rollup row, app key), the rollup row by
-- its position in rpt_coder_usage_held's order (start_time, user_id, template_id).
-- key: row, app_key
-- inputs: fct_coder_usage_30m
with

numbered as (
    select
        row_number() over (order by start_time, user_id, template_id) - 1 as row,
        app_usage_mins,
    from fct_coder_usage_30m
),

final as (
    select
        row,
        unnest(map_keys(app_usage_mins)) as app_key,
        unnest(map_values(app_usage_mins)) as app_mins,
    from numbered
    order by row, app_key
)

select * from final
