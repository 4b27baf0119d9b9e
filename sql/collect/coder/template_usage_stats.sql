-- collect coder template_usage_stats: one line per rollup row (half hour, template, user)
-- starting since the watermark. Coder rewrites its latest hour in place every few minutes,
-- so the overlap re-reads it; the copy read last wins.
-- watermark: start_time
select
    json_build_object(
        'start_time', start_time,
        'end_time', end_time,
        'template_id', template_id,
        'user_id', user_id,
        'median_latency_ms', median_latency_ms,
        'usage_mins', usage_mins,
        'ssh_mins', ssh_mins,
        'sftp_mins', sftp_mins,
        'reconnecting_pty_mins', reconnecting_pty_mins,
        'vscode_mins', vscode_mins,
        'jetbrains_mins', jetbrains_mins,
        'app_usage_mins', app_usage_mins
    )::text as line,
    start_time as watermark
from template_usage_stats
where start_time >= %(since)s
order by start_time, template_id, user_id
