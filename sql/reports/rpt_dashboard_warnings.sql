-- rpt_dashboard_warnings: the warnings of the latest run that ran the checks.
-- key: check_name, subject
-- inputs: checks
with

latest_checks as (
    select * from checks
    where run_id = (select max(run_id) from checks)
),

final as (
    select check_name, subject, detail,
    from latest_checks
    order by all
)

select * from final
