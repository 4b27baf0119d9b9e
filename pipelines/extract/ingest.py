"""Raw files -> validated records + rejects -> day-partitioned Parquet.

One run: find files the manifest has not seen (or that changed) and read them a table at
a time, two tables side by side. A table's files are read, typed and written in one DuckDB statement (land.py):
the fast path (vouch.py) vouches for each file whole in that scan; a file it cannot vouch
for (a line that does not fit the kind's declared types and rules) leaves the statement,
which runs again without it, and each of its lines is typed or rejected by the kind's
validation statement (validate.py, the judge). Accepted rows go to their partition's new
file, rejected lines to the run's rejects file, and the records of a person `forget`
erased nowhere (privacy/forgotten.py: the staged files are written again without them,
only when one is found). The few records with two copies in one partition are then
settled (the copy read last wins) and only their partitions are written again. The new
files go live with the run's catalog. Counts reconcile: lines read = accepted (new
records) + rejected + duplicates + forgotten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import records, storage
from pipelines.extract.files import (
    Block,
    Fingerprint,
    RawFile,
    Survey,
    discover,
    read_blocks,
    survey,
    unchanged,
)
from pipelines.extract.land import Landing, Part, day_column
from pipelines.extract.validate import register_functions, validation_sql
from pipelines.extract.vouch import Plan, plan_for, unfit_file
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
    # (its view alone: attaching the warehouse's views would parse every SQL model)
    rows = con.execute(
        "select path, size, mtime_ns, fingerprint "
        f"from ({storage.internal_view_sql(catalog, INGESTED_FILES)})"
    ).fetchall()
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
        if known and unchanged(raw.path, known[2]):  # touched, not changed
            skipped += 1
            continue
        todo.append(Pending(raw, "changed" if known else "new", stat.st_size, stat.st_mtime_ns))
    return sorted(todo, key=lambda p: (KIND_ORDER[p.raw.kind.table], p.raw.relative)), skipped


KIND_ORDER = {kind.table: index for index, kind in enumerate(records.KINDS)}


def _judge(con, kind: records.RecordKind, lines: pa.Table, file: str) -> pa.Table:
    """The judge's verdict on lines: reason (null = accepted), _file, _line, raw (of a
    rejected line), the typed columns and, when partitioned, the day."""
    con.register("judged_lines", lines)
    try:
        return con.sql(
            f"select *{day_column(kind)} from ({validation_sql(kind, 'judged_lines')})",
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
        # In the database, not one connection's: every reader's connection adds to it.
        con.execute(f"create or replace table rejected ({columns})")

    def add(self, con, kind: records.RecordKind, verdicts: pa.Table) -> int:
        """Keep the rejected lines among the judge's verdicts (through con: a reader's
        connection); returns how many."""
        con.register("verdicts", verdicts)
        try:
            (count,) = con.execute(
                "insert into rejected select $source, $kind, _file, _line, reason, raw "
                "from verdicts where reason is not null",
                {"source": kind.source, "kind": kind.kind},
            ).fetchone()
        finally:
            con.unregister("verdicts")
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
    landing: Landing,
    rejects: _Rejects,
    file: FileResult,
    block: Block,
    forgotten: Forgotten | None,
) -> None:
    """Every line of the block accepted into the landing or rejected, by the judge; a
    forgotten person's rejected lines kept out (their accepted rows leave with the staged
    files': Landing.keep_out)."""
    verdicts = _judge(con, landing.kind, block.lines(), file.file)
    file.lines_read += len(verdicts)
    if forgotten is not None:
        verdicts, dropped = forgotten.keep_rejected(landing.kind, verdicts)
        file.forgotten += dropped
    landing.add(verdicts.filter(pc.is_null(verdicts["reason"])))
    file.rejected += rejects.add(con, landing.kind, verdicts)


@dataclass
class _Reading:
    """A file of the table being read: its result, what to read, the survey of its bytes."""

    file: FileResult
    pending: Pending
    survey: Future[Survey] | None = None  # submitted in the order the tables are read


def _judge_file(
    con,
    landing: Landing,
    rejects: _Rejects,
    reading: _Reading,
    forgotten: Forgotten | None,
    why: str,
    say: Progress,
) -> None:
    """Every line of a file the fast path does not vouch for, judged."""
    say(f"judging {reading.file.file} line by line: {why}")
    for block in read_blocks(reading.pending.raw.path):  # (the survey took the fingerprint)
        _read_block(con, landing, rejects, reading.file, block, forgotten)


def _read_table(
    con,
    landing: Landing,
    rejects: _Rejects,
    readings: list[_Reading],
    forgotten: Forgotten | None,
    say: Progress,
) -> None:
    """Every line of the table's files accepted into the landing or rejected: the files
    the fast path vouches for whole in one statement, the others judged line by line."""
    plan = plan_for(landing.kind)
    if plan is None:
        for reading in readings:
            _judge_file(con, landing, rejects, reading, forgotten, "its kind is judged whole", say)
    vouched = list(readings) if plan else []
    while True:
        # What the surveys found already leaves before the statement, the rest after it.
        unfit = [
            (r, r.survey.result().unfit)
            for r in vouched
            if r.survey.done() and r.survey.result().unfit
        ] or _stage(landing, plan, vouched)
        if not unfit:
            break
        for reading, why in unfit:
            vouched.remove(reading)
            _judge_file(con, landing, rejects, reading, forgotten, why, say)
    for reading in vouched:
        reading.file.lines_read = reading.survey.result().lines
    if forgotten is not None:
        dropped = landing.keep_out(forgotten)
        for reading in readings:
            reading.file.forgotten += dropped.get(reading.file.file, 0)


def _stage(landing: Landing, plan: Plan | None, vouched: list[_Reading]):
    """Write the table's new rows in one statement (nothing when a file does not fit);
    returns the files that do not fit, each with why: none when the rows are written."""
    paths = [str(r.pending.raw.path) for r in vouched]
    try:
        written = landing.stage(
            [
                plan.branch(n, path, r.file.file)
                for n, (path, r) in enumerate(zip(paths, vouched, strict=True))
            ],
            [r.file.file for r in vouched],
        )
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:  # which file does not fit, DuckDB's error says
        n = unfit_file(str(exc), paths)
        if n is None:
            raise
        return [(vouched[n], str(exc).splitlines()[0])]
    unfit = [(r, r.survey.result().unfit) for r in vouched if r.survey.result().unfit]
    # read_json reads at most one record a line (a line holding more fails the
    # statement): when the files' records add up to their lines, each file's do, and
    # the rows per file need not be read back.
    if unfit or written == sum(r.survey.result().lines for r in vouched):
        return unfit
    per_file = landing.per_file()
    return [
        (r, "blank lines (fewer records than lines)")
        for r in vouched
        if per_file.get(r.file.file, 0) != r.survey.result().lines
    ]


TABLES_AT_ONCE = 2


class _Reader:
    """Reads a table at a time on its thread, with a DuckDB connection of its own."""

    def __init__(self, con, catalog, run_id, rejects, forgotten, todo: list[Pending], say):
        self.con, self.catalog, self.run_id = con, catalog, run_id
        self.rejects, self.forgotten, self.say = rejects, forgotten, say
        self.total_mb = sum(p.size for p in todo) / 2**20
        self.files, self.done, self.done_mb = len(todo), 0, 0.0
        self.lock = threading.Lock()

    def read(self, table: list[_Reading]) -> tuple[records.RecordKind, list[Part], int, int]:
        """Read a table's files into its new partition files (closed: not yet live): the
        kind, the files, how many rows they add and how many copies were dropped."""
        kind = table[0].pending.raw.kind
        more = f" and {len(table) - 1} more of {kind.table}" if len(table) > 1 else ""
        with self.lock:
            self.say(
                f"reading {table[0].file.file}{more} ({self.done} of {self.files} files, "
                f"{self.done_mb:,.0f} of {self.total_mb:,.0f} MB read)"
            )
        con = storage.cursor(self.con)  # (the judge's Python functions are the database's)
        landing = Landing(con, self.catalog, self.run_id, kind)
        try:
            _read_table(con, landing, self.rejects, table, self.forgotten, self.say)
            self.say(f"merging {kind.table}")
            parts, duplicates = landing.close()
        except BaseException:
            landing.abandon()  # the run failed while writing this table
            raise
        finally:
            con.close()
        with self.lock:
            self.done += len(table)
            self.done_mb += sum(r.pending.size for r in table) / 2**20
        return kind, parts, landing.written, duplicates


def _count(
    catalog: Catalog,
    kind: records.RecordKind,
    parts: list[Part],
    new: int,
    duplicates: int,
    result: IngestResult,
) -> None:
    """A table's new files join the catalog; the result counts them."""
    schema = schema_signature(kind.stored_columns)
    for part in parts:
        for day in part.days:  # (a packed month's file holds several)
            catalog.put(kind.table, day, part.path, schema)
    result.accepted += new - duplicates
    result.duplicates += duplicates
    result.touched[kind.table] = set().union(*(p.new for p in parts))


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
    # Each file's bytes are fingerprinted and its lines counted on a thread, in the
    # order read, beside DuckDB's statements.
    surveyor = ThreadPoolExecutor(1)
    try:
        todo, result.skipped = _files_to_read(con, catalog, found.files)
        result.files = [FileResult(p.raw.relative, p.raw.kind.table, p.status) for p in todo]
        if todo:
            rejects = _Rejects(con)
            readings = list(map(_Reading, result.files, todo))
            tables = [list(g) for _, g in groupby(readings, key=lambda r: r.pending.raw.kind)]
            # A table's statement reads its files one after another (WITH ORDINALITY
            # numbers a file's lines on one thread): two tables are read side by side, the
            # largest first, on the machine's cores. Not with a forgotten list: the keys a
            # table's forgotten rows yield are needed before the tables that name them.
            side_by_side = TABLES_AT_ONCE if forgotten is None else 1
            if side_by_side > 1:
                tables.sort(key=lambda t: -sum(r.pending.size for r in t))
            for reading in (r for table in tables for r in table):
                reading.survey = surveyor.submit(
                    survey, reading.pending.raw.path, reading.pending.fingerprint
                )
            reader = _Reader(con, catalog, run_id, rejects, forgotten, todo, say)
            with ThreadPoolExecutor(side_by_side) as pool:
                landed = [pool.submit(reader.read, table) for table in tables]
                try:
                    for future in landed:
                        _count(catalog, *future.result(), result)
                except BaseException:  # a failed or stopped run reads no further table
                    for future in landed:
                        future.cancel()
                    raise
            rejects.write(catalog, run_id, run_day)
            for reading in readings:  # every fingerprint taken
                reading.survey.result()
            _write_manifest(con, catalog, run_id, todo, result)
            if forgotten is not None and forgotten.added:  # before the catalog commits
                forgotten.save(wh)
        result.lines_read = sum(f.lines_read for f in result.files)
        result.rejected = sum(f.rejected for f in result.files)
        result.forgotten = sum(f.forgotten for f in result.files)
    finally:
        surveyor.shutdown(cancel_futures=True)
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
