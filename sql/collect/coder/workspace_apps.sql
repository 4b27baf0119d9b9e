-- collect coder workspace_apps: one line per app created since the watermark, with the
-- workspace and build its agent belongs to (Coder's table has neither: app -> agent ->
-- resource -> the build of the resource's provisioner job). Apps of template imports and
-- dry runs belong to no build and are left out. Never the app's command or URL.
-- watermark: created_at
select
    json_build_object(
        'id', apps.id,
        'agent_id', apps.agent_id,
        'workspace_id', builds.workspace_id,
        'build_id', builds.id,
        'slug', apps.slug,
        'display_name', apps.display_name,
        'icon', apps.icon,
        'created_at', apps.created_at
    )::text as line,
    apps.created_at as watermark
from workspace_apps as apps
join workspace_agents as agents on agents.id = apps.agent_id
join workspace_resources as resources on resources.id = agents.resource_id
join workspace_builds as builds on builds.job_id = resources.job_id
where apps.created_at >= %(since)s
order by apps.created_at, apps.id
