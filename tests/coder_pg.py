"""A generated Coder deployment in PostgreSQL tables with Coder's schema, written day by day
as Coder would have written it; plus Coder's rollup (template_usage_stats) and its purge of
agent stats, for the collect tests.

Every secret or bulky value the loader writes holds LEAK, so a test can show that none of
them ever reaches a raw file.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from tests.postgres import Database

SCHEMA = Path(__file__).parent / "pg" / "coder_schema.sql"
ROLLUP = Path(__file__).parent / "pg" / "coder_rollup.sql"
NIL = "00000000-0000-0000-0000-000000000000"
LEAK = "LEAK"

# The three ways Coder has kept an agent report's session counts.
SHAPES = {
    "columns": "",
    "table": """
        alter table workspace_agent_stats drop column session_count_vscode,
            drop column session_count_jetbrains, drop column session_count_reconnecting_pty,
            drop column session_count_ssh;
        create table workspace_agent_session_counts (
            workspace_agent_stats_id uuid not null,
            created_at timestamptz not null,
            app_name text not null,
            count bigint not null,
            primary key (workspace_agent_stats_id, app_name)
        );
    """,
    "jsonb": """
        alter table workspace_agent_stats drop column session_count_vscode,
            drop column session_count_jetbrains, drop column session_count_reconnecting_pty,
            drop column session_count_ssh,
            add column session_counts jsonb default '{}' not null;
    """,
}
# The two ways Coder has kept its rollup's minutes per app family: five columns of
# template_usage_stats, or (migration 000591 on) a table of one row per rollup row and
# family with minutes, the columns dropped.
FAMILY_MINUTES = {
    "columns": "",
    "families": """
        create table template_usage_stats_session_families (
            start_time timestamptz not null,
            template_id uuid not null,
            user_id uuid not null,
            family text not null,
            usage_mins smallint not null,
            primary key (start_time, user_id, template_id, family),
            foreign key (start_time, template_id, user_id)
                references template_usage_stats (start_time, template_id, user_id)
                on delete cascade
        );
        alter table template_usage_stats drop column ssh_mins, drop column sftp_mins,
            drop column reconnecting_pty_mins, drop column vscode_mins,
            drop column jetbrains_mins;
    """,
}
FAMILIES = ("ssh", "sftp", "reconnecting_pty", "vscode", "jetbrains")
COUNTS = {  # raw field -> the app name newer agents report (one of Coder's aliases)
    "session_count_vscode": "cursor",
    "session_count_jetbrains": "jetbrains",
    "session_count_reconnecting_pty": "reconnecting_pty",
    "session_count_ssh": "ssh",
}
KINDS = (  # in the order the loader writes them
    "organizations",
    "users",
    "organization_members",
    "templates",
    "template_versions",
    "template_version_parameters",
    "workspaces",
    "workspace_builds",
    "workspace_build_parameters",
    "workspace_apps",
    "workspace_agent_stats",
    "workspace_app_stats",
    "audit_logs",
)


def _new_id() -> str:
    return str(uuid.uuid4())


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class CoderDatabase(Database):
    """A Coder database in the test server; load() writes a day's records into it."""

    def __init__(self, dsn: str, shape: str = "columns", family_minutes: str = "columns"):
        super().__init__(dsn)
        self.shape = shape
        self.family_minutes = family_minutes
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA.read_text())
            for change in (SHAPES[shape], FAMILY_MINUTES[family_minutes]):
                if change:
                    conn.execute(change)
        self.agents: set[str] = set()
        self.placeholder_builds: dict[str, str] = {}  # workspace -> build of its old apps

    def load(self, records: dict[str, list[dict]]) -> None:
        with psycopg.connect(self.dsn) as conn:
            for kind in KINDS:
                rows = records.get(kind, [])
                if rows:
                    getattr(self, f"_{kind}")(conn, rows)

    def _job(self, conn, moment: datetime, job_type: str) -> str:
        job = _new_id()
        conn.execute(
            "insert into provisioner_jobs (id, created_at, updated_at, started_at, completed_at,"
            " organization_id, initiator_id, provisioner, storage_method, type, input, file_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, 'terraform', 'file', %s, %s, %s)",
            (
                job,
                moment,
                moment + timedelta(minutes=1),
                moment,
                moment + timedelta(minutes=1),
                NIL,
                NIL,
                job_type,
                Jsonb({"variables": f"{LEAK}-input"}),
                _new_id(),
            ),
        )
        return job

    def _organizations(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into organizations (id, name, description, created_at, updated_at,"
            " display_name) values (%(id)s, %(name)s, '', %(created_at)s, %(updated_at)s,"
            " %(display_name)s) on conflict (id) do update set name = excluded.name,"
            " display_name = excluded.display_name, updated_at = excluded.updated_at",
            [{**r, "display_name": r.get("display_name") or r["name"]} for r in rows],
        )

    def _users(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into users (id, email, username, hashed_password, created_at, updated_at,"
            " status, rbac_roles, avatar_url, deleted, name) values (%(id)s, %(email)s,"
            " %(username)s, %(hash)s, %(created_at)s, %(updated_at)s, %(status)s, %(roles)s,"
            " %(avatar)s, %(deleted)s, %(name)s) on conflict (id) do update set"
            " username = excluded.username, updated_at = excluded.updated_at,"
            " status = excluded.status, rbac_roles = excluded.rbac_roles,"
            " avatar_url = excluded.avatar_url, deleted = excluded.deleted, name = excluded.name",
            [
                {
                    **r,
                    "email": f"{LEAK}-{r['username']}@example.com",
                    "hash": f"{LEAK}-password-hash".encode(),
                    "status": r.get("status") or "active",
                    "roles": r.get("rbac_roles") or [],
                    "avatar": r.get("avatar_url") or "",
                    "deleted": bool(r.get("deleted")),
                    "name": r.get("name") or "",
                }
                for r in rows
            ],
        )

    def _organization_members(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into organization_members (user_id, organization_id, created_at, updated_at,"
            " roles) values (%(user_id)s, %(organization_id)s, %(created_at)s, %(updated_at)s,"
            " %(roles)s) on conflict (organization_id, user_id) do update set"
            " roles = excluded.roles, updated_at = excluded.updated_at",
            [{**r, "roles": r.get("roles") or []} for r in rows],
        )

    def _templates(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into templates (id, created_at, updated_at, organization_id, deleted, name,"
            " provisioner, active_version_id, created_by, icon, display_name) values (%(id)s,"
            " %(created_at)s, %(updated_at)s, %(organization_id)s, %(deleted)s, %(name)s,"
            " 'terraform', %(active)s, %(nil)s, %(icon)s, %(display_name)s)"
            " on conflict (id) do update set updated_at = excluded.updated_at,"
            " name = excluded.name, display_name = excluded.display_name, icon = excluded.icon,"
            " deleted = excluded.deleted",
            [
                {
                    **r,
                    "deleted": bool(r.get("deleted")),
                    "active": _new_id(),
                    "nil": NIL,
                    "icon": r.get("icon") or "",
                    "display_name": r.get("display_name") or "",
                }
                for r in rows
            ],
        )

    def _template_versions(self, conn, rows: list[dict]) -> None:
        for r in rows:
            created = _at(r["created_at"])
            conn.execute(
                "insert into template_versions (id, template_id, organization_id, created_at,"
                " updated_at, name, readme, job_id, created_by, message) values"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict (id) do nothing",
                (
                    r["id"],
                    r.get("template_id"),
                    NIL,
                    created,
                    created,
                    r.get("name") or "",
                    f"# {LEAK} readme",
                    self._job(conn, created, "template_version_import"),
                    NIL,
                    f"{LEAK} message",
                ),
            )

    def _template_version_parameters(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into template_version_parameters (template_version_id, name, description,"
            " type, mutable, default_value, icon, options, validation_regex, display_name)"
            " values (%(template_version_id)s, %(name)s, %(description)s, %(type)s, false,"
            " %(default_value)s, '', %(options)s, '', %(display_name)s) on conflict do nothing",
            [
                {
                    **r,
                    "description": r.get("description") or "",
                    "default_value": r.get("default_value") or "",
                    "options": Jsonb(r.get("options") or []),
                    "display_name": r.get("display_name") or "",
                }
                for r in rows
            ],
        )

    def _workspaces(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into workspaces (id, created_at, updated_at, owner_id, organization_id,"
            " template_id, deleted, name) values (%(id)s, %(created_at)s, %(updated_at)s,"
            " %(owner_id)s, %(organization_id)s, %(template_id)s, %(deleted)s, %(name)s)"
            " on conflict (id) do update set updated_at = excluded.updated_at,"
            " template_id = excluded.template_id, deleted = excluded.deleted,"
            " name = excluded.name",
            [{**r, "deleted": bool(r.get("deleted"))} for r in rows],
        )

    def _build(self, conn, build: dict) -> None:
        created = _at(build["created_at"])
        conn.execute(
            "insert into workspace_builds (id, created_at, updated_at, workspace_id,"
            " template_version_id, build_number, transition, initiator_id, provisioner_state,"
            " job_id) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
            (
                build["id"],
                created,
                created,
                build["workspace_id"],
                build["template_version_id"],
                build["build_number"],
                build.get("transition") or "start",
                build.get("initiator_id") or NIL,
                f"{LEAK} terraform state".encode(),
                self._job(conn, created, "workspace_build"),
            ),
        )

    def _workspace_builds(self, conn, rows: list[dict]) -> None:
        for r in rows:
            self._build(conn, r)

    def _workspace_build_parameters(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into workspace_build_parameters (workspace_build_id, name, value) values"
            " (%(workspace_build_id)s, %(name)s, %(value)s) on conflict do nothing",
            rows,
        )

    def _agent(self, conn, app: dict) -> None:
        """The agent of an app, on a resource of the app's build (Coder's only link from an
        app to its workspace). Apps exported without a build (the generator's first day)
        get a build of their own, numbered 0, without parameters."""
        agent = app["agent_id"]
        if agent in self.agents:
            return
        build = app.get("build_id")
        if build is None:
            workspace = app["workspace_id"]
            build = self.placeholder_builds.get(workspace)
            if build is None:
                build = _new_id()
                built = _at(app["created_at"]) - timedelta(seconds=20)
                self._build(
                    conn,
                    {
                        "id": build,
                        "created_at": built.isoformat(),
                        "workspace_id": workspace,
                        "template_version_id": _new_id(),
                        "build_number": 0,
                    },
                )
                self.placeholder_builds[workspace] = build
        (job,) = conn.execute(
            "select job_id from workspace_builds where id = %s", (build,)
        ).fetchone()
        created = _at(app["created_at"])
        resource = _new_id()
        conn.execute(
            "insert into workspace_resources (id, created_at, job_id, transition, type, name)"
            " values (%s, %s, %s, 'start', 'docker_container', 'workspace')",
            (resource, created, job),
        )
        conn.execute(
            "insert into workspace_agents (id, created_at, updated_at, name, resource_id,"
            " auth_token, architecture, environment_variables, operating_system) values"
            " (%s, %s, %s, 'main', %s, %s, 'amd64', %s, 'linux')",
            (agent, created, created, resource, _new_id(), Jsonb({"TOKEN": f"{LEAK}-env"})),
        )
        self.agents.add(agent)

    def _workspace_apps(self, conn, rows: list[dict]) -> None:
        for r in rows:
            self._agent(conn, r)
        conn.cursor().executemany(
            "insert into workspace_apps (id, created_at, agent_id, display_name, icon, command,"
            " url, slug) values (%(id)s, %(created_at)s, %(agent_id)s, %(display_name)s,"
            " %(icon)s, %(command)s, %(url)s, %(slug)s) on conflict do nothing",
            [
                {
                    **r,
                    "display_name": r.get("display_name") or "",
                    "icon": r.get("icon") or "",
                    "command": f"{LEAK}-command --token",
                    "url": f"http://localhost:8080/?token={LEAK}",
                }
                for r in rows
            ],
        )

    def _workspace_agent_stats(self, conn, rows: list[dict]) -> None:
        common = (
            "id, created_at, user_id, agent_id, workspace_id, template_id, connections_by_proto,"
            " connection_count, rx_packets, rx_bytes, tx_packets, tx_bytes,"
            " connection_median_latency_ms"
        )
        values = [
            {
                **r,
                "protos": Jsonb({"ssh": r["connection_count"]}),
                "latency": r.get("connection_median_latency_ms", -1),
                **{k: r.get(k) or 0 for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes")},
            }
            for r in rows
        ]
        placeholders = (
            "%(id)s, %(created_at)s, %(user_id)s, %(agent_id)s, %(workspace_id)s,"
            " %(template_id)s, %(protos)s, %(connection_count)s, %(rx_packets)s, %(rx_bytes)s,"
            " %(tx_packets)s, %(tx_bytes)s, %(latency)s"
        )
        cursor = conn.cursor()
        if self.shape == "columns":
            cursor.executemany(
                f"insert into workspace_agent_stats ({common}, {', '.join(COUNTS)}) values"
                f" ({placeholders}, {', '.join(f'%({c})s' for c in COUNTS)})",
                values,
            )
            return
        counts = [{r["id"]: {COUNTS[c]: r[c] for c in COUNTS if r[c] > 0}} for r in rows]
        if self.shape == "jsonb":
            for value, count in zip(values, counts, strict=True):
                value["counts"] = Jsonb(count[value["id"]])
            cursor.executemany(
                f"insert into workspace_agent_stats ({common}, session_counts) values"
                f" ({placeholders}, %(counts)s)",
                values,
            )
            return
        cursor.executemany(
            f"insert into workspace_agent_stats ({common}) values ({placeholders})", values
        )
        cursor.executemany(
            "insert into workspace_agent_session_counts (workspace_agent_stats_id, created_at,"
            " app_name, count) values (%s, %s, %s, %s)",
            [
                (r["id"], r["created_at"], name, count)
                for r, per_report in zip(rows, counts, strict=True)
                for name, count in per_report[r["id"]].items()
            ],
        )

    def _workspace_app_stats(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            "insert into workspace_app_stats (id, user_id, workspace_id, agent_id,"
            " access_method, slug_or_port, session_id, session_started_at, session_ended_at,"
            " requests) values (%(id)s, %(user_id)s, %(workspace_id)s, %(agent_id)s,"
            " %(access_method)s, %(slug_or_port)s, %(session_id)s, %(session_started_at)s,"
            " %(session_ended_at)s, %(requests)s) on conflict (user_id, agent_id, session_id)"
            " do update set session_ended_at = excluded.session_ended_at,"
            " requests = excluded.requests",
            rows,
        )

    def _audit_logs(self, conn, rows: list[dict]) -> None:
        conn.cursor().executemany(
            'insert into audit_logs (id, "time", user_id, organization_id, ip, user_agent,'
            " resource_type, resource_id, resource_target, action, diff, status_code,"
            " additional_fields, request_id, resource_icon) values (%(id)s, %(time)s,"
            " %(user_id)s, %(org)s, '203.0.113.7', %(agent)s, %(resource_type)s, %(resource)s,"
            " %(target)s, %(action)s, %(diff)s, %(status)s, %(fields)s, %(request)s, '')",
            [
                {
                    **r,
                    "org": r.get("organization_id") or NIL,
                    "agent": f"{LEAK}-agent/1.0",
                    "resource": _new_id(),
                    "target": f"{LEAK}-target",
                    "diff": Jsonb({"hashed_password": f"{LEAK}-diff"}),
                    "status": r.get("status_code") or 200,
                    "fields": Jsonb({"workspace_name": f"{LEAK}-field"}),
                    "request": _new_id(),
                }
                for r in rows
            ],
        )

    def rollup(self) -> None:
        """Coder's template_usage_stats over everything loaded (tests/pg/coder_rollup.sql);
        with the families table, its family minutes then moved there as Coder's migration
        000591 moves history (a row per family with minutes)."""
        if self.family_minutes == "columns":
            self.execute(ROLLUP.read_text())
            return
        columns = [f"{family}_mins" for family in FAMILIES]
        with psycopg.connect(self.dsn) as conn:
            conn.execute(
                "alter table template_usage_stats "
                + ", ".join(f"add column {c} smallint not null default 0" for c in columns)
            )
            conn.execute(ROLLUP.read_text())
            moved = " union all ".join(
                f"select start_time, template_id, user_id, '{family}', {family}_mins "
                f"from template_usage_stats where {family}_mins > 0"
                for family in FAMILIES
            )
            conn.execute(f"insert into template_usage_stats_session_families {moved}")
            conn.execute(
                "alter table template_usage_stats " + ", ".join(f"drop column {c}" for c in columns)
            )

    def purge(self) -> None:
        """Coder's purge: agent stats older than a day before the newest rollup half hour."""
        self.execute(
            "delete from workspace_agent_stats where created_at <"
            " (select max(start_time) - interval '1 day' from template_usage_stats)"
        )
