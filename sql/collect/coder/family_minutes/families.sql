-- family minutes of Coder releases that keep them in template_usage_stats_session_families
-- (migration 000591 on: one row per rollup row and family with minutes, none for a family
-- without): the five families of the raw contract for every rollup row, 0 for a family
-- without a row. Families Coder's registry adds beyond these have no field in the raw
-- contract and are not read.
select
    stats.start_time,
    stats.template_id,
    stats.user_id,
    coalesce(max(families.usage_mins) filter (where families.family = 'ssh'), 0) as ssh,
    coalesce(max(families.usage_mins) filter (where families.family = 'sftp'), 0) as sftp,
    coalesce(max(families.usage_mins) filter (where families.family = 'reconnecting_pty'), 0)
        as reconnecting_pty,
    coalesce(max(families.usage_mins) filter (where families.family = 'vscode'), 0) as vscode,
    coalesce(max(families.usage_mins) filter (where families.family = 'jetbrains'), 0)
        as jetbrains
from template_usage_stats as stats
left join template_usage_stats_session_families as families
  on families.start_time = stats.start_time
 and families.template_id = stats.template_id
 and families.user_id = stats.user_id
where stats.start_time >= %(since)s
group by stats.start_time, stats.template_id, stats.user_id
