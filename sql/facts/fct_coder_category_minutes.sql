-- fct_coder_category_minutes: one row per (minute_at, user_id, category) of Coder's v1
-- usage metrics: a minute of use counting for a category (any, ide, tunnel, web terminal,
-- app, login), count_minutes 1; and on UTC days that only Coder's rollup covers
-- (fct_coder_usage_30m.is_from_rollup), where the minute sets are gone, one row per half
-- hour at its start: the rollup's minutes of the category summed over templates, filling
-- the half hour up to 30 beside the minutes counted from raw records (audit logins).
-- key: minute_at, user_id, category
-- partition: minute_date
-- window: 0 days
-- pack: blocks (minute grain: too large to write its month again each night)
-- person: user_id
-- inputs: fct_coder_activity_minutes, fct_coder_usage_30m
with

activity as (
    select * from fct_coder_activity_minutes
),

categories as (
    select unnest(['any', 'ide', 'tunnel', 'web terminal', 'app', 'login']) as category
),

-- each (minute, user) once, with the categories its rows count for: grouped before the
-- categories multiply the rows, a day's minutes are grouped once, not six times over
user_minutes as (
    select
        minute_at,
        user_id,
        bool_or(is_vscode or is_jetbrains) as is_ide,
        bool_or(is_ssh) as is_tunnel,
        bool_or(is_reconnecting_pty or coalesce(app_key = '[terminal]', false)) as is_web_terminal,
        bool_or(coalesce(app_key <> '[terminal]', false)) as is_app,
        bool_or(is_login) as is_login,
    from activity
    group by all
),

counted_minutes as (
    select user_minutes.minute_at, user_minutes.user_id, categories.category,
    from user_minutes
    cross join categories
    where case categories.category
        when 'ide' then user_minutes.is_ide
        when 'tunnel' then user_minutes.is_tunnel
        when 'web terminal' then user_minutes.is_web_terminal
        when 'app' then user_minutes.is_app
        when 'login' then user_minutes.is_login
        else true
    end
),

rollup_per_half_hour as (
    select
        usage.start_time,
        usage.user_id,
        categories.category,
        sum(case categories.category
            when 'ide' then least(usage.vscode_mins + usage.jetbrains_mins, usage.usage_mins)
            when 'tunnel' then usage.ssh_mins
            when 'web terminal' then least(usage.reconnecting_pty_mins + coalesce(usage.app_usage_mins['[terminal]'], 0), usage.usage_mins)
            when 'app' then least(coalesce(list_sum([e.value for e in map_entries(usage.app_usage_mins) if e.key <> '[terminal]']), 0), usage.usage_mins)
            when 'login' then 0
            else usage.usage_mins
        end) as count_minutes,
    from fct_coder_usage_30m as usage
    cross join categories
    where usage.is_from_rollup
    group by all
),

-- the minutes counted from raw records in the half hours of the rollup only (none on a
-- day of raw stats: the grouping of every minute again would be wasted)
counted_per_half_hour as (
    select
        rollup_per_half_hour.start_time,
        rollup_per_half_hour.user_id,
        rollup_per_half_hour.category,
        count(*) as count_minutes,
    from rollup_per_half_hour
    join counted_minutes
      on time_bucket(interval 30 minute, counted_minutes.minute_at) = rollup_per_half_hour.start_time
     and counted_minutes.user_id = rollup_per_half_hour.user_id
     and counted_minutes.category = rollup_per_half_hour.category
    group by all
),

rollup_minutes as (
    select
        rollup_per_half_hour.start_time as minute_at,
        rollup_per_half_hour.user_id,
        rollup_per_half_hour.category,
        least(
            rollup_per_half_hour.count_minutes,
            30 - coalesce(counted_per_half_hour.count_minutes, 0)
        )::bigint as count_minutes,
    from rollup_per_half_hour
    left join counted_per_half_hour using (start_time, user_id, category)
    where rollup_per_half_hour.count_minutes > 0
),

final as (
    select *, 1::bigint as count_minutes, utc_day(minute_at) as minute_date, from counted_minutes
    union all by name
    select *, utc_day(minute_at) as minute_date, from rollup_minutes where count_minutes > 0
)

select * from final
