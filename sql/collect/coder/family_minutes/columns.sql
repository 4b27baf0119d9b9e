-- family minutes of Coder releases that keep them as five columns of template_usage_stats
-- (before migration 000591).
select
    start_time,
    template_id,
    user_id,
    ssh_mins as ssh,
    sftp_mins as sftp,
    reconnecting_pty_mins as reconnecting_pty,
    vscode_mins as vscode,
    jetbrains_mins as jetbrains
from template_usage_stats
where start_time >= %(since)s
