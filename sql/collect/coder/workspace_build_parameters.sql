-- collect coder workspace_build_parameters: one line per parameter of the builds created
-- since the watermark (written with the build).
-- watermark: the build's created_at
select
    json_build_object(
        'workspace_build_id', parameters.workspace_build_id,
        'name', parameters.name,
        'value', parameters.value
    )::text as line,
    builds.created_at as watermark
from workspace_build_parameters as parameters
join workspace_builds as builds on builds.id = parameters.workspace_build_id
where builds.created_at >= %(since)s
order by builds.created_at, parameters.workspace_build_id, parameters.name
