-- rpt_coder_usage_held: every row of Coder's 30-minute rollup, as a session holds it for
-- the insights' window arithmetic (pipelines/endpoints/coder/rollup.py), read once per
-- committed run: ordered by start_time, user_id, template_id, so the rows of a window are
-- one run of rows and a user's rows of a half hour one run within it; times in
-- microseconds since the epoch; minutes as 32-bit integers (at most 30 a row); users and
-- templates as codes (coder_rollup_codes, in the order of their ids); the median latency
-- with a flag for null.
-- key: start_time, user_id, template_id
-- inputs: fct_coder_usage_30m
with

users as (select id as user_id, code as user_code, from coder_rollup_codes() where kind = 'user'),

templates as (
    select id as template_id, code as template_code, from coder_rollup_codes()
    where kind = 'template'
),

final as (
    select
        epoch_us(start_time) as start_us,
        epoch_us(end_time) as end_us,
        user_code,
        template_code,
        usage_mins::integer as usage_mins,
        ssh_mins::integer as ssh_mins,
        sftp_mins::integer as sftp_mins,
        reconnecting_pty_mins::integer as reconnecting_pty_mins,
        vscode_mins::integer as vscode_mins,
        jetbrains_mins::integer as jetbrains_mins,
        median_latency_ms is not null as has_latency,
        coalesce(median_latency_ms::double, 0) as latency_ms,
    from fct_coder_usage_30m
    join users using (user_id)
    join templates using (template_id)
    order by start_time, user_code, template_code
)

select * from final
