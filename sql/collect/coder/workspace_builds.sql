-- collect coder workspace_builds: one line per build created since the watermark. Never
-- provisioner_state (Terraform state).
-- watermark: created_at
select
    json_build_object(
        'id', id,
        'workspace_id', workspace_id,
        'template_version_id', template_version_id,
        'build_number', build_number,
        'transition', transition,
        'initiator_id', initiator_id,
        'created_at', created_at
    )::text as line,
    created_at as watermark
from workspace_builds
where created_at >= %(since)s
order by created_at, id
