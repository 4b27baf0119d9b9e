"""Reading a product's PostgreSQL database: one read-only, repeatable-read transaction (every
table seen at the same instant, nothing written), and errors a user can act on.

psycopg 3 rather than DuckDB's postgres scanner: DuckDB 2.0.1 here has no extensions beyond
parquet, json and icu. PostgreSQL builds each JSON line itself (json_build_object), so
strings round-trip exactly, and a server-side cursor streams big tables in slices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pipelines.collect import CollectError, landing


def describe(dsn: str) -> str:
    """user@host:port/database of a connection URL, never its password."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "an unreadable connection URL"
    user = parts.get("user", "")
    host = parts.get("host", "") or "local socket"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"{user}@{host}{port}/{parts.get('dbname', '')}"


def first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0].strip() if text else type(error).__name__


@contextmanager
def snapshot(source: str, dsn: str) -> Iterator[psycopg.Connection]:
    """A connection inside one read-only, repeatable-read transaction, session time zone UTC
    (timestamps are written with +00:00). Connection failures become CollectErrors."""
    try:
        conn = psycopg.connect(dsn, connect_timeout=15, application_name="usage-warehouse")
    except psycopg.Error as exc:
        raise CollectError(
            f"collect {source}: cannot connect to {describe(dsn)}: {first_line(exc)}"
        ) from None
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            conn.execute("set local time zone 'UTC'")
            yield conn
    finally:
        conn.close()


def missing_tables(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """The tables of the list the database does not have."""
    rows = conn.execute(
        "select name from unnest(%(tables)s::text[]) as name where to_regclass(name) is null",
        {"tables": tables},
    ).fetchall()
    return [name for (name,) in rows]


def stream(conn: psycopg.Connection, name: str, sql: str, params: dict) -> Iterator[tuple]:
    """The rows of one query, fetched in slices by a server-side cursor."""
    with conn.cursor(name=f"collect_{name}") as cursor:
        cursor.itersize = 20_000
        cursor.execute(sql, params)
        yield from cursor


def collect(
    run: landing.Collect,
    dsn: str,
    tables: list[str],
    plan: Callable[[psycopg.Connection, dict[str, datetime]], list[landing.Read]],
) -> dict[str, int]:
    """Run a source's reads in one snapshot and land their rows; returns kind -> rows.

    `plan` turns the connection and the watermarks into the reads. The collect's guard
    (the warehouse lock) is taken once the database answers and holds every table, so a
    wrong DSN or a missing table leaves the warehouse as it was. Raises CollectError (one
    line).
    """
    source = run.source
    with snapshot(source, dsn) as conn:
        missing = missing_tables(conn, tables)
        if missing:
            raise CollectError(
                f"collect {source}: {describe(dsn)} has no table {', '.join(missing)}: "
                f"is this {source}'s database? (docs/sources/{source}.md)"
            )
        with run.guard():
            state = landing.load_state(run.wh, source)
            try:
                return landing.land_reads(
                    run,
                    state,
                    plan(conn, state.watermarks),
                    lambda read, since: stream(
                        conn,
                        read.kind,
                        read.sql,
                        {**read.params, "since": since, "collected_at": run.collected_at},
                    ),
                )
            except psycopg.errors.InsufficientPrivilege as exc:
                raise CollectError(
                    f"collect {source}: {first_line(exc)}: grant the reading role what "
                    f"docs/sources/{source}.md lists"
                ) from None
            except psycopg.Error as exc:
                raise CollectError(f"collect {source}: {first_line(exc)}") from None
