-- rpt_coder_template_app_insights: one row per app (slug, display_name, icon) used in
-- [$start, $end]: the templates it was used in, its seconds (a user's minutes per half
-- hour summed over templates and capped at 30) and times_used (per user, the runs of
-- consecutive half hours with use, summed over users). Ports and '[terminal]' never
-- match an app of the catalogue, so they never appear.
-- key: slug, display_name, icon
-- inputs: fct_coder_usage_30m, stg_coder_workspace_apps, stg_coder_workspaces
with

-- The app catalogue as of $now: every slug of every workspace of a template, named after
-- the most recently created app with that slug.
catalogue as (
    select
        workspaces.template_id,
        apps.slug,
        arg_max(coalesce(apps.display_name, ''), (apps.created_at, apps.app_id)) as display_name,
        arg_max(coalesce(apps.icon, ''), (apps.created_at, apps.app_id)) as icon,
    from as_of(stg_coder_workspace_apps, $now) as apps
    join as_of(stg_coder_workspaces, $now) as workspaces using (workspace_id)
    where len($template_ids::varchar[]) = 0 or list_contains($template_ids::varchar[], workspaces.template_id)
    group by all
),

usage_with_apps as (
    select
        usage.start_time,
        usage.template_id,
        usage.user_id,
        catalogue.slug,
        catalogue.display_name,
        catalogue.icon,
        usage.app_usage_mins[catalogue.slug] as usage_mins,
    from coder_usage($start, $end, $template_ids) as usage
    join catalogue
      on catalogue.template_id = usage.template_id
     and map_contains(usage.app_usage_mins, catalogue.slug)
),

capped as (
    select
        slug,
        display_name,
        icon,
        least(sum(usage_mins), 30) as usage_mins,
    from usage_with_apps
    group by start_time, user_id, slug, display_name, icon
),

runs as (
    -- Consecutive half hours share one value of run_key: a run of continuous use.
    select distinct
        user_id,
        slug,
        display_name,
        icon,
        start_time - to_minutes(30 * dense_rank() over (
            partition by user_id, slug, display_name, icon order by start_time
        )) as run_key,
    from usage_with_apps
),

final as (
    select
        (select list(distinct template_id order by template_id) from usage_with_apps as u
         where u.slug = capped.slug and u.display_name = capped.display_name and u.icon = capped.icon) as template_ids,
        slug,
        display_name,
        icon,
        (sum(usage_mins) * 60)::bigint as seconds,
        (select count(*) from runs
         where runs.slug = capped.slug and runs.display_name = capped.display_name and runs.icon = capped.icon) as times_used,
    from capped
    group by slug, display_name, icon
)

select * from final
