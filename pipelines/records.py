"""Every record kind of raw-logs.md, declared once.

Extract (validation, typing, dedupe), the DuckDB views, the generator and the tests
all read these declarations; nothing else lists a kind's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Field types of raw-logs.md plus the shapes the sources nest:
#   uuid/str: JSON string; int: JSON integer; float: JSON number; bool: JSON bool;
#   ts: RFC 3339 string with offset (Rocket.Chat also {"$date": ...});
#   int_or_str: JSON integer or string, kept as text; str_list: array of strings;
#   json: any JSON value, kept verbatim as JSON text (passed through to reports);
#   int_map: a JSON object of integers (Coder's app_usage_mins: app key -> minutes);
#   user_ref: {"_id": str, "username": str?} (Rocket.Chat's embedded user).
FieldType = Literal[
    "uuid",
    "str",
    "int",
    "float",
    "bool",
    "ts",
    "int_or_str",
    "str_list",
    "json",
    "int_map",
    "user_ref",
]

DUCKDB_TYPES: dict[str, str] = {
    "uuid": "VARCHAR",
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "ts": "TIMESTAMPTZ",
    "int_or_str": "VARCHAR",
    "str_list": "VARCHAR[]",
    "json": "JSON",
    "int_map": "MAP(VARCHAR, BIGINT)",
    "user_ref": "STRUCT(_id VARCHAR, username VARCHAR)",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = True
    # SQL literal used when the field is missing or null ("missing = ..." in raw-logs.md).
    default: str | None = None
    # Another field whose value stands in when this one is missing (rooms: createdAt or ts).
    fallback: str | None = None
    # A string naming a record (Rocket.Chat's ids; a uuid always is one): its text is never
    # a number, a JSON literal or JSON at all, which lets the fast path read it as text.
    names_record: bool = False

    @property
    def is_id(self) -> bool:
        """A uuid, or a string naming a record (`names_record`)."""
        return self.type == "uuid" or (self.type == "str" and self.names_record)


@dataclass(frozen=True)
class RecordKind:
    source: str
    kind: str
    sort: Literal["event", "snapshot"]
    # SQL expressions over the typed columns; equal keys are one record.
    key: tuple[str, ...]
    # SQL expression for the event or version time; None for immutable snapshots.
    time: str | None
    fields: tuple[Field, ...]
    # Extra ordering that picks the surviving copy before "read last wins".
    winner: str | None = None
    # Earlier names of the kind's landing folder, still read as this kind.
    former_names: tuple[str, ...] = ()
    # (field, reason): a line holding this field is a document of another collection,
    # exported here by mistake; it is rejected with the reason (naming the right one).
    misfit: tuple[str, str] | None = None

    @property
    def table(self) -> str:
        return f"{self.source}_{self.kind}"

    @property
    def partitioned(self) -> bool:
        """Kinds with a time are stored one Parquet file per UTC day; the rest in one file."""
        return self.time is not None

    @property
    def time_sql(self) -> str | None:
        """The event or version time as SQL (plain names quoted: `at` is a keyword)."""
        return None if self.time is None else _as_sql(self.time)

    @property
    def identity(self) -> tuple[str, ...]:
        """SQL expressions making two copies the same record: the key, plus the version
        time for snapshots."""
        key = tuple(_as_sql(k) for k in self.key)
        if self.sort == "snapshot" and self.time is not None:
            return (*key, _as_sql(self.time))
        return key

    @property
    def columns(self) -> dict[str, str]:
        return {f.name: DUCKDB_TYPES[f.type] for f in self.fields}

    @property
    def stored_columns(self) -> dict[str, str]:
        """The columns of the kind's files: its fields, then the lineage."""
        return {**self.columns, **LINEAGE_COLUMNS}


def _as_sql(expression: str) -> str:
    """Quote a bare column name; leave an expression as written."""
    return f'"{expression}"' if expression.isidentifier() else expression


def _f(name: str, type_: FieldType, **kw) -> Field:
    return Field(name, type_, **kw)


def _o(name: str, type_: FieldType, **kw) -> Field:
    return Field(name, type_, required=False, **kw)


KINDS: tuple[RecordKind, ...] = (
    # ---------------------------------------------------------------- coder
    RecordKind(
        "coder",
        "users",
        "snapshot",
        ("id",),
        "updated_at",
        (
            _f("id", "uuid"),
            _f("username", "str"),
            _o("name", "str"),
            _o("email", "str"),
            _o("avatar_url", "str", default="''"),
            _o("status", "str"),
            _o("rbac_roles", "str_list"),
            _f("created_at", "ts"),
            _f("updated_at", "ts"),
            _o("deleted", "bool"),
        ),
    ),
    RecordKind(
        "coder",
        "organizations",
        "snapshot",
        ("id",),
        "updated_at",
        (
            _f("id", "uuid"),
            _f("name", "str"),
            _o("display_name", "str"),
            _f("created_at", "ts"),
            _f("updated_at", "ts"),
        ),
    ),
    RecordKind(
        "coder",
        "organization_members",
        "snapshot",
        ("organization_id", "user_id"),
        "updated_at",
        (
            _f("organization_id", "uuid"),
            _f("user_id", "uuid"),
            _f("created_at", "ts"),
            _f("updated_at", "ts"),
            _o("roles", "str_list"),
        ),
    ),
    RecordKind(
        "coder",
        "templates",
        "snapshot",
        ("id",),
        "updated_at",
        (
            _f("id", "uuid"),
            _f("organization_id", "uuid"),
            _f("name", "str"),
            _o("display_name", "str"),
            _o("icon", "str"),
            _f("created_at", "ts"),
            _f("updated_at", "ts"),
            _o("deleted", "bool"),
        ),
    ),
    RecordKind(
        "coder",
        "template_versions",
        "snapshot",
        ("id",),
        "created_at",
        # template_id is null for a version uploaded before its template exists.
        (_f("id", "uuid"), _o("template_id", "uuid"), _o("name", "str"), _f("created_at", "ts")),
    ),
    RecordKind(
        "coder",
        "template_version_parameters",
        "snapshot",
        ("template_version_id", "name"),
        None,
        (
            _f("template_version_id", "uuid"),
            _f("name", "str"),
            _o("display_name", "str"),
            _o("description", "str"),
            _f("type", "str"),
            _o("options", "json"),
            _o("default_value", "str"),
        ),
    ),
    RecordKind(
        "coder",
        "workspaces",
        "snapshot",
        ("id",),
        "updated_at",
        (
            _f("id", "uuid"),
            _f("owner_id", "uuid"),
            _f("organization_id", "uuid"),
            _f("template_id", "uuid"),
            _f("name", "str"),
            _f("created_at", "ts"),
            _f("updated_at", "ts"),
            _o("deleted", "bool"),
        ),
    ),
    RecordKind(
        "coder",
        "workspace_builds",
        "event",
        ("id",),
        "created_at",
        (
            _f("id", "uuid"),
            _f("workspace_id", "uuid"),
            _f("template_version_id", "uuid"),
            _f("build_number", "int"),
            _o("transition", "str"),
            _o("initiator_id", "uuid"),
            _f("created_at", "ts"),
        ),
    ),
    RecordKind(
        "coder",
        "workspace_build_parameters",
        "snapshot",
        ("workspace_build_id", "name"),
        None,
        (_f("workspace_build_id", "uuid"), _f("name", "str"), _f("value", "str")),
    ),
    RecordKind(
        "coder",
        "workspace_apps",
        "snapshot",
        ("id",),
        "created_at",
        (
            _f("id", "uuid"),
            _f("agent_id", "uuid"),
            _f("workspace_id", "uuid"),
            _o("build_id", "uuid"),
            _f("slug", "str"),
            _o("display_name", "str"),
            _o("icon", "str"),
            _f("created_at", "ts"),
        ),
    ),
    RecordKind(
        "coder",
        "workspace_agent_stats",
        "event",
        ("id",),
        "created_at",
        (
            _f("id", "uuid"),
            _f("created_at", "ts"),
            _f("user_id", "uuid"),
            _f("agent_id", "uuid"),
            _f("workspace_id", "uuid"),
            _f("template_id", "uuid"),
            _f("connection_count", "int"),
            _o("connection_median_latency_ms", "float", default="-1"),
            _f("session_count_vscode", "int"),
            _f("session_count_jetbrains", "int"),
            _f("session_count_reconnecting_pty", "int"),
            _f("session_count_ssh", "int"),
            _o("rx_bytes", "int"),
            _o("tx_bytes", "int"),
            _o("rx_packets", "int"),
            _o("tx_packets", "int"),
            _o("usage", "bool"),
        ),
    ),
    RecordKind(
        "coder",
        "workspace_app_stats",
        "event",
        ("agent_id", "session_id"),
        "session_started_at",
        (
            _o("id", "int_or_str"),
            _f("user_id", "uuid"),
            _f("workspace_id", "uuid"),
            _f("agent_id", "uuid"),
            _f("access_method", "str"),
            _f("slug_or_port", "str"),
            _f("session_id", "uuid"),
            _f("session_started_at", "ts"),
            _f("session_ended_at", "ts"),
            _f("requests", "int"),
        ),
        # A live session is re-exported with a growing end: the latest end wins.
        winner="session_ended_at desc",
    ),
    RecordKind(
        "coder",
        "audit_logs",
        "event",
        ("id",),
        "time",
        (
            _f("id", "uuid"),
            _f("time", "ts"),
            _f("user_id", "uuid"),
            _o("organization_id", "uuid"),
            _f("action", "str"),
            _o("resource_type", "str"),
            _o("status_code", "int"),
        ),
    ),
    RecordKind(
        # Coder's own 30-minute rollup, kept after Coder purges the raw agent stats.
        "coder",
        "template_usage_stats",
        "event",
        ("start_time", "template_id", "user_id"),
        "start_time",
        (
            _f("start_time", "ts"),
            _f("end_time", "ts"),
            _f("template_id", "uuid"),
            _f("user_id", "uuid"),
            _o("median_latency_ms", "float"),
            _f("usage_mins", "int"),
            _f("ssh_mins", "int"),
            _f("sftp_mins", "int"),
            _f("reconnecting_pty_mins", "int"),
            _f("vscode_mins", "int"),
            _f("jetbrains_mins", "int"),
            _o("app_usage_mins", "int_map"),
        ),
    ),
    # ----------------------------------------------------------- rocketchat
    RecordKind(
        "rocketchat",
        "users",
        "snapshot",
        ("_id",),
        "_updatedAt",
        (
            _f("_id", "str", names_record=True),
            _f("username", "str"),
            _f("type", "str"),
            _f("active", "bool"),
            _f("roles", "str_list"),
            _o("status", "str"),
            _o("lastLogin", "ts"),
            _f("createdAt", "ts"),
            _f("_updatedAt", "ts"),
            _o("language", "str"),
            _o("federated", "bool"),
            _o("isRemote", "bool"),
            _o("_deletedAt", "ts"),  # a copy from Rocket.Chat's trash: the user was deleted
        ),
    ),
    RecordKind(
        "rocketchat",
        "rooms",
        "snapshot",
        ("_id",),
        "_updatedAt",
        (
            _f("_id", "str", names_record=True),
            _f("t", "str"),
            _o("prid", "str", names_record=True),
            _o("teamMain", "bool"),
            _f("createdAt", "ts", fallback="ts"),
            _o("ts", "ts"),
            _f("_updatedAt", "ts"),
            _o("msgs", "int"),
            _o("_deletedAt", "ts"),
        ),
    ),
    RecordKind(
        "rocketchat",
        "messages",
        "event",
        ("_id",),
        "ts",
        (
            _f("_id", "str", names_record=True),
            _f("rid", "str", names_record=True),
            _f("ts", "ts"),
            _f("u", "user_ref"),
            _o("t", "str"),
            _o("tmid", "str", names_record=True),
            _o("tcount", "int"),
            _o("_hidden", "bool"),
            _o("editedAt", "ts"),
            _o("_deletedAt", "ts"),
        ),
    ),
    RecordKind(
        "rocketchat",
        "subscriptions",
        "snapshot",
        ("_id",),
        'coalesce("ls", "_updatedAt")',
        (
            _f("_id", "str", names_record=True),
            _f("rid", "str", names_record=True),
            _f("u", "user_ref"),
            _o("ls", "ts"),
            _f("_updatedAt", "ts"),
            _o("_deletedAt", "ts"),  # a copy from Rocket.Chat's trash: the subscription ended
        ),
    ),
    RecordKind(
        # The daily statistics document of the rocketchat_statistics collection.
        "rocketchat",
        "statistics",
        "snapshot",
        ("uniqueId",),
        "createdAt",
        (
            _f("uniqueId", "str"),
            _f("installedAt", "ts"),
            _f("version", "str"),
            _f("createdAt", "ts"),
            _f("os", "json"),
            _f("process", "json"),
            _f("deploy", "json"),
            _f("migration", "json"),
            _f("instanceCount", "int"),
            # What Rocket.Chat's Workspace page shows besides (optional: older exports lack them)
            _o("mongoVersion", "str"),
            _o("mongoStorageEngine", "str"),
            _o("oplogEnabled", "bool"),
            _o("msEnabled", "bool"),
            _o("uploadsTotal", "int"),
            _o("uploadsTotalSize", "int"),
        ),
        # Files landed under its first, wrong name (the instances collection) still count.
        former_names=("instances",),
        misfit=(
            "extraInformation",
            "a document of Rocket.Chat's instances collection, which holds no statistics: "
            "export the rocketchat_statistics collection (docs/sources/rocketchat.md)",
        ),
    ),
    # -------------------------------------------------------------- seatable
    RecordKind(
        "seatable",
        "user_activity",
        "event",
        ("username", '"timestamp"::date'),
        "timestamp",
        (_f("username", "str"), _f("timestamp", "ts"), _o("org_id", "int")),
    ),
    RecordKind(
        "seatable",
        "script_runs",
        "event",
        ("id",),
        "finished_at",
        (
            _f("id", "int"),
            _f("dtable_uuid", "str"),
            _f("owner", "str"),
            _o("org_id", "int"),
            _f("script_name", "str"),
            _f("started_at", "ts"),
            _f("finished_at", "ts"),
            _f("success", "bool"),
            _o("return_code", "int"),
            _o("spend_time", "float"),
        ),
    ),
    RecordKind(
        "seatable",
        "users",
        "snapshot",
        ("username",),
        "updated_at",
        (_f("username", "str"), _o("nickname", "str"), _o("org_id", "int"), _f("updated_at", "ts")),
    ),
    RecordKind(
        "seatable",
        "orgs",
        "snapshot",
        ("org_id",),
        "updated_at",
        (_f("org_id", "int"), _f("org_name", "str"), _f("updated_at", "ts")),
    ),
    # --------------------------------------------------------------- openl2m
    RecordKind(
        "openl2m",
        "log",
        "event",
        ("id",),
        "timestamp",
        (
            _f("id", "int"),
            _f("timestamp", "ts"),
            _o("user_id", "int"),
            _o("switch_id", "int"),
            _o("group_id", "int"),
            _o("ip_address", "str"),
            _f("type", "int"),
            _f("action", "int"),
            _o("description", "str"),
        ),
    ),
    RecordKind(
        "openl2m",
        "counters",
        "snapshot",
        ("name",),
        "at",
        (_f("name", "str"), _f("value", "int"), _f("at", "ts")),
    ),
    RecordKind(
        # One record per snapshot: the snapshot time is the whole identity.
        "openl2m",
        "inventory",
        "snapshot",
        (),
        "at",
        (
            _f("at", "ts"),
            _f("switches", "int"),
            _f("switchgroups", "int"),
            _f("vlans", "int"),
            _f("vlan_groups", "int"),
            _f("snmp_profiles", "int"),
            _f("credentials_profiles", "int"),
            _f("commands", "int"),
            _f("command_lists", "int"),
            _f("api_tokens", "int"),
        ),
    ),
)

SOURCES: tuple[str, ...] = ("coder", "rocketchat", "seatable", "openl2m")

BY_TABLE: dict[str, RecordKind] = {k.table: k for k in KINDS}
BY_FOLDER: dict[tuple[str, str], RecordKind] = {
    (k.source, name): k for k in KINDS for name in (k.kind, *k.former_names)
}


def kind_for(source: str, folder: str) -> RecordKind | None:
    """The kind whose files land in <raw>/<source>/<folder>/ (its name or a former one)."""
    return BY_FOLDER.get((source, folder))


# Lineage every landed record carries besides its source fields (traceable to file and line).
LINEAGE_COLUMNS: dict[str, str] = {"_file": "VARCHAR", "_line": "BIGINT"}
