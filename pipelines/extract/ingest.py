"""Raw files -> validated records + rejects -> day-partitioned Parquet.

One run: find files the manifest has not seen (or that changed), type every line with
the kind's validation statement and stage every line (accepted or rejected) per block,
then merge each table's staged rows into all its touched day partitions in one statement
(dedupe, latest copy wins); the new files go live with the run's catalog. Counts reconcile:
lines read = accepted (new records) + rejected + duplicates.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from pipelines import records, storage
from pipelines.extract.files import Fingerprint, RawFile, discover, fingerprint, read_batches
from pipelines.extract.validate import register_functions, validation_sql
from pipelines.storage import Catalog, Warehouse, quote_ident, sql_literal
from pipelines.storage.catalog import schema_signature
from pipelines.storage.internal import INGESTED_FILES, REJECTS


@dataclass
class FileResult:
    file: str
    table: str
    status: str  # "new" or "changed"
    lines_read: int = 0
    rejected: int = 0


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    skipped: int = 0  # files already ingested and unchanged
    ignored: list[str] = field(default_factory=list)
    lines_read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    # table -> UTC days whose partition was rewritten (None for unpartitioned kinds)
    touched: dict[str, set[date | None]] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.lines_read == self.accepted + self.rejected + self.duplicates


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Pending:
    """A raw file to read this run; reading it takes the fingerprint the manifest keeps."""

    raw: RawFile
    status: str
    size: int
    mtime_ns: int
    fingerprint: Fingerprint = field(default_factory=Fingerprint)


def _manifest(con, catalog: Catalog) -> dict[str, tuple[int, int, str]]:
    storage.attach_views(con, catalog, ["ingested_files"])
    rows = con.execute("select path, size, mtime_ns, fingerprint from ingested_files").fetchall()
    return {path: (size, mtime, print_) for path, size, mtime, print_ in rows}


def _files_to_read(con, catalog: Catalog, files: list[RawFile]) -> tuple[list[Pending], int]:
    """Files that are new or changed since the manifest saw them, with their fingerprint."""
    seen = _manifest(con, catalog)
    todo = []
    skipped = 0
    for raw in files:
        stat = raw.path.stat()
        known = seen.get(raw.relative)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            skipped += 1
            continue
        if known and known[2] == fingerprint(raw.path):  # touched, not changed
            skipped += 1
            continue
        todo.append(Pending(raw, "changed" if known else "new", stat.st_size, stat.st_mtime_ns))
    return todo, skipped


def _batches_ahead(todo: list[Pending]) -> Iterator[tuple[int, int, pa.Table]]:
    """(file index, batch number, lines) for every file to read, read one batch ahead on a
    thread: Python splits the next block while DuckDB types this one."""

    def batches():
        for index, pending in enumerate(todo):
            for number, batch in enumerate(read_batches(pending.raw.path, pending.fingerprint)):
                yield index, number, batch

    source = batches()
    with ThreadPoolExecutor(1) as reader:
        ahead = reader.submit(next, source, None)
        while (item := ahead.result()) is not None:
            ahead = reader.submit(next, source, None)
            yield item


def _stage_batch(con, wh: Warehouse, run_id: str, raw: RawFile, name: str, lines: pa.Table):
    """Type one batch of a file's lines; every line lands in the run's staging, accepted
    (reason null) or rejected. Returns (lines, rejected)."""
    target = wh.staged(run_id, raw.kind.table, name)
    con.register("batch", lines)
    storage.copy_to_parquet(
        con,
        validation_sql(raw.kind, "batch"),
        target,
        {"file": raw.relative},
        compression="lz4_raw",  # read once by the merge, then deleted
    )
    con.unregister("batch")
    return con.execute(
        f"select count(*), count(reason) from read_parquet({sql_literal(target)})"
    ).fetchall()[0]


def _columns(kind: records.RecordKind) -> str:
    """A table's stored columns: the kind's fields and the lineage."""
    return ", ".join(quote_ident(c) for c in [*kind.columns, *records.LINEAGE_COLUMNS])


def _rows_sql(kind: records.RecordKind, existing: list[Path], staged: Path) -> str:
    """Existing rows of the touched partitions plus the staged accepted ones, with the
    identity as _k0, _k1, ... and, for partitioned kinds, the UTC `day`."""
    keys = [f"{expr} as _k{i}" for i, expr in enumerate(kind.identity)]
    if kind.partitioned:
        keys.append(f"({kind.time_sql})::date as day")
    derived = ", ".join([_columns(kind), *keys])
    new = (
        f"select {derived}, 1 as _is_new from read_parquet({sql_literal(staged)}) "
        "where reason is null"
    )
    if not existing:
        return new
    old = f"select {derived}, 0 as _is_new from read_parquet({storage.sql_list(existing)})"
    return f"{old} union all {new}"


def _per(kind: records.RecordKind) -> list[str]:
    """The columns that make two rows copies of one record: identity (and day)."""
    return [f"_k{i}" for i in range(len(kind.identity))] + (["day"] if kind.partitioned else [])


def _same(columns: list[str]) -> str:
    return " and ".join(f"r.{c} is not distinct from l.{c}" for c in columns)


def _losers_sql(kind: records.RecordKind, rows: str) -> str:
    """Every copy of a record that another copy beats: the one read last wins, unless the
    kind names a winner (e.g. the latest end of a live session). A hash aggregate finds
    the few contested identities; only those are ranked."""
    per = _per(kind)
    winner = f"{kind.winner}, " if kind.winner else ""
    return f"""
with rows as ({rows}),
contested as (select {", ".join(per)} from rows group by all having count(*) > 1)
select {", ".join(per)}, _is_new, _file, _line
from rows r semi join contested l on {_same(per)}
qualify row_number() over (
    partition by {", ".join(per)} order by {winner}_is_new desc, _file desc, _line desc
) > 1
"""


def _merge_table(
    con, catalog: Catalog, run_id: str, kind: records.RecordKind
) -> tuple[int, int, set]:
    """Merge staged rows into the table; returns (staged rows, net new rows, days rewritten).

    One statement per table writes every touched day partition. Without contested copies
    (the usual night) the rows stream through in the order they were read.
    """
    wh = catalog.wh
    staged = wh.staged(run_id, kind.table)
    # Accepted rows per day partition ("" for a flat table), in one pass over the staging.
    day = f"({kind.time_sql})::date::varchar" if kind.partitioned else "''"
    per_day = con.execute(
        f"select {day}, count(*) from read_parquet({sql_literal(staged)}) "
        "where reason is null group by 1 order by 1"
    ).fetchall()
    if not per_day:
        return 0, 0, set()
    staged_rows = sum(n for _, n in per_day)
    days = [d for d, _ in per_day]
    existing = catalog.files(kind.table, set(days))
    rows = _rows_sql(kind, existing, staged)
    con.execute(f"create or replace temp table losers as {_losers_sql(kind, rows)}")
    day_column = ", day" if len(days) > 1 else ""  # PARTITION_BY splits on it
    query = f"with rows as ({rows}) select {_columns(kind)}{day_column} from rows r"
    if con.execute("select count(*) from losers").fetchall()[0][0]:
        query += f" anti join losers l on {_same([*_per(kind), '_is_new', '_file', '_line'])}"
    written = {day: wh.new_file(kind.table, run_id, ("day", day) if day else None) for day in days}
    if len(days) == 1:
        storage.copy_to_parquet(con, query, written[days[0]])
    else:
        merged = wh.merged(run_id, kind.table)
        merged.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"copy ({query}) to {sql_literal(merged)} "
            "(format parquet, compression zstd, partition_by (day))"
        )
        for day, target in written.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            parts = storage.partition_files(merged, "day", day)
            if len(parts) == 1:
                os.replace(parts[0], target)
            else:  # DuckDB may split a partition when it holds many files open
                storage.copy_to_parquet(
                    con, f"select * from read_parquet({storage.sql_list(parts)})", target
                )
    schema = schema_signature({**kind.columns, **records.LINEAGE_COLUMNS})
    for day, target in written.items():
        catalog.put(kind.table, day, target, schema)
    net_new = _count(con, list(written.values())) - _count(con, existing)
    return staged_rows, net_new, set(days)


def _count(con, paths: list[Path]) -> int:
    if not paths:
        return 0
    (count,) = con.execute(
        f"select count(*) from read_parquet({storage.sql_list(paths)})"
    ).fetchone()
    return count


def ingest(
    wh: Warehouse,
    raw_root,
    run_id: str,
    run_day: date,
    progress: Progress | None = None,
    source: str | None = None,
    catalog: Catalog | None = None,
) -> IngestResult:
    """Ingest every new or changed raw file under raw_root (one source, or all).

    With a catalog (a run's), new files are added to it for the run to commit; without
    one, the ingest commits on its own.
    """
    say = progress or (lambda _msg: None)
    own_catalog = catalog is None
    catalog = catalog or Catalog.load(wh)
    result = IngestResult()
    found = discover(raw_root, source)
    result.ignored = found.ignored
    con = storage.connect()
    register_functions(con)
    try:
        todo, result.skipped = _files_to_read(con, catalog, found.files)
        storage.remove_tree(wh.staging(run_id))
        result.files = [FileResult(p.raw.relative, p.raw.kind.table, p.status) for p in todo]
        total_mb, done_mb = sum(p.size for p in todo) / 2**20, 0.0
        for index, number, lines in _batches_ahead(todo):
            raw, file_result = todo[index].raw, result.files[index]
            if number == 0:
                say(
                    f"reading {raw.relative} (file {index + 1} of {len(todo)}, "
                    f"{done_mb:,.0f} of {total_mb:,.0f} MB read)"
                )
                done_mb += todo[index].size / 2**20
            read, rejected = _stage_batch(con, wh, run_id, raw, f"{index:06d}-{number:04d}", lines)
            file_result.lines_read += read
            file_result.rejected += rejected
        for kind in records.KINDS:
            if not any(p.raw.kind is kind for p in todo):
                continue
            say(f"merging {kind.table}")
            staged_rows, net_new, days = _merge_table(con, catalog, run_id, kind)
            result.accepted += net_new
            result.duplicates += staged_rows - net_new
            if days:
                result.touched[kind.table] = days
        if todo:
            _write_rejects_and_manifest(con, catalog, run_id, run_day, todo, result)
        result.lines_read = sum(f.lines_read for f in result.files)
        result.rejected = sum(f.rejected for f in result.files)
    finally:
        con.close()
        storage.remove_tree(wh.staging(run_id))
    if own_catalog:  # on its own, without the run lock to tell of a killed predecessor
        catalog.commit(run_id, sweep=True)
    return result


def _write_rejects_and_manifest(
    con, catalog: Catalog, run_id: str, run_day: date, todo: list[Pending], result: IngestResult
) -> None:
    """This run's rejects (one file, by run day) and manifest entries join the catalog."""
    wh = catalog.wh
    staged = " union all ".join(
        f"select {sql_literal(kind.source)} as source, {sql_literal(kind.kind)} as kind, "
        "_file as file, _line as line, reason, raw "
        f"from read_parquet({sql_literal(wh.staged(run_id, kind.table))}) "
        "where reason is not null"
        for kind in {p.raw.kind.table: p.raw.kind for p in todo}.values()
    )
    REJECTS.write(
        con,
        catalog,
        f"select *, $run_id as run_id from ({staged}) order by file, line",
        run_id,
        run_day,
        {"run_id": run_id},
    )
    manifest = pa.table(
        {
            "path": [p.raw.relative for p in todo],
            "size": pa.array([p.size for p in todo], pa.int64()),
            "mtime_ns": pa.array([p.mtime_ns for p in todo], pa.int64()),
            "fingerprint": [p.fingerprint.text for p in todo],
            "status": [p.status for p in todo],
            "lines_read": pa.array([f.lines_read for f in result.files], pa.int64()),
            "run_id": [run_id] * len(todo),
        }
    )
    con.register("manifest", manifest)
    INGESTED_FILES.write(con, catalog, "select * from manifest", run_id)
