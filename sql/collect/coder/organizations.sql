-- collect coder organizations: one line per organization changed since the watermark.
-- watermark: updated_at
select
    json_build_object(
        'id', id,
        'name', name,
        'display_name', display_name,
        'created_at', created_at,
        'updated_at', updated_at
    )::text as line,
    updated_at as watermark
from organizations
where updated_at >= %(since)s
order by updated_at, id
