-- stg_coder_workspace_app_stats: one row per app session (its latest end).
-- key: agent_id, session_id
-- inputs: coder_workspace_app_stats
with

renamed as (
    select
        id as app_stats_id,
        user_id,
        workspace_id,
        agent_id,
        access_method,
        slug_or_port,
        session_id,
        session_started_at,
        session_ended_at,
        requests as count_requests,
        day,
    from coder_workspace_app_stats
)

select * from renamed
