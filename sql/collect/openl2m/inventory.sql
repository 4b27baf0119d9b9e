-- collect openl2m inventory: one line, the counts of OpenL2M's stats page, stamped with the
-- collect instant, and the counts without that stamp (the content that decides whether the
-- kind changed since it was last landed). Only counts leave OpenL2M: never a profile's
-- community, passphrases or passwords, nor a token's key. switchgroups counts the groups
-- holding at least one switch (a group can hold a switch twice: distinct); OpenL2M's
-- foreign keys make every membership's switch and group exist.
-- watermark: none (read whole)
with

counts as (
    select
        (select count(*) from switches_switch) as switches,
        (select count(distinct switchgroup_id) from switches_switchgroupmembership) as switchgroups,
        (select count(*) from switches_vlan) as vlans,
        (select count(*) from switches_vlangroup) as vlan_groups,
        (select count(*) from switches_snmpprofile) as snmp_profiles,
        (select count(*) from switches_netmikoprofile) as credentials_profiles,
        (select count(*) from switches_command) as commands,
        (select count(*) from switches_commandlist) as command_lists,
        (select count(*) from users_token) as api_tokens
)

select
    json_build_object(
        'at', %(collected_at)s::timestamptz,
        'switches', switches,
        'switchgroups', switchgroups,
        'vlans', vlans,
        'vlan_groups', vlan_groups,
        'snmp_profiles', snmp_profiles,
        'credentials_profiles', credentials_profiles,
        'commands', commands,
        'command_lists', command_lists,
        'api_tokens', api_tokens
    )::text as line,
    row_to_json(counts)::text as content
from counts
