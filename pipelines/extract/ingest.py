"""Raw files -> validated records + rejects -> day-partitioned Parquet.

One run: find files the manifest has not seen (or that changed), type every line with
the kind's validation statement, stage accepted rows and rejects per file chunk, then
merge the staged rows into each touched day partition (dedupe, latest copy wins) and
replace that partition's file atomically. Counts reconcile:
lines read = accepted (new records) + rejected + duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from pipelines import records, storage
from pipelines.extract.files import RawFile, discover, fingerprint, read_batches
from pipelines.extract.validate import validation_sql
from pipelines.storage import Catalog, Warehouse, quote_ident, sql_literal


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
    """A raw file to read this run, with the fingerprint the manifest will remember."""

    raw: RawFile
    status: str
    fingerprint: str
    size: int
    mtime_ns: int


def _manifest(con, catalog: Catalog) -> dict[str, tuple[int, int, str]]:
    storage.attach_views(con, catalog)
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
        content = fingerprint(raw.path)
        if known and known[2] == content:
            skipped += 1
            continue
        todo.append(
            Pending(raw, "changed" if known else "new", content, stat.st_size, stat.st_mtime_ns)
        )
    return todo, skipped


def _stage_file(
    con, wh: Warehouse, run_id: str, index: int, raw: RawFile, result: FileResult
) -> None:
    """Type one file's lines; accepted rows and rejects land as Parquet in the run's staging."""
    kind = raw.kind
    staging = wh.staging(run_id)
    statement = validation_sql(kind, "batch")
    for number, batch in enumerate(read_batches(raw.path)):
        con.register("batch", batch)
        con.execute(f"create or replace temp table typed as {statement}", {"file": raw.relative})
        con.unregister("batch")
        name = f"{index:06d}-{number:04d}.parquet"
        columns = ", ".join(quote_ident(c) for c in [*kind.columns, *records.LINEAGE_COLUMNS])
        storage.copy_to_parquet(
            con,
            f"select {columns} from typed where reason is null",
            staging / kind.table / name,
            compression="uncompressed",  # read once by the merge, then deleted
        )
        storage.copy_to_parquet(
            con,
            "select $source as source, $kind as kind, _file as file, _line as line, reason, raw, "
            "$run_id as run_id from typed where reason is not null",
            staging / "rejects" / name,
            {"source": kind.source, "kind": kind.kind, "run_id": run_id},
        )
        read, rejected = con.execute(
            "select count(*), count(*) filter (where reason is not null) from typed"
        ).fetchall()[0]
        result.lines_read += read
        result.rejected += rejected
    con.execute("drop table if exists typed")


def _merge_query(
    kind: records.RecordKind, existing: str | None, staged: str, day_filter: str
) -> str:
    """Existing rows plus staged ones, one row per identity: the copy read last wins."""
    identity = ", ".join(kind.identity) or "1"
    winner = f"{kind.winner}, " if kind.winner else ""
    columns = ", ".join(quote_ident(c) for c in [*kind.columns, *records.LINEAGE_COLUMNS])
    old = (
        f"select {columns}, 0 as _is_new from read_parquet({sql_literal(existing)}) union all "
        if existing
        else ""
    )
    return f"""
select {columns} from (
    {old}select {columns}, 1 as _is_new from read_parquet({sql_literal(staged)}) where {day_filter}
)
qualify row_number() over (
    partition by {identity} order by {winner}_is_new desc, _file desc, _line desc
) = 1
order by {identity}, _file, _line
"""


def _merge_table(
    con, catalog: Catalog, run_id: str, kind: records.RecordKind
) -> tuple[int, int, set]:
    """Merge staged rows into the table; returns (staged rows, net new rows, days rewritten)."""
    wh = catalog.wh
    staged = wh.staging(run_id) / kind.table / "*.parquet"
    (staged_rows,) = con.execute(
        f"select count(*) from read_parquet({sql_literal(staged)})"
    ).fetchall()[0]
    if staged_rows == 0:
        return 0, 0, set()
    if kind.partitioned:
        day_expr = f"({kind.time_sql})::date"
        days = [
            str(d)
            for (d,) in con.execute(
                f"select distinct {day_expr} from read_parquet({sql_literal(staged)}) order by 1"
            ).fetchall()
        ]
    else:
        day_expr, days = None, [""]
    net_new = 0
    for day in days:
        existing = catalog.file(kind.table, day)
        target = wh.new_file(kind.table, run_id, ("day", day) if day_expr else None)
        where = f"{day_expr} = DATE '{day}'" if day_expr else "true"
        query = _merge_query(kind, str(existing) if existing else None, str(staged), where)
        storage.copy_to_parquet(con, query, target)
        catalog.put(kind.table, day, target)
        net_new += _count(con, target) - (_count(con, existing) if existing else 0)
    return staged_rows, net_new, set(days)


def _count(con, path) -> int:
    return con.execute(f"select count(*) from read_parquet({sql_literal(path)})").fetchall()[0][0]


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
    try:
        todo, result.skipped = _files_to_read(con, catalog, found.files)
        storage.remove_tree(wh.staging(run_id))
        for index, pending in enumerate(todo):
            raw = pending.raw
            say(f"reading {raw.relative} ({index + 1}/{len(todo)})")
            file_result = FileResult(raw.relative, raw.kind.table, pending.status)
            _stage_file(con, wh, run_id, index, raw, file_result)
            result.files.append(file_result)
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
    if own_catalog:
        catalog.commit(run_id)
    return result


def _write_rejects_and_manifest(
    con, catalog: Catalog, run_id: str, run_day: date, todo: list[Pending], result: IngestResult
) -> None:
    """This run's rejects (one file, by run day) and manifest entries join the catalog."""
    wh = catalog.wh
    staged_rejects = wh.staging(run_id) / "rejects" / "*.parquet"
    rejects = wh.new_file("rejects", run_id, ("day", run_day))
    storage.copy_to_parquet(
        con,
        f"select * from read_parquet({sql_literal(staged_rejects)}) order by file, line",
        rejects,
    )
    catalog.put("rejects", f"{run_day}/{run_id}", rejects)
    manifest = pa.table(
        {
            "path": [p.raw.relative for p in todo],
            "size": pa.array([p.size for p in todo], pa.int64()),
            "mtime_ns": pa.array([p.mtime_ns for p in todo], pa.int64()),
            "fingerprint": [p.fingerprint for p in todo],
            "status": [p.status for p in todo],
            "lines_read": pa.array([f.lines_read for f in result.files], pa.int64()),
            "run_id": [run_id] * len(todo),
        }
    )
    con.register("manifest", manifest)
    target = wh.new_file("ingested_files", run_id, None)
    storage.copy_to_parquet(con, "select * from manifest", target)
    catalog.put("ingested_files", run_id, target)
