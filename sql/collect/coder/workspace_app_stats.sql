-- collect coder workspace_app_stats: one line per app session that ended since the
-- watermark (Coder extends a live session's end in place) and not before the horizon (see
-- horizon.sql: a session still running at the horizon is landed whole; its day is the day
-- it ends, fct_coder_raw_stats_daily).
-- watermark: session_ended_at
select
    json_build_object(
        'id', id,
        'user_id', user_id,
        'workspace_id', workspace_id,
        'agent_id', agent_id,
        'access_method', access_method,
        'slug_or_port', slug_or_port,
        'session_id', session_id,
        'session_started_at', session_started_at,
        'session_ended_at', session_ended_at,
        'requests', requests
    )::text as line,
    session_ended_at as watermark
from workspace_app_stats
where session_ended_at >= greatest(%(since)s, coalesce(%(horizon)s::timestamptz, '-infinity'::timestamptz))
order by session_ended_at, id
