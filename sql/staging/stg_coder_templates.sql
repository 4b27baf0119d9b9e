-- stg_coder_templates: one row per version of a Coder template,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: template_id, valid_from
-- inputs: coder_templates
-- versions of: template_id
with

renamed as (
    select
        id as template_id,
        organization_id,
        name,
        display_name,
        icon,
        created_at,
        updated_at,
        deleted as is_deleted,
        updated_at as valid_from,
    from coder_templates
)

select * from renamed
