-- rpt_dashboard_seatable_runs: one row per month (in the reporting time zone) of
-- [$first, $last] from the month of the first script run: SeaTable's script runs and their
-- hours, zero-filled after that month and never before it.
-- key: month_start_date
-- inputs: fct_seatable_script_runs_daily
with

runs as (
    select * from fct_seatable_script_runs_daily
    where finished_date between $first::date and $last::date
),

months as (
    select range::date as month_start_date
    from range(date_trunc('month', $first::date), $last::date + 1, interval 1 month)
    where range >= (select date_trunc('month', min(finished_date)) from fct_seatable_script_runs_daily)
),

per_month as (
    select
        date_trunc('month', finished_date)::date as month_start_date,
        sum(count_runs)::bigint as count_runs,
        round(sum(run_seconds) / 3600, 2) as run_hours,
    from runs
    group by all
),

final as (
    select
        months.month_start_date,
        coalesce(per_month.count_runs, 0) as count_runs,
        coalesce(per_month.run_hours, 0) as run_hours,
    from months
    left join per_month using (month_start_date)
    order by months.month_start_date
)

select * from final
