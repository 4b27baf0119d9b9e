-- collect coder template_version_parameters: one line per parameter of the versions whose
-- import job finished since the watermark (the job writes the parameters when it ends).
-- watermark: the import job's completed_at (else updated_at)
select
    json_build_object(
        'template_version_id', parameters.template_version_id,
        'name', parameters.name,
        'display_name', parameters.display_name,
        'description', parameters.description,
        'type', parameters.type,
        'options', parameters.options,
        'default_value', parameters.default_value
    )::text as line,
    coalesce(jobs.completed_at, jobs.updated_at) as watermark
from template_version_parameters as parameters
join template_versions as versions on versions.id = parameters.template_version_id
join provisioner_jobs as jobs on jobs.id = versions.job_id
where coalesce(jobs.completed_at, jobs.updated_at) >= %(since)s
order by watermark, parameters.template_version_id, parameters.name
