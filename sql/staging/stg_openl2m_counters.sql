-- stg_openl2m_counters: one row per version of an OpenL2M counter,
-- its time of being current: valid_from until valid_to (null: still current).
-- key: counter_name, valid_from
-- inputs: openl2m_counters
-- versions of: counter_name
with

renamed as (
    select
        name as counter_name,
        value,
        "at" as counted_at,
        "at" as valid_from,
    from openl2m_counters
)

select * from renamed
