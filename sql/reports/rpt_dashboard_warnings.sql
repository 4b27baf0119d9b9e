-- rpt_dashboard_warnings: the warnings of the latest run that ran the checks.
-- key: check_name, subject
-- inputs: checks
select check_name, subject, detail,
from checks
where run_id = (select max(run_id) from checks)
order by all
