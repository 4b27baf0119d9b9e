-- collect coder template_versions: one line per version changed since the watermark (a
-- version uploaded before its template gets its template_id later: updated_at moves).
-- Never the readme or the message.
-- watermark: updated_at
select
    json_build_object(
        'id', id,
        'template_id', template_id,
        'name', name,
        'created_at', created_at
    )::text as line,
    updated_at as watermark
from template_versions
where updated_at >= %(since)s
order by updated_at, id
