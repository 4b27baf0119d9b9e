-- rpt_coder_app_usage_held: the app minutes of every row of Coder's 30-minute rollup, as a
-- session holds them (rollup.py): one row per (rollup row, app key), in the order of
-- rpt_coder_usage_held's rows (start_time, user_id, template_id), then by app key; users
-- and templates as codes (coder_rollup_codes).
-- key: start_time, user_id, template_id, app_key
-- inputs: fct_coder_usage_30m
with

codes as (select kind, id, code, from coder_rollup_codes()),

final as (
    select
        epoch_us(start_time) as start_us,
        users.code as user_code,
        templates.code as template_code,
        unnest(map_keys(app_usage_mins)) as app_key,
        unnest(map_values(app_usage_mins)) as app_mins,
    from fct_coder_usage_30m
    join codes as users on users.kind = 'user' and users.id = user_id
    join codes as templates on templates.kind = 'template' and templates.id = template_id
    order by start_time, user_code, template_code, app_key
)

select * from final
