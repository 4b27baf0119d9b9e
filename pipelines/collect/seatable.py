"""`collect seatable`: SeaTable's MariaDB databases -> NDJSON files of the raw kinds of
records.py.

SeaTable keeps its data in three databases of one server: dtable_db (dtable-web: activity,
profiles), ccnet_db (users and teams) and scheduler (the Python scheduler's script runs,
which may live on a server of its own). One query a kind (sql/collect/seatable/<kind>.sql),
each naming its columns (no password hash, API token, script output or contact detail ever
leaves SeaTable) and its database by placeholder (pipelines/collect/mysql.py).
"""

from __future__ import annotations

from datetime import timedelta

from pipelines.collect import landing, mysql
from pipelines.sqlcatalog import sql_file

SOURCE = "seatable"
DATABASE = mysql  # how the database is read: pipelines/collect/mysql.py
QUERIES = f"collect/{SOURCE}"  # sql/collect/seatable/<kind>.sql

# The databases (the keys of a sources.seatable.dsn_env mapping), SeaTable's default name
# of each, and every table a query reads in it (a missing one is reported before anything
# is read).
TABLES = {
    "dtable": mysql.Database("dtable_db", ("user_activity_statistics", "profile_profile")),
    "ccnet": mysql.Database("ccnet_db", ("Organization", "OrgUser")),
    "scheduler": mysql.Database("scheduler", ("script_log",)),
}

# kind -> how far before its watermark a collect reads again; None: read whole each time
# (no column dates a change) and landed only when changed. SeaTable rewrites the current
# UTC day's activity rows all day long; the scheduler commits a run's end as it reports it.
OVERLAP: dict[str, timedelta | None] = {
    "user_activity": timedelta(days=1),
    "script_runs": timedelta(hours=1),
    "users": None,
    "orgs": None,
}


def plan() -> list[landing.Read]:
    """The reads of one collect."""
    return [
        landing.Read(kind, sql_file(QUERIES, kind).read_text(), overlap)
        for kind, overlap in OVERLAP.items()
    ]
