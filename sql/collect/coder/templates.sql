-- collect coder templates: one line per template changed since the watermark.
-- watermark: updated_at
select
    json_build_object(
        'id', id,
        'organization_id', organization_id,
        'name', name,
        'display_name', display_name,
        'icon', icon,
        'created_at', created_at,
        'updated_at', updated_at,
        'deleted', deleted
    )::text as line,
    updated_at as watermark
from templates
where updated_at >= %(since)s
order by updated_at, id
