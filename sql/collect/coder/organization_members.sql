-- collect coder organization_members: one line per membership changed since the watermark.
-- watermark: updated_at
select
    json_build_object(
        'organization_id', organization_id,
        'user_id', user_id,
        'created_at', created_at,
        'updated_at', updated_at,
        'roles', roles
    )::text as line,
    updated_at as watermark
from organization_members
where updated_at >= %(since)s
order by updated_at, organization_id, user_id
