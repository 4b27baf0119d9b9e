-- stg_seatable_orgs: one row per version of a SeaTable organisation (team),
-- its time of being current: valid_from until valid_to (null: still current).
-- key: org_id, valid_from
-- inputs: seatable_orgs
-- versions of: org_id
with

renamed as (
    select
        org_id,
        org_name,
        updated_at,
        updated_at as valid_from,
    from seatable_orgs
)

select * from renamed
