-- rpt_coder_app_usage_held: the app minutes of every row of Coder's 30-minute rollup, as a
-- session holds them (rollup.py): one row per (rollup row, app key), in the order of
-- rpt_coder_usage_held's rows (start_time, user_id, template_id), then by app key.
-- key: start_time, user_id, template_id, app_key
-- inputs: fct_coder_usage_30m
with

final as (
    select
        epoch_us(start_time) as start_us,
        user_id,
        template_id,
        unnest(map_keys(app_usage_mins)) as app_key,
        unnest(map_values(app_usage_mins)) as app_mins,
    from fct_coder_usage_30m
    order by start_time, user_id, template_id, app_key
)

select * from final
