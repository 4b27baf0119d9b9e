-- collect seatable script_runs: one line per script run finished since the watermark. Never
-- the run's output or context data (they may hold a base's data). No spend_time: the
-- scheduler sets finished_at to started_at + spend_time, so the contract's default,
-- finished_at - started_at, is the same time.
-- Left out, as SeaTable's statistics never count them: the runs its scheduler closed
-- itself (success 0, return code -1 and one of its fixed outputs): the timeout sweeper's,
-- the rate limit's and a failed dispatch's. The output is compared here, never returned.
-- database: scheduler
-- watermark: finished_at
select
    id,
    dtable_uuid,
    owner,
    org_id,
    script_name,
    started_at,
    finished_at,
    success,
    return_code,
    finished_at as watermark
from {scheduler}.script_log
where finished_at >= %(since)s
  and not coalesce(
      success = 0
      and return_code = -1
      and output in ('timeout', 'Running scripts too frequently in a short period of time', 'Failed'),
      false
  )
order by finished_at, id
