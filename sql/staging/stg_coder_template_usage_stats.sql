-- stg_coder_template_usage_stats: one row per row of Coder's own rollup (half hour,
-- template, user), with Coder's names as the rollup fact keeps them.
-- key: start_time, template_id, user_id
-- inputs: coder_template_usage_stats
with

renamed as (
    select
        start_time,
        end_time,
        template_id,
        user_id,
        median_latency_ms,
        usage_mins,
        ssh_mins,
        sftp_mins,
        reconnecting_pty_mins,
        vscode_mins,
        jetbrains_mins,
        -- keys in order, as computed maps have them (a MAP compares in key order)
        map_from_entries(list_sort(map_entries(coalesce(app_usage_mins, map([]::varchar[], []::bigint[]))))) as app_usage_mins,
        day,
    from coder_template_usage_stats
)

select * from renamed
