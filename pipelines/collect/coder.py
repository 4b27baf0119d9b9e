"""`collect coder`: Coder's PostgreSQL -> NDJSON files of the raw kinds of records.py.

One query a kind (sql/collect/coder/<kind>.sql), each naming its columns (no password
hashes, tokens, Terraform state, readmes or audit diffs ever leave Coder), each returning
(JSON line, watermark). A kind reads the rows whose watermark column is at or after its
last watermark minus an overlap, so rows Coder commits a little late are not missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import psycopg

from pipelines.collect import landing, postgres
from pipelines.sqlcatalog import sql_file

SOURCE = "coder"
DATABASE = postgres  # how the database is read: pipelines/collect/postgres.py
QUERIES = f"collect/{SOURCE}"  # sql/collect/coder/<kind>.sql

# kind -> how far before its watermark a collect reads again. Coder writes agent and app
# stats in batches a minute or so late; it rewrites the latest hour of its rollup in place.
OVERLAP: dict[str, timedelta] = {
    "users": timedelta(hours=1),
    "organizations": timedelta(hours=1),
    "organization_members": timedelta(hours=1),
    "templates": timedelta(hours=1),
    "template_versions": timedelta(hours=1),
    "template_version_parameters": timedelta(hours=1),
    "workspaces": timedelta(hours=1),
    "workspace_builds": timedelta(hours=1),
    "workspace_build_parameters": timedelta(hours=1),
    "workspace_apps": timedelta(hours=1),
    "workspace_agent_stats": timedelta(hours=1),
    "workspace_app_stats": timedelta(hours=1),
    "audit_logs": timedelta(hours=1),
    "template_usage_stats": timedelta(hours=2),
}

# Every table a query reads (a missing one is reported before anything is read).
TABLES = [
    "users",
    "organizations",
    "organization_members",
    "templates",
    "template_versions",
    "template_version_parameters",
    "provisioner_jobs",
    "workspaces",
    "workspace_builds",
    "workspace_build_parameters",
    "workspace_apps",
    "workspace_agents",
    "workspace_resources",
    "workspace_agent_stats",
    "workspace_app_stats",
    "audit_logs",
    "template_usage_stats",
]

# Coder's app-name families (codersdk's registry): newer agents report a session count per
# app name; the raw contract keeps Coder's four counts. Names of no family are not counted,
# as in Coder's usage reporting before its migration 000591 (from then on Coder counts them
# under a family 'unknown', which none of the four counts can carry).
APP_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        [
            "vscode",
            "vscode_insiders",
            "vscode_web",
            "code_server",
            "cursor",
            "windsurf",
            "positron",
            "vscodium",
            "codium",
            "antigravity",
            "trae",
            "kiro",
            "devin",
        ],
        "vscode",
    ),
    "jetbrains": "jetbrains",
    "zed": "ssh",  # Zed has no count of its own: Coder counts it as SSH
    "ssh": "ssh",
    "reconnecting_pty": "reconnecting_pty",
}


def _shapes(conn: psycopg.Connection) -> dict[str, str]:
    """Which file of each shape-dependent part fits this Coder's schema: the session counts
    of an agent report (sql/collect/coder/session_counts/: the workspace_agent_session_counts
    table, a session_counts JSON column, or four columns), and the rollup's minutes per app
    family (family_minutes/: five columns of template_usage_stats, or the
    template_usage_stats_session_families table of migration 000591 on)."""
    counts_table, counts_column, family_columns = conn.execute(
        "select to_regclass('workspace_agent_session_counts') is not null,"
        " exists (select 1 from information_schema.columns"
        "  where table_schema = current_schema() and table_name = 'workspace_agent_stats'"
        "    and column_name = 'session_counts'),"
        " exists (select 1 from information_schema.columns"
        "  where table_schema = current_schema() and table_name = 'template_usage_stats'"
        "    and column_name = 'ssh_mins')"
    ).fetchone()
    return {
        "session_counts": "table" if counts_table else "jsonb" if counts_column else "columns",
        "family_minutes": "columns" if family_columns else "families",
    }


# kind -> the shape-dependent part its query reads as a named CTE
PARTS = {"workspace_agent_stats": "session_counts", "template_usage_stats": "family_minutes"}


def query(kind: str, shapes: dict[str, str]) -> str:
    sql = sql_file(QUERIES, kind).read_text()
    if part := PARTS.get(kind):
        fitting = sql_file(f"{QUERIES}/{part}", shapes[part]).read_text()
        sql = f"with {part} as (\n{fitting}\n)\n{sql}"
    return sql


def plan(conn: psycopg.Connection, watermarks: dict[str, datetime]) -> list[landing.Read]:
    """The reads of one collect, for this Coder's schema and purge horizon."""
    shapes = _shapes(conn)
    (horizon,) = conn.execute(
        sql_file(QUERIES, "horizon").read_text(),
        {"watermark": watermarks.get("workspace_agent_stats")},
    ).fetchone()
    params = {"horizon": horizon, "families": orjson.dumps(APP_FAMILIES).decode()}
    return [
        landing.Read(kind, query(kind, shapes), overlap, params)
        for kind, overlap in OVERLAP.items()
    ]
