-- stg_coder_organizations: one row per version of a Coder organization,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: organization_id, valid_from
-- inputs: coder_organizations
-- versions of: organization_id
with

renamed as (
    select
        id as organization_id,
        name,
        display_name,
        created_at,
        updated_at,
        updated_at as valid_from,
    from coder_organizations
)

select * from renamed
