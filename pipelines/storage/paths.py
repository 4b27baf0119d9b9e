"""Where everything of a warehouse lives: the only module that builds paths.

Layout under the warehouse root:

    raw/                                     default landing tree (docs/raw-logs.md)
    collect/<source>.json                    the collect state of a source
    forgotten.json                           keyed hashes of the persons `forget` erased
    forgotten.key                            their key, unless privacy.key_env names one
    erasure-journal.json                     an erasure being applied (storage/journal.py)
    .prefect/                                Prefect's state (unless PREFECT_HOME is set)
    parquet/<table>/day=YYYY-MM-DD/<run>.parquet    records, one live file a UTC day (a
                                             snapshot kind's settled months packed, as
                                             below)
    parquet/<model>/<date column>=.../<run>.parquet facts and versioned staging, one live
                                             file a partition; settled days packed
                                             (<first day>..<last day>, holding the date
                                             column; storage/compaction.py)
    parquet/<table>/<run>.parquet            kinds without a time; runs; the file manifest
    parquet/rejects/day=YYYY-MM-DD/<run>.parquet    rejected lines, by run day
    parquet/_catalog/current.json            which file of each partition is live
    usage.duckdb                             views over the live files, for ad-hoc queries
    reports -> .reports/<run>                published JSON and the dashboard (a symlink,
                                             swapped atomically)
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

PACKED = ".."  # in a partition folder's name: a file of several days, not one


def packed_days(path: Path) -> tuple[str, str] | None:
    """The first and last day of a partition file holding several days (its date column
    inside), or None for a file of one day (its day in the folder's name alone, read back
    by hive partitioning)."""
    first, packed, last = path.parent.name.partition("=")[2].partition(PACKED)
    return (first, last) if packed else None


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse lock."""


class Warehouse:
    """Paths of one warehouse root."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        # Set by lock(): the previous holder of the lock was killed mid-run (its files not
        # in any catalog may lie anywhere under parquet/).
        self.interrupted = False

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

    def new_packed_file(self, table: str, run_id: str, column: str, days: tuple) -> Path:
        """Where a run writes the one file of a fact's (versioned staging model's, snapshot
        kind's) days from days[0] to days[1]."""
        return self.new_file(table, run_id, (column, f"{days[0]}{PACKED}{days[1]}"))

    @property
    def catalog_dir(self) -> Path:
        return self.parquet / "_catalog"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own state (its database, logs), unless PREFECT_HOME says otherwise."""
        return self.root / ".prefect"

    @property
    def forgotten(self) -> Path:
        """The forgotten list: keyed hashes of erased persons (privacy/forgotten.py)."""
        return self.root / "forgotten.json"

    @property
    def forgotten_key(self) -> Path:
        """The forgotten list's key, made here when no `privacy.key_env` variable is set."""
        return self.root / "forgotten.key"

    @property
    def erasure_prepared(self) -> Path:
        """Where an erasure not yet decided writes its raw files aside (storage/journal.py)."""
        return self.root / "erasure-prepared.json"

    @property
    def erasure_journal(self) -> Path:
        """An erasure decided but not yet wholly applied (storage/journal.py)."""
        return self.root / "erasure-journal.json"

    def collect_state(self, source: str) -> Path:
        """A source's collect watermarks (collect/<source>.json)."""
        return self.root / "collect" / f"{source}.json"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def scheduler_lock_file(self) -> Path:
        return self.root / ".schedule.lock"

    def derived(self) -> list[Path]:
        """Everything a warehouse holds that its raw tree and flows.yaml can make again:
        what `reset` removes (Prefect's state only where it is the warehouse's own)."""
        return [
            self.parquet,
            self.duckdb_file,
            self.duckdb_file.with_name(self.duckdb_file.name + ".wal"),
            self.reports,
            self.report_versions,
            self.root / "collect",
            self.prefect_home,
            *self.root.glob(".*.tmp*"),
            *self.root.glob(".reports.*.link"),
            self.scheduler_lock_file,
            self.lock_file,
        ]

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the warehouse's run lock; a second run refuses instead of corrupting."""
        with _exclusive(self.lock_file, "another run") as handle:
            # A holder that ended normally emptied the file: a pid left in it was killed.
            self.interrupted = bool(handle.read().strip())
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)

    @contextmanager
    def scheduler_lock(self) -> Iterator[None]:
        """Held by `schedule` while its Prefect server runs on this warehouse's state, so
        `reset` does not pull that state from under it."""
        with _exclusive(self.scheduler_lock_file, "`schedule`") as handle:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
            yield


@contextmanager
def _exclusive(path: Path, holder_is: str) -> Iterator:
    """An exclusive lock on path (flock), its file open for the holder to write its pid;
    WarehouseBusy when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise WarehouseBusy(
                f"{holder_is} is using {path.parent} (pid {pid}); wait for it to finish"
            ) from None
        handle.seek(0)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def catalog_file(wh: Warehouse) -> Path:
    """The committed catalog: a run is visible once it replaced this file."""
    return wh.catalog_dir / "current.json"


def temporary(dest: Path) -> Path:
    """Where a file is written before it is renamed to dest: a dot name beside it, which
    no reader (nor the raw-file discovery) takes for a finished file."""
    return dest.with_name(f".{dest.name}.{os.getpid()}.tmp")


def erasure_temporary(dest: Path) -> Path:
    """Where `forget` writes a raw file's new content until its erasure is applied: a dot
    name (the ingest never reads it) a collect's clean-up does not take for its own."""
    return dest.with_name(f".{dest.name}.erasure")


def reports_manifest(folder: Path) -> Path:
    return folder / "manifest.json"


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
