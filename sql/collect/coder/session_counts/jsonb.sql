-- session counts of Coder releases that keep them in workspace_agent_stats.session_counts
-- (a JSON object app name -> count): summed per family of app names.
select
    stats.id as stats_id,
    sum(counts.count::bigint) filter (where families.family = 'vscode') as vscode,
    sum(counts.count::bigint) filter (where families.family = 'jetbrains') as jetbrains,
    sum(counts.count::bigint) filter (where families.family = 'reconnecting_pty') as reconnecting_pty,
    sum(counts.count::bigint) filter (where families.family = 'ssh') as ssh
from workspace_agent_stats as stats
cross join jsonb_each_text(stats.session_counts) as counts(app_name, count)
join jsonb_each_text(%(families)s::jsonb) as families(app_name, family)
  on families.app_name = counts.app_name
where stats.created_at >= greatest(%(since)s, coalesce(%(horizon)s::timestamptz, '-infinity'::timestamptz))
group by stats.id
