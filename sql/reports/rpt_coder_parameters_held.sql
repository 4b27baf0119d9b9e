-- rpt_coder_parameters_held: every template version's parameters, as a session holds them
-- for the templates insights (builds.py): grouped across templates by (name, type,
-- display_name, description, options), "" and "[]" where unset.
-- key: template_version_id, name, type, display_name, description, options
-- inputs: stg_coder_template_version_parameters
with

final as (
    select distinct
        template_version_id,
        name,
        type,
        coalesce(display_name, '') as display_name,
        coalesce(description, '') as description,
        coalesce(options::varchar, '[]') as options,
    from stg_coder_template_version_parameters
)

select * from final
