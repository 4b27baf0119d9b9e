"""The only module that knows paths, partition layout, atomic replacement and DuckDB.

Layout under the warehouse root:

    raw/                                     default landing tree (raw-logs.md)
    collect/<source>.json                    the collect watermarks of a source
    .prefect/                                Prefect's state (unless PREFECT_HOME is set)
    parquet/<table>/day=YYYY-MM-DD/<run>.parquet    records, one live file a UTC day
    parquet/<fact>/<date column>=.../<run>.parquet  facts, one live file a partition
    parquet/<table>/<run>.parquet            kinds without a time; runs; the file manifest
    parquet/rejects/day=YYYY-MM-DD/<run>.parquet    rejected lines, by run day
    parquet/_catalog/current.json            which file of each partition is live
    usage.duckdb                             views over the live files, for ad-hoc queries
    reports -> .reports/<run>                published JSON (a symlink, swapped atomically)

Files are never overwritten: a run writes new files under its own name and makes them
live all at once by replacing catalog/current.json. Readers (the views, usage.duckdb,
the endpoints) read exactly the files the catalog names, so a run killed at any point
leaves the previous state whole, and an open reader keeps a consistent snapshot.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson

from pipelines import records

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MEMORY_ENV = "USAGE_WAREHOUSE_MEMORY_LIMIT"  # DuckDB's memory limit per session, e.g. "2GB"


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

    def new_file(self, table: str, run_id: str, partition: tuple[str, object] | None) -> Path:
        """Where a run writes a table's file: per partition (column, value) or flat."""
        folder = self.table_dir(table)
        if partition is not None:
            folder = folder / f"{partition[0]}={partition[1]}"
        return folder / f"{run_id}.parquet"

    def staged(self, run_id: str, table: str, batch: str = "*") -> Path:
        """A run's staged lines of one table: one Parquet file per batch (`*`: all)."""
        return self.staging(run_id) / table / f"{batch}.parquet"

    def merged(self, run_id: str, table: str) -> Path:
        """Where a run's merge writes a table's day partitions before each moves into place."""
        return self.staging(run_id) / "merged" / table

    def staging(self, run_id: str) -> Path:
        return self.parquet / ".staging" / run_id

    @property
    def catalog_dir(self) -> Path:
        return self.parquet / "_catalog"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own state (its database, logs), unless PREFECT_HOME says otherwise."""
        return self.root / ".prefect"

    def collect_state(self, source: str) -> Path:
        """A source's collect watermarks (collect/<source>.json)."""
        return self.root / "collect" / f"{source}.json"

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


def catalog_file(wh: Warehouse) -> Path:
    """The committed catalog: a run is visible once it replaced this file."""
    return wh.catalog_dir / "current.json"


def has_run(wh: Warehouse) -> bool:
    """Whether a run has committed in this warehouse."""
    return catalog_file(wh).is_file()


def connect(
    database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the session time zone pinned to UTC."""
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    # The pipeline prints its own progress; DuckDB's bar would garble the summary.
    con.execute("set enable_progress_bar = false")
    # Bounded memory whatever the size of a day: DuckDB spills to disk past this.
    con.execute("set memory_limit = $limit", {"limit": os.environ.get(MEMORY_ENV, "1GB")})
    con.execute(
        "set temp_directory = $dir",
        {"dir": str(Path(tempfile.gettempdir()) / "usage-warehouse-spill")},
    )
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to con's database (its views), for one thread, in UTC too."""
    cur = con.cursor()
    cur.execute("set TimeZone = 'UTC'")
    return cur


def sql_literal(value: str | Path) -> str:
    """Quote a path or name for the places DuckDB does not accept a bound parameter."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(paths: list[Path]) -> str:
    """A SQL list of file names, for read_parquet."""
    return "[" + ", ".join(sql_literal(p) for p in paths) + "]"


def copy_to_parquet(
    con: duckdb.DuckDBPyConnection,
    query: str,
    dest: Path,
    params: list | dict | None = None,
    compression: str = "zstd",
) -> None:
    """Write one query's rows to dest atomically: a temporary file renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(dest)
    con.execute(
        f"copy ({query}) to {sql_literal(tmp)} (format parquet, compression {compression})", params
    )
    os.replace(tmp, dest)


def temporary(dest: Path) -> Path:
    """Where a file is written before it is renamed to dest: a dot name beside it, which
    no reader (nor the raw-file discovery) takes for a finished file."""
    return dest.with_name(f".{dest.name}.{os.getpid()}.tmp")


def remove_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed writer left anywhere under folder."""
    for leftover in folder.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(dest)
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def keep_or_write(live: Path, dest: Path, data: bytes) -> bool:
    """Put data at dest; when the live file already holds exactly these bytes, link it
    instead of writing (an unchanged report is not republished). True when it changed."""
    if live.is_file() and live.stat().st_size == len(data) and live.read_bytes() == data:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(live.resolve(), dest)
        return False
    write_bytes_atomic(dest, data)
    return True


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ views


def _typed_empty(columns: dict[str, str]) -> str:
    cols = ", ".join(f"null::{t} as {quote_ident(c)}" for c, t in columns.items())
    return f"select {cols} where false"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _files_view(files: list[Path], hive: bool) -> str:
    return (
        f"select * from read_parquet({sql_list(files)}, "
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
    "fingerprint": "VARCHAR",
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


CHECKS_COLUMNS = {
    "run_id": "VARCHAR",
    "check_name": "VARCHAR",
    "subject": "VARCHAR",
    "value": "DOUBLE",
    "threshold": "DOUBLE",
    "detail": "VARCHAR",
}


class Catalog:
    """Which file is live for each partition of each table.

    A run loads the committed catalog, points partitions at the new files it writes,
    and commits once: one atomic rename makes the whole run visible.
    """

    def __init__(
        self,
        wh: Warehouse,
        tables: dict[str, dict[str, str]] | None = None,
        models: dict[str, str] | None = None,
        run_id: str | None = None,
    ):
        self.wh = wh
        self.run_id = run_id  # the run that committed this catalog
        # table -> partition key ("2024-05-01", a run id, or "" for a flat table) -> file
        # path relative to parquet/
        self.tables: dict[str, dict[str, str]] = tables or {}
        # fact model -> fingerprint of what built its files (SQL text, time zone)
        self.models: dict[str, str] = models or {}

    @classmethod
    def empty(cls) -> Catalog:
        """A catalog of no files: every view typed and empty."""
        return cls(Warehouse("."))

    @classmethod
    def load(cls, wh: Warehouse) -> Catalog:
        current = catalog_file(wh)
        if not current.exists():
            return cls(wh)
        body = orjson.loads(current.read_bytes())
        return cls(wh, body["tables"], body.get("models", {}), body.get("run_id"))

    def partitions(self, table: str) -> list[str]:
        return sorted(self.tables.get(table, {}))

    def file(self, table: str, key: str) -> Path | None:
        relative = self.tables.get(table, {}).get(key)
        return self.wh.parquet / relative if relative else None

    def files(self, table: str, keys: set[str] | None = None) -> list[Path]:
        """The live files of a table, or of the partitions named by keys."""
        return [
            self.wh.parquet / rel
            for key, rel in sorted(self.tables.get(table, {}).items())
            if keys is None or key in keys
        ]

    def put(self, table: str, key: str, path: Path) -> None:
        self.tables.setdefault(table, {})[key] = path.relative_to(self.wh.parquet).as_posix()

    def drop(self, table: str, key: str) -> None:
        self.tables.get(table, {}).pop(key, None)

    def commit(self, run_id: str, keep: int = 3) -> None:
        """Make this catalog live, then delete files no recent catalog names."""
        body = orjson.dumps(
            {"run_id": run_id, "tables": self.tables, "models": self.models},
            option=orjson.OPT_SORT_KEYS,
        )
        write_bytes_atomic(self.wh.catalog_dir / f"{run_id}.json", body)
        write_bytes_atomic(catalog_file(self.wh), body)
        self._collect_garbage(keep)

    def _collect_garbage(self, keep: int) -> None:
        """Keep the files of the last `keep` catalogs (open readers may still use them)."""
        current = catalog_file(self.wh)
        history = sorted(p for p in self.wh.catalog_dir.glob("*.json") if p != current)
        for old in history[:-keep]:
            old.unlink()
        live = {
            rel
            for catalog in [*history[-keep:], current]
            for table in orjson.loads(catalog.read_bytes())["tables"].values()
            for rel in table.values()
        }
        for path in self.wh.parquet.rglob("*.parquet"):
            relative = path.relative_to(self.wh.parquet).as_posix()
            if relative not in live and not relative.startswith(".staging/"):
                path.unlink()
        for folder in sorted(self.wh.parquet.rglob("*=*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _table_view(
    catalog: Catalog,
    table: str,
    hive: bool,
    columns: dict[str, str],
    keys: set[str] | None = None,
) -> str:
    files = catalog.files(table, keys)
    return _files_view(files, hive) if files else _typed_empty(columns)


def record_view_sql(
    catalog: Catalog, kind: records.RecordKind, days: set[str] | None = None
) -> str:
    """The view of one raw record kind (or of some of its days): its source columns,
    lineage and the day partition."""
    columns = {**kind.columns, **records.LINEAGE_COLUMNS}
    if kind.partitioned:
        columns["day"] = "DATE"
    return _table_view(catalog, kind.table, kind.partitioned, columns, days)


def sql_models(layer: str) -> list[Path]:
    return sorted((SQL_DIR / layer).glob("*.sql"))


def sql_model(layer: str, name: str) -> Path:
    """sql/<layer>/<name>.sql"""
    return SQL_DIR / layer / f"{name}.sql"


def partition_files(folder: Path, column: str, value: object) -> list[Path]:
    """The Parquet files DuckDB's PARTITION_BY wrote for one value under folder."""
    return sorted((folder / f"{column}={value}").glob("*.parquet"))


def reports_manifest(folder: Path) -> Path:
    return folder / "manifest.json"


def fact_partition_column(model_sql: str) -> str:
    """Facts declare their day column in the header: `-- partition: activity_date`."""
    match = re.search(r"^--\s*partition:\s*(\w+)", model_sql, re.MULTILINE)
    if not match:
        raise ValueError("fact model lacks a '-- partition: <date column>' header line")
    return match.group(1)


def attach_views(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, tables: Iterable[str] | None = None
) -> None:
    """Create a view for every table (or just the named ones: binding a view reads its
    files' schemas, which grows with history): raw kinds, rejects, runs, checks, the file
    manifest, staging models and facts."""
    wanted = None if tables is None else set(tables)

    def view(name: str, body: str) -> None:
        if wanted is None or name in wanted:
            con.execute(f"create or replace view {name} as {body}")

    for kind in records.KINDS:
        if wanted is None or kind.table in wanted:
            view(kind.table, record_view_sql(catalog, kind))
    view("rejects", _table_view(catalog, "rejects", True, REJECTS_COLUMNS))
    view("runs", _table_view(catalog, "runs", False, RUNS_COLUMNS))
    view("checks", _table_view(catalog, "checks", False, CHECKS_COLUMNS))
    manifest = _table_view(catalog, "ingested_files", False, MANIFEST_COLUMNS)
    view(
        "ingested_files",
        f"select * from ({manifest}) "
        "qualify row_number() over (partition by path order by run_id desc) = 1",
    )
    for model in sql_models("staging"):
        view(model.stem, model.read_text())
    for model in ordered_facts():
        if wanted is None or model.stem in wanted:
            attach_fact_view(con, catalog, model)


def attach_fact_view(
    con: duckdb.DuckDBPyConnection, catalog: Catalog, model: Path, days: set[str] | None = None
) -> None:
    """A fact's view over its live files (or some partitions of it); with no files, its
    model over no rows: same columns, nothing in them."""
    files = catalog.files(model.stem, days)
    body = (
        _files_view(files, hive=True) if files else f"select * from ({model.read_text()}) limit 0"
    )
    con.execute(f"create or replace view {model.stem} as {body}")


def sql_body(sql: str) -> str:
    """A model's SQL without its comment lines (headers name inputs in prose)."""
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def ordered_facts() -> list[Path]:
    """Fact models in dependency order (a model after every fct_ it reads)."""
    models = {p.stem: p for p in sql_models("facts")}
    bodies = {name: sql_body(path.read_text()) for name, path in models.items()}
    deps = {
        name: {other for other in models if other != name and re.search(rf"\b{other}\b", body)}
        for name, body in bodies.items()
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


def open_warehouse(
    wh: Warehouse, catalog: Catalog | None = None, tables: Iterable[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the warehouse views (all, or the named tables);
    never locks usage.duckdb.

    Without a catalog it reads the committed state; a run passes its own, uncommitted one.
    """
    con = connect()
    attach_views(con, catalog or Catalog.load(wh), tables)
    return con


def rebuild_duckdb_file(wh: Warehouse) -> None:
    """Build usage.duckdb anew beside the old one and rename it into place.

    Readers holding the old file keep it open undisturbed; new readers see the new one.
    """
    tmp = wh.root / f".usage.duckdb.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        attach_views(con, Catalog.load(wh))
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, wh.duckdb_file)
    Path(f"{tmp}.wal").unlink(missing_ok=True)


def clean_leftovers(wh: Warehouse) -> None:
    """Remove what a killed run left behind: staging, temporary files, unpublished reports.

    Called with the run lock held, so no live run owns any of it.
    """
    remove_tree(wh.parquet / ".staging")
    for tmp in [
        *wh.root.glob(".*.tmp*"),
        *wh.root.glob(".reports.*.link"),
        *wh.parquet.rglob(".*.tmp"),
    ]:
        tmp.unlink(missing_ok=True)
    live = wh.reports.resolve() if wh.reports.is_symlink() else None
    if wh.report_versions.is_dir():
        for folder in wh.report_versions.iterdir():
            if folder.resolve() != live:
                remove_tree(folder)


def landing_file(raw: Path, source: str, kind: str, collected_at: datetime) -> Path:
    """Where a collect lands one kind's new records:
    <raw>/<source>/<kind>/YYYY/MM/DD/<kind>-<UTC instant>.ndjson.gz. The names sort in
    collect order, so a later collect's copy of a record is read last and wins."""
    stamp = collected_at.astimezone(UTC)
    folder = raw / source / kind / f"{stamp:%Y/%m/%d}"
    return folder / f"{kind}-{stamp:%Y%m%dT%H%M%S%fZ}.ndjson.gz"


def published_file(wh: Warehouse, relative: str) -> Path | None:
    """A file of the live report set (reports/<relative>), never one outside it."""
    folder = wh.reports.resolve()
    path = (folder / relative).resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None


def dashboard_page(folder: Path) -> Path:
    """The dashboard page of a report set (or of `dashboard --out`)."""
    return folder / "index.html"


def dashboard_script(folder: Path) -> Path:
    """The chart library the dashboard page loads from beside itself."""
    return folder / "plotly.min.js"


def report_file(endpoint: str, name: str) -> Path:
    """reports/<endpoint path>/<name>.json, relative to a report set's folder."""
    return Path(endpoint) / f"{name}.json"


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
