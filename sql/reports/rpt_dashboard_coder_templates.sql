-- rpt_dashboard_coder_templates: one row per Coder template with rollup rows in
-- [$start, $end): its hours of use, its active users and the 50th and 95th percentile of
-- its half hours' median latency (as Coder's user latency computes them); the template's
-- display name as of $now.
-- key: template_id
-- inputs: fct_coder_usage_30m, stg_coder_templates
with

usage as (
    select * from coder_usage($start, $end, [])
),

templates as (
    select template_id, coalesce(nullif(display_name, ''), name) as template_name,
    from as_of(stg_coder_templates, $now)
),

per_template as (
    select
        template_id,
        round(sum(usage_mins) / 60, 1) as hours,
        count(distinct user_id) as active_users,
        pg_percentile_cont(list(median_latency_ms::double), 0.5) as p50_ms,
        pg_percentile_cont(list(median_latency_ms::double), 0.95) as p95_ms,
    from usage
    group by all
),

final as (
    select
        per_template.template_id,
        coalesce(templates.template_name, per_template.template_id) as template_name,
        per_template.hours,
        per_template.active_users,
        round(per_template.p50_ms, 1) as p50_ms,
        round(per_template.p95_ms, 1) as p95_ms,
    from per_template
    left join templates using (template_id)
    order by per_template.hours desc, template_name
)

select * from final
