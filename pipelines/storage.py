"""The only module that knows paths, partition layout, atomic replacement and DuckDB.

Layout under the warehouse root:

    raw/                                   default landing tree (raw-logs.md)
    parquet/<table>/day=YYYY-MM-DD/data.parquet   records and facts, one file a day
    parquet/<table>/data.parquet           kinds without a time (immutable snapshots)
    parquet/rejects/day=YYYY-MM-DD/<run_id>.parquet   rejected lines, by run day
    parquet/runs/<run_id>.parquet          one row per run
    parquet/ingested_files/<run_id>.parquet   the file manifest, appended per run
    usage.duckdb                           views over all of the above, for ad-hoc queries
    reports -> .reports/<run_id>           published JSON (a symlink, swapped atomically)
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from pipelines import records

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse lock."""


class Warehouse:
    """Paths of one warehouse root."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    @property
    def parquet(self) -> Path:
        return self.root / "parquet"

    @property
    def default_raw(self) -> Path:
        return self.root / "raw"

    @property
    def duckdb_file(self) -> Path:
        return self.root / "usage.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def report_versions(self) -> Path:
        return self.root / ".reports"

    def table_dir(self, table: str) -> Path:
        return self.parquet / table

    def partition_file(self, table: str, day: date | str, column: str = "day") -> Path:
        """Raw kinds partition by `day`; facts by their own date column (the hive key)."""
        return self.table_dir(table) / f"{column}={day}" / "data.parquet"

    def single_file(self, table: str) -> Path:
        return self.table_dir(table) / "data.parquet"

    def staging(self, run_id: str) -> Path:
        return self.parquet / ".staging" / run_id

    def rejects_file(self, day: date | str, run_id: str) -> Path:
        return self.table_dir("rejects") / f"day={day}" / f"{run_id}.parquet"

    def run_file(self, run_id: str) -> Path:
        return self.table_dir("runs") / f"{run_id}.parquet"

    def manifest_file(self, run_id: str) -> Path:
        return self.table_dir("ingested_files") / f"{run_id}.parquet"

    def partition_days(self, table: str) -> list[str]:
        """Days that have a partition file, ascending."""
        folder = self.table_dir(table)
        if not folder.is_dir():
            return []
        return sorted(
            p.name.split("=", 1)[1]
            for p in folder.iterdir()
            if "=" in p.name and (p / "data.parquet").exists()
        )

    def drop_partition(self, table: str, day: date | str, column: str = "day") -> None:
        """Remove a partition that no longer has rows (its file first, then the folder)."""
        path = self.partition_file(table, day, column)
        path.unlink(missing_ok=True)
        remove_tree(path.parent)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the warehouse's run lock; a second run refuses instead of corrupting."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ".lock"
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise WarehouseBusy(
                    f"another run is using {self.root} (pid {holder}); wait for it to finish"
                ) from None
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)


def connect(
    database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the session time zone pinned to UTC."""
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def sql_literal(value: str | Path) -> str:
    """Quote a path or name for the places DuckDB does not accept a bound parameter."""
    return "'" + str(value).replace("'", "''") + "'"


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection, query: str, dest: Path, params: list | dict | None = None
) -> None:
    """Write one query's rows to dest atomically: a temporary file renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    con.execute(f"copy ({query}) to {sql_literal(tmp)} (format parquet, compression zstd)", params)
    os.replace(tmp, dest)


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ views


def _typed_empty(columns: dict[str, str]) -> str:
    cols = ", ".join(f"null::{t} as {quote_ident(c)}" for c, t in columns.items())
    return f"select {cols} where false"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _glob_view(glob: Path, hive: bool) -> str:
    return (
        f"select * from read_parquet({sql_literal(glob)}, "
        f"hive_partitioning = {str(hive).lower()}, union_by_name = true)"
    )


REJECTS_COLUMNS = {
    "source": "VARCHAR",
    "kind": "VARCHAR",
    "file": "VARCHAR",
    "line": "BIGINT",
    "reason": "VARCHAR",
    "raw": "VARCHAR",
    "run_id": "VARCHAR",
    "day": "DATE",
}

MANIFEST_COLUMNS = {
    "path": "VARCHAR",
    "size": "BIGINT",
    "mtime_ns": "BIGINT",
    "sha256": "VARCHAR",
    "status": "VARCHAR",
    "lines_read": "BIGINT",
    "run_id": "VARCHAR",
}

RUNS_COLUMNS = {
    "run_id": "VARCHAR",
    "started_at": "TIMESTAMPTZ",
    "finished_at": "TIMESTAMPTZ",
    "as_of": "TIMESTAMPTZ",
    "status": "VARCHAR",
    "files": "BIGINT",
    "lines_read": "BIGINT",
    "accepted": "BIGINT",
    "rejected": "BIGINT",
    "duplicates": "BIGINT",
    "days_rebuilt": "BIGINT",
    "reports_written": "BIGINT",
    "seconds": "DOUBLE",
    "extract_seconds": "DOUBLE",
    "transform_seconds": "DOUBLE",
    "publish_seconds": "DOUBLE",
    "message": "VARCHAR",
}


def _data_view(wh: Warehouse, table: str, partitioned: bool) -> str | None:
    """A view over a table's Parquet files, or None when it has none yet."""
    folder = wh.table_dir(table)
    glob = folder / "*=*" / "*.parquet" if partitioned else wh.single_file(table)
    if not any(folder.glob(str(glob.relative_to(folder)))):
        return None
    return _glob_view(glob, hive=partitioned)


def _appended_view(wh: Warehouse, table: str, columns: dict[str, str]) -> str:
    folder = wh.table_dir(table)
    files = list(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return _typed_empty(columns)
    return _glob_view(folder / "*.parquet", hive=False)


def record_view_sql(wh: Warehouse, kind: records.RecordKind) -> str:
    """The view of one raw record kind: its source columns, lineage and the day partition."""
    columns = {**kind.columns, **records.LINEAGE_COLUMNS}
    if kind.partitioned:
        columns["day"] = "DATE"
    return _data_view(wh, kind.table, kind.partitioned) or _typed_empty(columns)


def sql_models(layer: str) -> list[Path]:
    return sorted((SQL_DIR / layer).glob("*.sql"))


def fact_partition_column(model_sql: str) -> str:
    """Facts declare their day column in the header: `-- partition: activity_date`."""
    match = re.search(r"^--\s*partition:\s*(\w+)", model_sql, re.MULTILINE)
    if not match:
        raise ValueError("fact model lacks a '-- partition: <date column>' header line")
    return match.group(1)


def attach_views(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    """Create a view for every table: raw kinds, rejects, runs, files, staging and facts."""
    for kind in records.KINDS:
        con.execute(f"create or replace view {kind.table} as {record_view_sql(wh, kind)}")
    rejects = _data_view(wh, "rejects", partitioned=True) or _typed_empty(REJECTS_COLUMNS)
    con.execute(f"create or replace view rejects as {rejects}")
    con.execute(f"create or replace view runs as {_appended_view(wh, 'runs', RUNS_COLUMNS)}")
    manifest = _appended_view(wh, "ingested_files", MANIFEST_COLUMNS)
    con.execute(
        "create or replace view ingested_files as "
        f"select * from ({manifest}) qualify row_number() over (partition by path order by run_id desc) = 1"
    )
    for model in sql_models("staging"):
        con.execute(f"create or replace view {model.stem} as {model.read_text()}")
    for model in ordered_facts():
        data = _data_view(wh, model.stem, partitioned=True)
        # A fact not built yet reads as its model over the (empty) inputs: same columns, no rows.
        body = data or f"select * from ({model.read_text()}) limit 0"
        con.execute(f"create or replace view {model.stem} as {body}")


def ordered_facts() -> list[Path]:
    """Fact models in dependency order (a model after every fct_ it reads)."""
    models = {p.stem: p for p in sql_models("facts")}
    deps = {
        name: {
            other
            for other in models
            if other != name and re.search(rf"\b{other}\b", path.read_text())
        }
        for name, path in models.items()
    }
    ordered: list[Path] = []
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in trail:
            raise ValueError(f"cycle among fact models: {' -> '.join((*trail, name))}")
        for dep in sorted(deps[name]):
            visit(dep, (*trail, name))
        done.add(name)
        ordered.append(models[name])

    for name in sorted(models):
        visit(name, ())
    return ordered


def open_warehouse(wh: Warehouse) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with every warehouse view; never locks usage.duckdb."""
    con = connect()
    attach_views(con, wh)
    return con


def rebuild_duckdb_file(wh: Warehouse) -> None:
    """Build usage.duckdb anew beside the old one and rename it into place.

    Readers holding the old file keep it open undisturbed; new readers see the new one.
    """
    tmp = wh.root / f".usage.duckdb.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        attach_views(con, wh)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, wh.duckdb_file)
    Path(f"{tmp}.wal").unlink(missing_ok=True)


def publish_reports_dir(wh: Warehouse, run_id: str) -> Path:
    """A fresh folder for this run's reports; swap_reports makes it live."""
    folder = wh.report_versions / run_id
    remove_tree(folder)
    folder.mkdir(parents=True)
    return folder


def swap_reports(wh: Warehouse, folder: Path) -> None:
    """Point reports/ at folder in one rename, then drop older versions."""
    link = wh.reports
    if link.exists() and not link.is_symlink():
        # A plain folder from elsewhere: move it aside once so the symlink can take its place.
        link.rename(wh.report_versions / "previous-plain")
    tmp_link = wh.root / f".reports.{os.getpid()}.link"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(folder.relative_to(wh.root))
    os.replace(tmp_link, link)
    for old in wh.report_versions.iterdir():
        if old != folder:
            remove_tree(old)
