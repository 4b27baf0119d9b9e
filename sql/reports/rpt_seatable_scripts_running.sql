-- rpt_seatable_scripts_running: one row per group (owner when $is_user, else org_id)
-- with runs finishing in the local month [$month_start, $month_end), nicknames and org
-- names as of $now (the endpoint turns a nickname into SeaTable's display name);
-- every group of the month, ordered by $order_by (the key breaks ties), with the total
-- number of groups on each row for paging.
-- key: group_key
-- inputs: fct_seatable_script_runs_daily, stg_seatable_users, stg_seatable_orgs
with

runs as (
    select * from fct_seatable_script_runs_daily
    where finished_date >= $month_start::date
      and finished_date < $month_end::date
),

users as (
    select username, nickname from as_of(stg_seatable_users, $now)
),

orgs as (
    select org_id, org_name from as_of(stg_seatable_orgs, $now)
),

per_owner as (
    select
        owner as group_key,
        null::bigint as org_id,
        owner as username,
        sum(count_runs)::bigint as total_run_count,
        sum(run_seconds) as total_run_time,
    from runs
    where $is_user and not is_group_owned
    group by all
),

per_org as (
    select
        org_id::varchar as group_key,
        org_id,
        null as username,
        sum(count_runs)::bigint as total_run_count,
        sum(run_seconds) as total_run_time,
    from runs
    where not $is_user and org_id <> -1
    group by all
),

named as (
    select
        groups.*,
        users.nickname,
        orgs.org_name,
    from (select * from per_owner union all select * from per_org) as groups
    left join users on users.username = groups.username
    left join orgs on orgs.org_id = groups.org_id
),

final as (
    select
        *,
        count(*) over () as count_groups,
    from named
    order by
        case when $order_column = 'total_run_count' and not $descending then total_run_count end asc,
        case when $order_column = 'total_run_count' and $descending then total_run_count end desc,
        case when $order_column = 'total_run_time' and not $descending then total_run_time end asc,
        case when $order_column = 'total_run_time' and $descending then total_run_time end desc,
        org_id asc,
        group_key asc
)

select * from final
