-- session counts of Coder releases that keep them in workspace_agent_session_counts (one
-- row per report and app name, counts above zero only): summed per family of app names.
select
    counts.workspace_agent_stats_id as stats_id,
    sum(counts.count) filter (where families.family = 'vscode') as vscode,
    sum(counts.count) filter (where families.family = 'jetbrains') as jetbrains,
    sum(counts.count) filter (where families.family = 'reconnecting_pty') as reconnecting_pty,
    sum(counts.count) filter (where families.family = 'ssh') as ssh
from workspace_agent_session_counts as counts
join jsonb_each_text(%(families)s::jsonb) as families(app_name, family)
  on families.app_name = counts.app_name
where counts.created_at >= greatest(%(since)s, coalesce(%(horizon)s::timestamptz, '-infinity'::timestamptz))
group by counts.workspace_agent_stats_id
