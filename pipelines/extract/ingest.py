"""Raw files -> validated records + rejects -> day-partitioned Parquet.

One run: find files the manifest has not seen (or that changed) and read them a table at
a time. The fast path (vouch.py) types whole blocks of clean lines in one Polars read;
every line it cannot vouch for is typed or rejected by the kind's validation statement
(validate.py, the judge). Accepted rows go straight to their partition's new file
(land.py), rejected lines to the run's rejects file, and the records of a person `forget`
erased nowhere (privacy/forgotten.py). After a table's last file, the few records with two
copies in one partition are settled (the copy read last wins) and only their partitions
are written again. The new files go live with the run's catalog. Counts reconcile: lines
read = accepted (new records) + rejected + duplicates + forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import records, storage
from pipelines.extract.files import Block, Fingerprint, RawFile, discover, fingerprint, read_blocks
from pipelines.extract.land import Landing, landing_columns
from pipelines.extract.validate import register_functions, validation_sql
from pipelines.extract.vouch import Plan, plan_for, vouch
from pipelines.privacy.forgotten import Forgotten
from pipelines.storage import Catalog, quote_ident
from pipelines.storage.catalog import schema_signature
from pipelines.storage.internal import INGESTED_FILES, REJECTS


@dataclass
class FileResult:
    file: str
    table: str
    status: str  # "new" or "changed"
    lines_read: int = 0
    rejected: int = 0
    forgotten: int = 0  # records of an erased person, kept out


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    skipped: int = 0  # files already ingested and unchanged
    ignored: list[str] = field(default_factory=list)
    lines_read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    forgotten: int = 0
    # table -> UTC days whose partition was rewritten ("" for unpartitioned kinds)
    touched: dict[str, set[str]] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.lines_read == self.accepted + self.rejected + self.duplicates + self.forgotten


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
    """Files that are new or changed since the manifest saw them, with their fingerprint,
    a table at a time (in path order within a table: the order copies are read in), the
    tables in records.py order (a kind after those whose keys it names: a forgotten
    person's workspace is known before its builds are read)."""
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
    return sorted(todo, key=lambda p: (KIND_ORDER[p.raw.kind.table], p.raw.relative)), skipped


KIND_ORDER = {kind.table: index for index, kind in enumerate(records.KINDS)}


def _blocks_ahead(todo: list[Pending]) -> Iterator[tuple[int, Block]]:
    """(file index, block) for every file to read, read one block ahead on a thread:
    Python reads and checks the next block while Polars and DuckDB type this one."""

    def blocks():
        for index, pending in enumerate(todo):
            for block in read_blocks(pending.raw.path, pending.fingerprint):
                yield index, block

    source = blocks()
    with ThreadPoolExecutor(1) as reader:
        ahead = reader.submit(next, source, None)
        while (item := ahead.result()) is not None:
            ahead = reader.submit(next, source, None)
            yield item


def _judge(con, kind: records.RecordKind, lines: pa.Table, file: str) -> pa.Table:
    """The judge's verdict on lines: reason (null = accepted), _file, _line, raw (of a
    rejected line), the typed columns and, when partitioned, the day."""
    con.register("judged_lines", lines)
    try:
        return con.sql(
            f"select *{landing_columns(kind)} from ({validation_sql(kind, 'judged_lines')})",
            params={"file": file},
        ).to_arrow_table()
    finally:
        con.unregister("judged_lines")


class _Rejects:
    """The run's rejected lines, kept in a DuckDB table (it spills to disk past its memory
    limit) and written once, through the rejects table's declaration."""

    def __init__(self, con):
        self.con = con
        # The declared columns, but those the write adds (the run, and the run's day).
        columns = ", ".join(
            f"{quote_ident(name)} {type_}"
            for name, type_ in REJECTS.columns.items()
            if name not in ("run_id", REJECTS.partition)
        )
        con.execute(f"create or replace temp table rejected ({columns})")

    def add(self, kind: records.RecordKind, verdicts: pa.Table) -> int:
        """Keep the rejected lines among the judge's verdicts; returns how many."""
        self.con.register("verdicts", verdicts)
        try:
            (count,) = self.con.execute(
                "insert into rejected select $source, $kind, _file, _line, reason, raw "
                "from verdicts where reason is not null",
                {"source": kind.source, "kind": kind.kind},
            ).fetchone()
        finally:
            self.con.unregister("verdicts")
        return count

    def write(self, catalog: Catalog, run_id: str, run_day: date) -> None:
        REJECTS.write(
            self.con,
            catalog,
            "select *, $run_id as run_id from rejected order by file, line",
            run_id,
            run_day,
            {"run_id": run_id},
        )


def _read_block(
    con,
    plan: Plan | None,
    landing: Landing,
    rejects: _Rejects,
    file: FileResult,
    block: Block,
    forgotten: Forgotten | None,
) -> None:
    """Every line of the block accepted into the landing, rejected, or kept out (a
    forgotten person's)."""

    def accept(rows: pa.Table) -> None:
        if forgotten is not None:
            rows, dropped = forgotten.keep(landing.kind, rows)
            file.forgotten += dropped
        landing.add(rows)

    vouched = vouch(con, plan, block, file.file)
    for rows in vouched.rows:
        file.lines_read += len(rows)
        accept(rows)
    if vouched.judged:
        verdicts = _judge(con, landing.kind, pa.concat_tables(vouched.judged), file.file)
        file.lines_read += len(verdicts)
        if forgotten is not None:  # a rejected line of theirs is theirs too
            verdicts, dropped = forgotten.keep_rejected(landing.kind, verdicts)
            file.forgotten += dropped
        accept(verdicts.filter(pc.is_null(verdicts["reason"])))
        file.rejected += rejects.add(landing.kind, verdicts)


def _land(catalog: Catalog, landing: Landing, result: IngestResult) -> None:
    """Close a table's new files; they join the catalog."""
    parts, duplicates = landing.close()
    schema = schema_signature(landing.kind.stored_columns)
    for part in parts:
        catalog.put(landing.kind.table, part.key, part.path, schema)
    result.accepted += sum(p.new for p in parts) - duplicates
    result.duplicates += duplicates
    result.touched[landing.kind.table] = {p.key for p in parts}


def ingest(
    wh: storage.Warehouse,
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
    forgotten = Forgotten.load(wh)
    con = storage.connect()
    register_functions(con)
    landing = None
    try:
        todo, result.skipped = _files_to_read(con, catalog, found.files)
        result.files = [FileResult(p.raw.relative, p.raw.kind.table, p.status) for p in todo]
        if todo:
            rejects = _Rejects(con)
            total_mb, done_mb = sum(p.size for p in todo) / 2**20, 0.0
            for index, block in _blocks_ahead(todo):
                pending = todo[index]
                if landing is None or landing.kind is not pending.raw.kind:
                    if landing is not None:
                        say(f"merging {landing.kind.table}")
                        _land(catalog, landing, result)
                    landing = Landing(con, catalog, run_id, pending.raw.kind)
                    plan = plan_for(pending.raw.kind)
                if block.first == 1:
                    say(
                        f"reading {pending.raw.relative} (file {index + 1} of {len(todo)}, "
                        f"{done_mb:,.0f} of {total_mb:,.0f} MB read)"
                    )
                    done_mb += pending.size / 2**20
                _read_block(con, plan, landing, rejects, result.files[index], block, forgotten)
            if landing is not None:
                say(f"merging {landing.kind.table}")
                _land(catalog, landing, result)
                landing = None
            rejects.write(catalog, run_id, run_day)
            _write_manifest(con, catalog, run_id, todo, result)
            if forgotten is not None and forgotten.added:  # before the catalog commits
                forgotten.save(wh)
        result.lines_read = sum(f.lines_read for f in result.files)
        result.rejected = sum(f.rejected for f in result.files)
        result.forgotten = sum(f.forgotten for f in result.files)
    finally:
        if landing is not None:
            landing.abandon()  # the run failed while writing this table
        con.close()
    if own_catalog:  # on its own, without the run lock to tell of a killed predecessor
        catalog.commit(run_id, sweep=True)
    return result


def _write_manifest(con, catalog: Catalog, run_id: str, todo: list[Pending], result) -> None:
    """This run's manifest entries join the catalog."""
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
