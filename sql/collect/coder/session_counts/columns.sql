-- session counts of Coder releases that keep them as four columns of workspace_agent_stats.
select
    id as stats_id,
    session_count_vscode as vscode,
    session_count_jetbrains as jetbrains,
    session_count_reconnecting_pty as reconnecting_pty,
    session_count_ssh as ssh
from workspace_agent_stats
where created_at >= greatest(%(since)s, coalesce(%(horizon)s::timestamptz, '-infinity'::timestamptz))
