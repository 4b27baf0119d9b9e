"""A generated OpenL2M deployment in PostgreSQL tables with OpenL2M's schema, written day by
day as OpenL2M would have written it: the day's log records, the counters' running totals,
and real rows in every table the inventory counts, so that the counts are the day's
generated snapshot.

Every secret the loader writes (password hashes, API token keys, SNMP communities and
passphrases, device passwords) holds LEAK, so a test can show that none of them ever
reaches a raw file.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.postgres import Database

SCHEMA = Path(__file__).parent / "pg" / "openl2m_schema.sql"
LEAK = "LEAK"
EPOCH = "timestamptz '2000-01-01 00:00:00+00'"  # Django's default for a switch's times

# inventory field -> the statements that make its count: rows 1..%(count)s (the generated
# counts only grow: rows written before stay). Switch groups: groups 1..count hold the
# switches (one of them holds a switch twice) and one more group holds none.
INVENTORY: dict[str, tuple[str, ...]] = {
    "switches": (
        "insert into switches_switch (id, name, description, read_only, default_view,"
        " allow_poe_toggle, status, primary_ip4, comments, hostname, bulk_edit,"
        " edit_if_descr, connector_type, access_count, change_count, created, last_accessed,"
        " last_changed, modified, command_count, last_command_time, driver_info,"
        " read_hardware_details) select n, 'switch-' || n, '', false, 0, false, 1,"
        f" '192.0.2.' || n, '', 'switch-' || n, true, true, 0, 0, 0, {EPOCH}, {EPOCH},"
        f" {EPOCH}, {EPOCH}, 0, {EPOCH}, '', true from generate_series(1, %(count)s) as n"
        " on conflict (id) do nothing",
    ),
    "switchgroups": (
        "insert into switches_switchgroup (id, name, display_name, description, read_only,"
        " allow_poe_toggle, edit_if_descr, comments, bulk_edit, allow_all_vlans,"
        " read_hardware_details) select n, 'group-' || n, 'Group ' || n, '', false, false,"
        " true, '', true, false, true from generate_series(1, %(count)s + 1) as n"
        " on conflict (id) do nothing",
        "delete from switches_switchgroupmembership",
        'insert into switches_switchgroupmembership ("order", switch_id, switchgroup_id)'
        " select row_number() over (order by id), id, 1 + id %% %(count)s from switches_switch",
        'insert into switches_switchgroupmembership ("order", switch_id, switchgroup_id)'
        ' select "order" + 1000, switch_id, switchgroup_id from switches_switchgroupmembership'
        " where switch_id = 1",
    ),
    "vlans": (
        "insert into switches_vlan (id, name, vid, description, contact) select n,"
        " 'vlan-' || n, n, '', '' from generate_series(1, %(count)s) as n"
        " on conflict (id) do nothing",
    ),
    "vlan_groups": (
        "insert into switches_vlangroup (id, name, description) select n, 'vlans-' || n, ''"
        " from generate_series(1, %(count)s) as n on conflict (id) do nothing",
    ),
    "snmp_profiles": (
        "insert into switches_snmpprofile (id, name, description, version, community,"
        " username, passphrase, priv_passphrase, auth_protocol, priv_protocol, sec_level,"
        " context_name, context_engine_id, udp_port, read_only) select n, 'snmp-' || n, '',"
        f" 3, '{LEAK}-community-' || n, 'monitor', '{LEAK}-passphrase-' || n,"
        f" '{LEAK}-privacy-' || n, 2, 3, 2, null, null, 161, true"
        " from generate_series(1, %(count)s) as n on conflict (id) do nothing",
    ),
    "credentials_profiles": (
        "insert into switches_netmikoprofile (id, name, description, username, password,"
        " device_type, enable_password, tcp_port, verify_hostkey) select n, 'ssh-' || n, '',"
        f" 'admin', '{LEAK}-password-' || n, 'hp_comware', '{LEAK}-enable-' || n, 22, false"
        " from generate_series(1, %(count)s) as n on conflict (id) do nothing",
    ),
    "commands": (
        "insert into switches_command (id, name, os, description, type, command) select n,"
        " 'command-' || n, 'any', '', 1, 'show interface' from generate_series(1, %(count)s)"
        " as n on conflict (id) do nothing",
    ),
    "command_lists": (
        "insert into switches_commandlist (id, name, description) select n, 'list-' || n, ''"
        " from generate_series(1, %(count)s) as n on conflict (id) do nothing",
    ),
    "api_tokens": (
        "insert into users_token (id, created, key, write_enabled, description, allowed_ips,"
        f" user_id) select n, now(), rpad('{LEAK}-token-' || n, 40, '0'), false, '', '', 1"
        " from generate_series(1, %(count)s) as n on conflict (id) do nothing",
    ),
}

USERS = (
    "insert into auth_user (id, password, is_superuser, username, first_name, last_name, email,"
    f" is_staff, is_active, date_joined) select id, 'pbkdf2_sha256${LEAK}-hash', false,"
    f" 'user-' || id, '', '', '{LEAK}-' || id || '@example.com', false, true, now()"
    " from unnest(%(ids)s::integer[]) as id on conflict (id) do nothing"
)


class OpenL2MDatabase(Database):
    """An OpenL2M database in the test server; load() writes a day's records into it."""

    def __init__(self, dsn: str):
        super().__init__(dsn)
        self.execute(SCHEMA.read_text())
        # The token owner, and a key in Django REST framework's unused token table.
        self.execute(USERS, {"ids": [1]})
        self.execute(
            "insert into authtoken_token (key, created, user_id) values (%(key)s, now(), 1)",
            {"key": f"{LEAK}-drf-token".ljust(40, "0")},
        )

    def load(self, records: dict[str, list[dict]]) -> None:
        with psycopg.connect(self.dsn) as conn:
            for snapshot in records.get("inventory", []):
                for field, statements in INVENTORY.items():
                    for statement in statements:
                        conn.execute(statement, {"count": snapshot[field]})
            for counter in records.get("counters", []):
                conn.execute(
                    "update counters_counter set value = %(value)s where name = %(name)s",
                    counter,
                )
            log = records.get("log", [])
            users = sorted({r["user_id"] for r in log if r.get("user_id") is not None})
            conn.execute(USERS, {"ids": users})
            self.log(conn, log)

    @staticmethod
    def log(conn: psycopg.Connection, rows: list[dict]) -> None:
        """Write log records (raw-logs.md fields) as OpenL2M does, the columns the raw
        contract leaves out with Django's defaults."""
        conn.cursor().executemany(
            'insert into switches_log (id, "timestamp", if_index, ip_address, type, action,'
            " description, group_id, switch_id, user_id, if_name) values (%(id)s,"
            " %(timestamp)s, 0, %(ip_address)s, %(type)s, %(action)s, %(description)s,"
            " %(group_id)s, %(switch_id)s, %(user_id)s, '')",
            [
                {
                    "ip_address": "0.0.0.0",
                    **{k: None for k in ("description", "group_id", "switch_id", "user_id")},
                    **r,
                }
                for r in rows
            ],
        )
