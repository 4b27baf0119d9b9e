-- collect coder workspace_agent_stats: one line per agent report created since the
-- watermark and not before the horizon (see horizon.sql). The session counts come from
-- session_counts, one of session_counts/*.sql for this Coder's schema: the four counts of
-- a report by Coder's app-name families.
-- watermark: created_at
select
    json_build_object(
        'id', stats.id,
        'created_at', stats.created_at,
        'user_id', stats.user_id,
        'agent_id', stats.agent_id,
        'workspace_id', stats.workspace_id,
        'template_id', stats.template_id,
        'connection_count', stats.connection_count,
        'connection_median_latency_ms', stats.connection_median_latency_ms,
        'session_count_vscode', coalesce(counts.vscode, 0),
        'session_count_jetbrains', coalesce(counts.jetbrains, 0),
        'session_count_reconnecting_pty', coalesce(counts.reconnecting_pty, 0),
        'session_count_ssh', coalesce(counts.ssh, 0),
        'rx_bytes', stats.rx_bytes,
        'tx_bytes', stats.tx_bytes,
        'rx_packets', stats.rx_packets,
        'tx_packets', stats.tx_packets,
        'usage', stats.usage
    )::text as line,
    stats.created_at as watermark
from workspace_agent_stats as stats
left join session_counts as counts on counts.stats_id = stats.id
where stats.created_at >= greatest(%(since)s, coalesce(%(horizon)s::timestamptz, '-infinity'::timestamptz))
order by stats.created_at, stats.id
