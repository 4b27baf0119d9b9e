-- collect coder users: one line per user whose row changed since the watermark; each
-- change is a new version (updated_at). Never hashed_password, email or login data.
-- watermark: updated_at
select
    json_build_object(
        'id', id,
        'username', username,
        'name', name,
        'avatar_url', avatar_url,
        'status', status,
        'rbac_roles', rbac_roles,
        'created_at', created_at,
        'updated_at', updated_at,
        'deleted', deleted
    )::text as line,
    updated_at as watermark
from users
where updated_at >= %(since)s
order by updated_at, id
