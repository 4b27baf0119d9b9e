-- stg_coder_workspace_agent_stats: one row per agent report.
-- key: agent_stats_id
-- inputs: coder_workspace_agent_stats
with

renamed as (
    select
        id as agent_stats_id,
        created_at,
        user_id,
        agent_id,
        workspace_id,
        template_id,
        connection_count as count_connections,
        connection_median_latency_ms,
        session_count_vscode as count_vscode_sessions,
        session_count_jetbrains as count_jetbrains_sessions,
        session_count_reconnecting_pty as count_reconnecting_pty_sessions,
        session_count_ssh as count_ssh_sessions,
        rx_bytes,
        tx_bytes,
        rx_packets,
        tx_packets,
        usage as is_usage,
        -- a session of any type open in the report's interval
        session_count_vscode > 0
          or session_count_jetbrains > 0
          or session_count_reconnecting_pty > 0
          or session_count_ssh > 0 as has_session,
        day,
    from coder_workspace_agent_stats
)

select * from renamed
