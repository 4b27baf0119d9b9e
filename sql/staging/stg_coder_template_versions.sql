-- stg_coder_template_versions: one row per template version (one version each: its
-- creation), current from its creation on.
-- key: template_version_id, valid_from
-- inputs: coder_template_versions
-- versions of: template_version_id
with

renamed as (
    select
        id as template_version_id,
        template_id,
        name,
        created_at,
        created_at as valid_from,
    from coder_template_versions
)

select * from renamed
