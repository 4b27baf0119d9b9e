-- rpt_seatable_scripts_running_held: one row per local month (month_start), kind (is_user:
-- owners, else orgs) and group with script runs finishing in that month, as
-- rpt_seatable_scripts_running answers a month: its runs and run time, the nickname and
-- org name as of $now, and its place in each order the endpoint offers (rank_<order_by>,
-- 1 first; the org and the key break ties, as there: no two rows tie). A session holds
-- it once the names no longer change (rpt_seatable_names_settled_held) and pages a
-- request's month from it.
-- key: month_start, is_user, group_key
-- inputs: fct_seatable_script_runs_daily, stg_seatable_users, stg_seatable_orgs
with

runs as (
    select date_trunc('month', finished_date)::date as month_start, *,
    from fct_seatable_script_runs_daily
),

-- A run counts for its owner (not a group) and for its org (not -1).
groups as (
    select month_start, true as is_user, owner as group_key, null::bigint as org_id,
        sum(count_runs)::bigint as total_run_count, sum(run_seconds) as total_run_time,
    from runs
    where not is_group_owned
    group by all
    union all
    select month_start, false, org_id::varchar, org_id,
        sum(count_runs)::bigint, sum(run_seconds),
    from runs
    where org_id <> -1
    group by all
),

final as (
    select
        groups.*,
        if(groups.is_user, groups.group_key, null) as username,
        users.nickname,
        orgs.org_name,
        rank() over (kind order by groups.org_id, groups.group_key) as "rank_",
        rank() over (kind order by total_run_count asc, groups.org_id, groups.group_key)
            as rank_total_run_count,
        rank() over (kind order by total_run_count desc, groups.org_id, groups.group_key)
            as "rank_-total_run_count",
        rank() over (kind order by total_run_time asc, groups.org_id, groups.group_key)
            as rank_total_run_time,
        rank() over (kind order by total_run_time desc, groups.org_id, groups.group_key)
            as "rank_-total_run_time",
    from groups
    left join as_of(stg_seatable_users, $now) as users
        on groups.is_user and users.username = groups.group_key
    left join as_of(stg_seatable_orgs, $now) as orgs on orgs.org_id = groups.org_id
    window kind as (partition by groups.month_start, groups.is_user)
)

select * from final
