-- rpt_coder_usage_held: every row of Coder's 30-minute rollup, as a session holds it for
-- the insights' window arithmetic (pipelines/endpoints/coder/rollup.py), read once per
-- committed run: ordered by start_time, user_id, template_id, so the rows of a window are
-- one run of rows and a user's rows of a half hour one run within it; times in
-- microseconds since the epoch; the median latency with a flag for null.
-- key: start_time, user_id, template_id
-- inputs: fct_coder_usage_30m
with

final as (
    select
        epoch_us(start_time) as start_us,
        epoch_us(end_time) as end_us,
        user_id,
        template_id,
        usage_mins,
        ssh_mins,
        sftp_mins,
        reconnecting_pty_mins,
        vscode_mins,
        jetbrains_mins,
        median_latency_ms is not null as has_latency,
        coalesce(median_latency_ms::double, 0) as latency_ms,
    from fct_coder_usage_30m
    order by start_time, user_id, template_id
)

select * from final
