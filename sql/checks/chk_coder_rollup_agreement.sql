-- chk_coder_rollup_agreement: one row per UTC day of $days where our rollup (computed from
-- the raw agent and app stats) and Coder's own template_usage_stats rows disagree on a
-- settled half hour. Both apply Coder's rules to the same records, so a disagreement is
-- a bug on one side, or raw stats missing for part of the day. Empty when they agree.
-- key: subject (the day)
-- inputs: fct_coder_usage_30m, fct_coder_raw_stats_daily, stg_coder_template_usage_stats,
--         fct_record_days
with

checked_days as (
    select unnest($days::date[]) as day
),

-- The range of $days bounds every read to its partitions (a subquery's days do not).
raw_days as (
    select stats_date as day from fct_coder_raw_stats_daily
    semi join checked_days on checked_days.day = fct_coder_raw_stats_daily.stats_date
    where stats_date between list_min($days::date[]) and list_max($days::date[])
),

ours as (
    select * from fct_coder_usage_30m
    where not is_from_rollup
      and bucket_date in (select day from raw_days)
      and bucket_date between list_min($days::date[]) and list_max($days::date[])
),

-- Coder recomputes its latest hour (and the open half hour) every few minutes: only the
-- half hours before that are final in a landed copy. The latest half hour landed: of its
-- newest day, in the records per day (no record file opened).
settled as (
    select arg_max(newest_event_at, record_date) - interval 1 hour as before
    from fct_record_days
    where table_name = 'coder_template_usage_stats'
),

theirs as (
    select * replace (median_latency_ms::float as median_latency_ms),
    from stg_coder_template_usage_stats
    where day in (select day from raw_days)
      and day between list_min($days::date[]) and list_max($days::date[])
      and start_time < (select before from settled)
),

compared as (
    select
        start_time,
        template_id,
        user_id,
        ours.usage_mins as our_usage_mins,
        theirs.usage_mins as their_usage_mins,
        concat_ws(', ',
            case when ours.usage_mins is distinct from theirs.usage_mins then 'usage_mins' end,
            case when ours.ssh_mins is distinct from theirs.ssh_mins then 'ssh_mins' end,
            case when ours.sftp_mins is distinct from theirs.sftp_mins then 'sftp_mins' end,
            case when ours.reconnecting_pty_mins is distinct from theirs.reconnecting_pty_mins then 'reconnecting_pty_mins' end,
            case when ours.vscode_mins is distinct from theirs.vscode_mins then 'vscode_mins' end,
            case when ours.jetbrains_mins is distinct from theirs.jetbrains_mins then 'jetbrains_mins' end,
            case when ours.app_usage_mins is distinct from theirs.app_usage_mins then 'app_usage_mins' end,
            case when ours.median_latency_ms is distinct from theirs.median_latency_ms then 'median_latency_ms' end
        ) as differing,
    from ours
    full join theirs using (start_time, template_id, user_id)
    where start_time < (select before from settled)
),

per_day as (
    select
        start_time::date as day,
        count(*) as count_buckets,
        arg_min(
            format('{} template {} user {}: {} (ours {} min, Coder {} min)',
                strftime(start_time, '%H:%M'), template_id, user_id, differing,
                coalesce(our_usage_mins::varchar, 'no row'), coalesce(their_usage_mins::varchar, 'no row')),
            start_time
        ) as first_difference,
    from compared
    where differing <> ''
    group by all
),

final as (
    select
        'coder_rollup_agreement' as check_name,
        format('coder {}', day) as subject,
        count_buckets::double as value,
        0::double as threshold,
        format('{} half-hour rows differ from template_usage_stats; first: {}', count_buckets, first_difference) as detail,
    from per_day
)

select * from final order by subject
