-- collect coder workspaces: one line per workspace changed since the watermark.
-- watermark: updated_at
select
    json_build_object(
        'id', id,
        'owner_id', owner_id,
        'organization_id', organization_id,
        'template_id', template_id,
        'name', name,
        'created_at', created_at,
        'updated_at', updated_at,
        'deleted', deleted
    )::text as line,
    updated_at as watermark
from workspaces
where updated_at >= %(since)s
order by updated_at, id
