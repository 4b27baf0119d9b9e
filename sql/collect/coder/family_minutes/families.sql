-- family minutes of Coder releases that keep them in template_usage_stats_session_families
-- (migration 000591 on: one row per rollup row and family with minutes, none for a family
-- without): the five families of the raw contract, one column each. Families Coder's
-- registry adds beyond these have no field in the contract and are not read.
select
    start_time,
    template_id,
    user_id,
    max(usage_mins) filter (where family = 'ssh') as ssh,
    max(usage_mins) filter (where family = 'sftp') as sftp,
    max(usage_mins) filter (where family = 'reconnecting_pty') as reconnecting_pty,
    max(usage_mins) filter (where family = 'vscode') as vscode,
    max(usage_mins) filter (where family = 'jetbrains') as jetbrains
from template_usage_stats_session_families
where start_time >= %(since)s
  and family in ('ssh', 'sftp', 'reconnecting_pty', 'vscode', 'jetbrains')
group by start_time, template_id, user_id
