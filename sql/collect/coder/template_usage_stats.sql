-- collect coder template_usage_stats: one line per rollup row (half hour, template, user)
-- starting since the watermark. Coder rewrites its latest hour in place every few minutes,
-- so the overlap re-reads it; the copy read last wins. The minutes per app family come
-- from family_minutes, one of family_minutes/*.sql for this Coder's schema.
-- watermark: start_time
select
    json_build_object(
        'start_time', stats.start_time,
        'end_time', stats.end_time,
        'template_id', stats.template_id,
        'user_id', stats.user_id,
        'median_latency_ms', stats.median_latency_ms,
        'usage_mins', stats.usage_mins,
        'ssh_mins', minutes.ssh,
        'sftp_mins', minutes.sftp,
        'reconnecting_pty_mins', minutes.reconnecting_pty,
        'vscode_mins', minutes.vscode,
        'jetbrains_mins', minutes.jetbrains,
        'app_usage_mins', stats.app_usage_mins
    )::text as line,
    stats.start_time as watermark
from template_usage_stats as stats
join family_minutes as minutes
  on minutes.start_time = stats.start_time
 and minutes.template_id = stats.template_id
 and minutes.user_id = stats.user_id
where stats.start_time >= %(since)s
order by stats.start_time, stats.template_id, stats.user_id
