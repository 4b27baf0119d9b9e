"""Reading a product's MariaDB/MySQL databases: read-only consistent snapshots (every table
of a connection seen at the same instant, nothing written), and errors a user can act on.

A product may keep its data in several databases of a server (SeaTable: dtable_db,
ccnet_db, scheduler). Its queries name each table with a placeholder for its database
(`{dtable}.user_activity_statistics`), replaced here by the configured name, and declare in
their header the database whose connection runs them (`-- database: dtable`). One server
URL (mysql://user:password@host:3306/) reads every database under its default name in one
connection and one snapshot; a URL per database (`{dtable: VAR, ...}`, each naming its
database) opens a connection, and a snapshot, for each.

PyMySQL, pure Python: the queries return typed, named columns, streamed by an unbuffered
cursor; each JSON line is built here from the kind's declared field types (records.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import orjson
import pymysql
import pymysql.cursors
from pymysql.constants import ER, FIELD_TYPE
from pymysql.converters import conversions

from pipelines import records
from pipelines.collect import CollectError, landing
from pipelines.sqlcatalog import header

SCHEMES = ("mysql", "mariadb")
DENIED = {ER.DBACCESS_DENIED_ERROR, ER.TABLEACCESS_DENIED_ERROR, ER.COLUMNACCESS_DENIED_ERROR}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Database:
    """One of a product's databases: its default name and the tables its queries read."""

    default: str
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Server:
    """A connection URL, parsed."""

    user: str
    password: str = field(repr=False)
    host: str
    port: int
    database: str

    def __str__(self) -> str:
        """user@host:port/database, never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def parse(source: str, url: str) -> Server:
    """A mysql:// (or mariadb://) URL; a CollectError that never repeats it (a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port or 3306
    except ValueError as exc:
        raise CollectError(f"collect {source}: an unreadable connection URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise CollectError(
            f"collect {source}: not a mysql:// URL (mysql://user:password@host:3306/database)"
        )
    if parts.query:
        raise CollectError(f"collect {source}: URL parameters are not supported ({parts.query!r})")
    return Server(
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        parts.hostname or "localhost",
        port,
        unquote(parts.path.lstrip("/")),
    )


def servers(
    source: str, dsn: str | dict[str, str], databases: dict[str, Database]
) -> dict[str, tuple[Server, str]]:
    """database key -> (Server, the database's name). One URL is a server holding every
    database under its default name; a mapping names a URL, with its database, per key."""
    if isinstance(dsn, str):
        server = parse(source, dsn)
        if server.database:
            raise CollectError(
                f"collect {source}: one URL names the server only (mysql://user:password@"
                f"host:3306/, databases {', '.join(d.default for d in databases.values())}); "
                f"name a URL per database for other names (docs/sources/{source}.md)"
            )
        return {key: (server, database.default) for key, database in databases.items()}
    if set(dsn) != set(databases):
        raise CollectError(
            f"collect {source}: sources.{source}.dsn_env names URLs for {', '.join(sorted(dsn))}; "
            f"it needs one for each of {', '.join(databases)}"
        )
    named = {key: parse(source, url) for key, url in dsn.items()}
    for key, server in named.items():
        if not server.database:
            raise CollectError(
                f"collect {source}: the URL for {key} names no database "
                "(mysql://user:password@host:3306/<database>)"
            )
    return {key: (server, server.database) for key, server in named.items()}


def message(error: pymysql.MySQLError) -> str:
    """The server's one-line message of an error."""
    text = str(error.args[1] if len(error.args) > 1 else error).strip().splitlines()
    return text[0].strip() if text else type(error).__name__


def _datetime(text: str) -> datetime | str:
    """A DATETIME column's text as a naive datetime; a zero date stays text."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


# PyMySQL's own DATETIME parser (a regular expression) took two thirds of a collect's time.
CONVERSIONS = {**conversions, FIELD_TYPE.DATETIME: _datetime}


@contextmanager
def snapshot(source: str, server: Server) -> Iterator[pymysql.Connection]:
    """A connection inside one read-only transaction with a consistent snapshot, session
    time zone UTC. Connection failures become CollectErrors."""
    try:
        conn = pymysql.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            database=server.database or None,
            charset="utf8mb4",
            conv=CONVERSIONS,
            connect_timeout=15,
            program_name="usage-warehouse",
        )
    except pymysql.MySQLError as exc:
        raise CollectError(
            f"collect {source}: cannot connect to {server}: {message(exc)}"
        ) from None
    try:
        with conn.cursor() as cursor:
            # NOW() and TIMESTAMP columns in UTC; SeaTable's DATETIME columns carry no zone
            # and are read as UTC (docs/sources/seatable.md).
            cursor.execute("set session time_zone = '+00:00'")
            cursor.execute("set session transaction isolation level repeatable read")
            cursor.execute("start transaction with consistent snapshot, read only")
        yield conn
    finally:
        conn.close()


def missing_tables(conn: pymysql.Connection, name: str, tables: tuple[str, ...]) -> list[str]:
    """The tables of database `name` the connection cannot see (absent, or not granted)."""
    with conn.cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.tables"
            " where table_schema = %(name)s and table_name in %(tables)s",
            {"name": name, "tables": tables},
        )
        # Compared without case: with lower_case_table_names set, OrgUser is orguser.
        present = {table.lower() for (table,) in cursor.fetchall()}
    return [f"{name}.{table}" for table in tables if table.lower() not in present]


def open_snapshots(
    stack: ExitStack,
    source: str,
    located: dict[str, tuple[Server, str]],
    tables: dict[str, Database],
) -> dict[str, pymysql.Connection]:
    """database key -> the connection that reads it (one snapshot per URL, closed with the
    stack), once it is known to hold the database's tables."""
    opened: dict[Server, pymysql.Connection] = {}
    connections: dict[str, pymysql.Connection] = {}
    for key, (server, name) in located.items():
        if server not in opened:
            opened[server] = stack.enter_context(snapshot(source, server))
        connections[key] = opened[server]
        missing = missing_tables(connections[key], name, tables[key].tables)
        if missing:
            raise CollectError(
                f"collect {source}: {server} has no table {', '.join(missing)} (or may not "
                f"read it): is this {source}'s database? (docs/sources/{source}.md)"
            )
    return connections


def query_text(sql: str, names: dict[str, str]) -> tuple[str, str]:
    """(the database key whose connection runs the query, its text with every database
    placeholder replaced by the configured name)."""
    home = header(sql, "database")
    if not home:
        raise ValueError("collect query lacks a '-- database: <key>' header line")
    text = PLACEHOLDER.sub(lambda m: "`" + names[m.group(1)].replace("`", "``") + "`", sql)
    return home, text


# A typed column's JSON value, by field type of records.py: a tinyint(1) flag is a bool; a
# DATETIME (naive, UTC by assumption) orjson writes with +00:00 (OPT_NAIVE_UTC); a zero
# date comes back as text, landed as read for the ingest to reject; the rest as read.
JSON_VALUES: dict[str, Callable[[object], object]] = {"bool": bool}
JSON_OPTIONS = orjson.OPT_NAIVE_UTC


def lines(
    kind: records.RecordKind, cursor: pymysql.cursors.Cursor, whole: bool, collected_at: datetime
) -> Iterator[tuple[str, object]]:
    """(JSON line, watermark) of each row of an executed query of an incremental read;
    (JSON line stamped with the collect instant as the kind's version time, the row's
    content) of a whole read. A line holds the kind's declared fields the query returns,
    in declared order."""
    columns = [column[0] for column in cursor.description]
    fields = [
        (columns.index(f.name), f.name, JSON_VALUES.get(f.type))
        for f in kind.fields
        if f.name in columns
    ]
    watermark = None if whole else columns.index("watermark")
    for row in cursor:
        record = {
            name: row[index] if convert is None or row[index] is None else convert(row[index])
            for index, name, convert in fields
        }
        if watermark is None:
            content = orjson.dumps(record, option=JSON_OPTIONS).decode()
            record[kind.time] = collected_at
            yield orjson.dumps(record, option=JSON_OPTIONS).decode(), content
        else:
            mark = row[watermark].replace(tzinfo=UTC)
            yield orjson.dumps(record, option=JSON_OPTIONS).decode(), mark


def collect(
    run: landing.Collect,
    dsn: str | dict[str, str],
    tables: dict[str, Database],
    plan: Callable[[], list[landing.Read]],
) -> dict[str, int]:
    """Run a source's reads in snapshots of its databases and land their rows; returns
    kind -> rows.

    `tables` names the product's databases (key -> default name and the tables read in it).
    The collect's guard (the warehouse lock) is taken once every database answers and
    holds every table, so a wrong URL or a missing table leaves the warehouse as it was.
    Raises CollectError (one line).
    """
    source = run.source
    located = servers(source, dsn, tables)
    names = {key: name for key, (_, name) in located.items()}
    try:
        with ExitStack() as stack:
            connections = open_snapshots(stack, source, located, tables)

            def rows_of(read: landing.Read, since: datetime) -> Iterator[tuple[str, object]]:
                home, sql = query_text(read.sql, names)
                params = {**read.params, "since": since.astimezone(UTC).replace(tzinfo=None)}
                kind = records.kind_for(source, read.kind)
                # Unbuffered: the rows stream as the server sends them, nothing held in memory.
                with connections[home].cursor(pymysql.cursors.SSCursor) as cursor:
                    cursor.execute(sql, params)
                    yield from lines(kind, cursor, read.overlap is None, run.collected_at)

            with run.guard():
                state = landing.load_state(run.wh, source)
                return landing.land_reads(run, state, plan(), rows_of)
    except pymysql.MySQLError as exc:
        if exc.args and exc.args[0] in DENIED:
            raise CollectError(
                f"collect {source}: {message(exc)}: grant the reading role what "
                f"docs/sources/{source}.md lists"
            ) from None
        raise CollectError(f"collect {source}: {message(exc)}") from None
