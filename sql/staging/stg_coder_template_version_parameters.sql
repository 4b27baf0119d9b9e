-- stg_coder_template_version_parameters: one row per parameter of a template version
-- (immutable: no time).
-- key: template_version_id, name
-- inputs: coder_template_version_parameters
with

renamed as (
    select
        template_version_id,
        name,
        display_name,
        description,
        type,
        options,
        default_value,
    from coder_template_version_parameters
)

select * from renamed
