"""`collect openl2m`: OpenL2M's PostgreSQL -> NDJSON files of the raw kinds of records.py.

One query a kind (sql/collect/openl2m/<kind>.sql), each naming its columns (no password
hash, API token key, SNMP community or passphrase, device password or client IP address
ever leaves OpenL2M). The log is read incrementally by its timestamp; the counters and the
inventory have no time of their own: they are read whole each collect, stamped with the
collect instant, and landed only when they changed (landing.Read).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from pipelines.collect import landing, postgres
from pipelines.sqlcatalog import sql_file

SOURCE = "openl2m"
DATABASE = postgres  # how the database is read: pipelines/collect/postgres.py
QUERIES = f"collect/{SOURCE}"  # sql/collect/openl2m/<kind>.sql

# kind -> how far before its watermark a collect reads again (None: read whole). OpenL2M
# stamps a log record when Django saves it and commits at once, but its web and task
# workers may run on hosts whose clocks differ by some seconds: an hour is cheap.
OVERLAP: dict[str, timedelta | None] = {
    "log": timedelta(hours=1),
    "counters": None,
    "inventory": None,
}

# Every table a query reads (a missing one is reported before anything is read).
TABLES = [
    "switches_log",
    "counters_counter",
    "switches_switch",
    "switches_switchgroupmembership",
    "switches_vlan",
    "switches_vlangroup",
    "switches_snmpprofile",
    "switches_netmikoprofile",
    "switches_command",
    "switches_commandlist",
    "users_token",
]


def plan(conn: psycopg.Connection, watermarks: dict[str, datetime]) -> list[landing.Read]:
    """The reads of one collect: the same three whatever the database holds."""
    return [
        landing.Read(kind, sql_file(QUERIES, kind).read_text(), overlap)
        for kind, overlap in OVERLAP.items()
    ]
