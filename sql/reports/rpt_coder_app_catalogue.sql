-- rpt_coder_app_catalogue: Coder's app catalogue as of $now: one row per (template, slug)
-- of every app of every workspace of the template, named after the most recently created
-- app with that slug ("" where unset). The templates insights match it against the
-- rollup's app minutes (rollup.py); ports and '[terminal]' are no slug of it.
-- key: template_id, slug
-- inputs: stg_coder_workspace_apps, stg_coder_workspaces
with

final as (
    select
        workspaces.template_id,
        apps.slug,
        arg_max(coalesce(apps.display_name, ''), (apps.created_at, apps.app_id)) as display_name,
        arg_max(coalesce(apps.icon, ''), (apps.created_at, apps.app_id)) as icon,
    from as_of(stg_coder_workspace_apps, $now) as apps
    join as_of(stg_coder_workspaces, $now) as workspaces using (workspace_id)
    group by all
)

select * from final
