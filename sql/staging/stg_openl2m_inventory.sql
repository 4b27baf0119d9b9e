-- stg_openl2m_inventory: one row per inventory snapshot of OpenL2M, current
-- until the next one (one chain: the snapshot is of the whole database).
-- key: valid_from
-- inputs: openl2m_inventory
-- versions of: 
with

renamed as (
    select
        "at" as counted_at,
        switches,
        switchgroups,
        vlans,
        vlan_groups,
        snmp_profiles,
        credentials_profiles,
        commands,
        command_lists,
        api_tokens,
        "at" as valid_from,
    from openl2m_inventory
)

select * from renamed
