"""DuckDB sessions: opened in UTC with bounded memory; quoting for the places DuckDB takes
no bound parameter; writing a query's rows to Parquet atomically."""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from pathlib import Path

import duckdb

from pipelines.storage.paths import temporary

MEMORY_ENV = "USAGE_WAREHOUSE_MEMORY_LIMIT"  # DuckDB's memory limit per session, e.g. "2GB"
# Every connection still open, so that a run asked to stop can interrupt their statements.
_OPEN: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
# Threads open sessions side by side (the transform's models), while the signal handler
# lists them: a set cannot grow while it is listed. Reentrant: the handler runs on the
# main thread, which may hold it.
_OPENING = threading.RLock()


def connect(
    database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the session time zone pinned to UTC."""
    con = duckdb.connect(str(database), read_only=read_only)
    # The database's setting, not this connection's: its cursors are in UTC too.
    con.execute("set global TimeZone = 'UTC'")
    # The pipeline prints its own progress; DuckDB's bar would garble the summary.
    con.execute("set enable_progress_bar = false")
    # Bounded memory whatever the size of a day: DuckDB spills to disk past this.
    con.execute("set memory_limit = $limit", {"limit": os.environ.get(MEMORY_ENV, "1GB")})
    con.execute(
        "set temp_directory = $dir",
        {"dir": str(Path(tempfile.gettempdir()) / "usage-warehouse-spill")},
    )
    with _OPENING:
        _OPEN.add(con)
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to con's database (its views), for one thread, in UTC too (the
    database's time zone, set by `connect`: no statement a cursor, which cost a request
    of serve 0.13 ms)."""
    cur = con.cursor()
    with _OPENING:
        _OPEN.add(cur)
    return cur


def interrupt_all() -> None:
    """Interrupt the statement each open connection runs (it raises InterruptException)."""
    with _OPENING:
        running = list(_OPEN)
    for con in running:
        con.interrupt()


def sql_literal(value: str | Path) -> str:
    """Quote a path or name for the places DuckDB does not accept a bound parameter."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(paths: list[Path]) -> str:
    """A SQL list of file names, for read_parquet."""
    return "[" + ", ".join(sql_literal(p) for p in paths) + "]"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# How the warehouse's files are written: zstd at its fastest level and Parquet 2's
# encodings (delta and byte-stream-split pages). On Coder's agent stats a third less
# encoding time and a fifth smaller files than Parquet 1 at zstd's default level; on the
# facts of the bench's large day, the transform 0.6 s less CPU, the files as large and
# serve's answers 7% faster (docs/performance.md).
PARQUET = "format parquet, compression zstd, compression_level 1, parquet_version v2"


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection,
    query: str,
    dest: Path,
    params: list | dict | None = None,
    options: str = PARQUET,
) -> None:
    """Write one query's rows to dest atomically: a temporary file renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(dest)
    con.execute(f"copy ({query}) to {sql_literal(tmp)} ({options})", params)
    os.replace(tmp, dest)
