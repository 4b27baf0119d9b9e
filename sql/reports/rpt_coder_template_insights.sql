-- rpt_coder_template_insights: one row: the distinct users and templates of the rollup
-- rows in [$start, $end] ($template_ids empty = all), and per builtin the seconds of use
-- (a user's minutes per half hour summed over templates and capped at 30) and the
-- templates with minutes of that type.
-- key: (one row)
-- inputs: fct_coder_usage_30m
with

usage as (
    select * from coder_usage($start, $end, $template_ids)
),

capped as (
    select
        start_time,
        user_id,
        least(sum(usage_mins), 30) as usage_mins,
        least(sum(ssh_mins), 30) as ssh_mins,
        least(sum(sftp_mins), 30) as sftp_mins,
        least(sum(reconnecting_pty_mins), 30) as reconnecting_pty_mins,
        least(sum(vscode_mins), 30) as vscode_mins,
        least(sum(jetbrains_mins), 30) as jetbrains_mins,
    from usage
    group by all
),

templates as (
    select
        coalesce(list(distinct template_id order by template_id), []) as template_ids,
        coalesce(list(distinct template_id order by template_id) filter (where ssh_mins > 0), []) as ssh_template_ids,
        coalesce(list(distinct template_id order by template_id) filter (where sftp_mins > 0), []) as sftp_template_ids,
        coalesce(list(distinct template_id order by template_id) filter (where reconnecting_pty_mins > 0), []) as reconnecting_pty_template_ids,
        coalesce(list(distinct template_id order by template_id) filter (where vscode_mins > 0), []) as vscode_template_ids,
        coalesce(list(distinct template_id order by template_id) filter (where jetbrains_mins > 0), []) as jetbrains_template_ids,
    from usage
),

final as (
    select
        templates.*,
        (select count(distinct user_id) from capped) as active_users,
        (select coalesce(sum(ssh_mins), 0) * 60 from capped)::bigint as ssh_seconds,
        (select coalesce(sum(sftp_mins), 0) * 60 from capped)::bigint as sftp_seconds,
        (select coalesce(sum(reconnecting_pty_mins), 0) * 60 from capped)::bigint as reconnecting_pty_seconds,
        (select coalesce(sum(vscode_mins), 0) * 60 from capped)::bigint as vscode_seconds,
        (select coalesce(sum(jetbrains_mins), 0) * 60 from capped)::bigint as jetbrains_seconds,
    from templates
)

select * from final
