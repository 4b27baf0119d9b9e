"""A run's accepted rows of one table, written by DuckDB's own Parquet writer.

One statement writes the table's new rows, a file per partition it touches (a UTC day,
or the one file of a kind without a time), into a staging folder: the files the fast path
vouched for, read and typed in that statement (vouch.py), and the rows the judge
accepted, kept in a DuckDB table until then. DuckDB parses, casts and encodes in one
engine, on every core.

Then the identities: every row's (a hash of the kind's identity, key and version time for
snapshots) in the new files and in the live files of the partitions they touch (a
snapshot kind's new rows read from the temp table they were written from, not from the
hundreds of day files they make). Only when one repeats are the copies ranked within
their day (the copy read last wins, unless the kind names a winner: live rows were read
before this run's, which follow in file and line order) and the partitions holding a
losing copy written again without it; so is a partition whose live file must be copied
into its new one. On the usual night nothing repeats and a new day has no live file: the
staged files move into place unwritten.

A snapshot kind's versions of a settled month (one that ended more than SETTLE_DAYS before
the table's newest day) are packed in one file, as a fact's settled days are: a first
collect holds versions of hundreds of days, and a file a day cost some 2 ms each to write
and to read back. The folder names the month (`day=2024-05-01..2024-05-31`), the file holds
the `day` column, and the catalog names the file for each day it holds. Versions landing
later in a packed month write its file again with them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import duckdb
import numpy as np
import pyarrow as pa

from pipelines import records, storage
from pipelines.privacy.forgotten import Forgotten
from pipelines.storage import PARQUET, Catalog, quote_ident, sql_list, sql_literal
from pipelines.storage.compaction import SETTLE_DAYS
from pipelines.storage.paths import PACKED, packed_days

# The record files are written by DuckDB's own writer as every file of the warehouse is
# (storage.PARQUET), a row group at a time per partition (flushed at DuckDB's row group
# size, a partitioned write takes half the time and memory of its default).
ROW_GROUP_ROWS = 122_880
# A snapshot kind's day files are small (the versions of its records dated that day: a run
# writes hundreds of them, a few dozen rows each on the bench's sample), and zstd sets up
# its tables anew for every page: LZ4 writes them in two thirds of the CPU time (rocketchat
# users' 676 files: 1.19 -> 0.80 s, median of nine), the files 6% larger (subscriptions'
# 29%).
SMALL_FILES = "format parquet, compression lz4_raw, parquet_version v2"
# The most rows whose identities are sorted in memory to find repeats (_repeats): their
# hashes, 8 bytes each, and DuckDB's result they come from (5.5 M rows: 164 MB at peak,
# against 389 MB for DuckDB's group by).
SORTED_IN_MEMORY = 2**24


def day_column(kind: records.RecordKind) -> str:
    """`, day` (SQL over a typed row): the UTC day of a partitioned kind's time, its
    partition. Every path into a landing adds it."""
    return f", {_day(kind)} as day" if kind.partitioned else ""


def _day(kind: records.RecordKind) -> str:
    return f"({kind.time_sql})::date" if kind.partitioned else "null::date"


@dataclass
class Part:
    """The run's new file of one partition, and the files it is made of: the staged files
    of this run's rows and the partition's live files, if any."""

    # the partition: "YYYY-MM-DD", a packed month ("YYYY-MM-01..YYYY-MM-31"), or "" for a
    # kind without a time
    key: str
    path: Path
    staged: list[Path] = field(default_factory=list)
    live: list[Path] = field(default_factory=list)
    days: set[str] = field(default_factory=set)  # the catalog's keys the new file holds
    new: set[str] = field(default_factory=set)  # those holding rows of this run

    @property
    def packed(self) -> bool:
        return packed_days(self.path) is not None


class Landing:
    """One table's new partition files of a run (see the module docstring)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog,
        run_id: str,
        kind: records.RecordKind,
    ):
        self.con = con
        self.catalog = catalog
        self.run_id = run_id
        self.kind = kind
        self.parquet = SMALL_FILES if kind.sort == "snapshot" and kind.partitioned else PARQUET
        # Beside the table's folder (a killed run's files there are swept like any other).
        self.staging = catalog.wh.parquet / f".{kind.table}.{run_id}.staging"
        self.columns = ", ".join(map(quote_ident, [*kind.stored_columns, "day"][: self.width]))
        typed = ", ".join(
            f"{quote_ident(name)} {type_}"
            for name, type_ in [*kind.stored_columns.items(), ("day", "DATE")][: self.width]
        )
        # The judge's accepted rows wait here (DuckDB spills them to disk past its limit).
        con.execute(f"create or replace temp table judged ({typed})")
        con.execute(f"set partitioned_write_flush_threshold = {ROW_GROUP_ROWS}")
        self.parts: dict[str, Part] = {}
        self.written = 0  # how many rows the staged files hold
        # A snapshot kind's rows of a run (a few versions of each record: small) are kept in
        # a temp table while they are written, so that the identity check reads them there,
        # not from the hundreds of day files they make (_losers).
        self.rows_kept = False

    @property
    def width(self) -> int:
        """The columns of a landed row: the stored ones, and the day when partitioned."""
        return len(self.kind.stored_columns) + self.kind.partitioned

    def add(self, rows: pa.Table) -> None:
        """Rows the judge accepted: the kind's columns (any order), lineage and, for a
        partitioned kind, `day`."""
        if len(rows):
            self.con.register("accepted", rows)
            try:
                self.con.execute(f"insert into judged select {self.columns} from accepted")
            finally:
                self.con.unregister("accepted")

    def stage(self, vouched: list[str], files: list[str]) -> int:
        """Write the table's new rows to the staging folder in one statement: the rows of
        the vouched files (one SELECT each, vouch.Plan.branch, of the files named files)
        and the judged rows. Raises what DuckDB raises when a file does not fit (nothing is
        kept then). Returns how many rows of the vouched files were written (per file:
        `per_file`)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        judged, judged_files = self.con.execute(
            "select count(*), coalesce(list(distinct _file), []) from judged"
        ).fetchone()
        names = sorted({*files, *judged_files})
        # A file's line numbers (WITH ORDINALITY) make its read one thread's; without
        # insertion order, DuckDB reads the files of the union side by side on every core
        # (the order rows take in a partition file is no one's: copies rank by _file and
        # _line). This connection's setting only, for this statement.
        self.con.execute("set session preserve_insertion_order = false")
        rows = " union all ".join([*vouched, "select * from judged"])
        if names:
            # `_file` as an ENUM of the files' names: DuckDB's Parquet writer takes an
            # enum's codes for the column's dictionary, where it hashes every value of a
            # string column (a file's name on each of its rows: about 0.1 s of CPU a million
            # rows). The files hold the same strings.
            self.con.execute(
                "create or replace temp type file_name as enum "
                f"({', '.join(map(sql_literal, names))})"
            )
            rows = f"select * replace (_file::file_name as _file) from ({rows})"
        self.rows_kept = self.kind.sort == "snapshot"
        try:
            if self.rows_kept:
                self.con.execute(f"create or replace temp table staged_rows as {rows}")
                rows = "select * from staged_rows"
            self._write(rows)
        finally:
            self.con.execute("reset session preserve_insertion_order")
        return self.written - judged

    def keep_out(self, forgotten: Forgotten) -> dict[str, int]:
        """Write the staged rows again without a forgotten person's, their naming fields
        blanked in the others (only when a row names one); returns the rows dropped per
        file (`_file`)."""
        if not self.parts:
            return {}
        dropped, blanked = forgotten.keep_out(self.con, self.kind, self._staged_read())
        if dropped is None and not blanked:
            return {}
        counts = self.per_file(dropped or "false")
        self.rows_kept = False  # the files' rows are no longer the kept ones
        before = self.staging.with_name(self.staging.name + ".before")
        os.replace(self.staging, before)
        sources = [before / p.relative_to(self.staging) for p in self._staged()]
        columns = [
            f"{blanked.get(name, quote_ident(name))} as {quote_ident(name)}"
            for name in self.kind.stored_columns
        ]
        try:
            self._write(
                f"select {', '.join(columns)}{day_column(self.kind)} "
                f"from {_files_read(sources)} where not ({dropped or 'false'})"
            )
        finally:
            shutil.rmtree(before, ignore_errors=True)
        return counts

    def _write(self, rows: str) -> None:
        """rows (SQL: the landed columns) to the staging folder, a file per partition."""
        self.staging.mkdir(parents=True)
        try:
            new_days: dict[str, set[str]] = {}
            if self.kind.sort == "event" and self.kind.partitioned:
                count, files = self._write_days(rows)
            elif self.kind.partitioned:
                count, files, new_days = self._write_units(rows)
            else:
                count, files = self._copy(rows, False)
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise
        self.written = count
        self.parts = {}
        for path, key in files:
            part = self.parts.get(key) or self._part(key)
            part.staged.append(path)
            part.new |= new_days.get(key, {key})
            part.days |= part.new

    def _copy(
        self, rows: str, partitioned: bool, folder: Path | None = None, by: str = "day"
    ) -> tuple[int, list[tuple[Path, str]]]:
        """rows to the staging folder (or a folder in it): how many, and each file written
        with its partition (column `by`, not kept in the files). A partitioned write returns
        its files, not their statistics: DuckDB's statistics of a file cost more than
        writing one of a snapshot kind's small day files."""
        if not partitioned:
            target = self.staging / "data.parquet"
            (count,) = self.con.execute(
                f"copy ({rows}) to {sql_literal(target)} ({self.parquet})"
            ).fetchone()
            # (a kind without a time writes its file even when empty: not a partition)
            return count, [(target, "")] if count else []
        # (beside _write_days' one file, if any: no name is taken twice)
        count, files = self.con.execute(
            f"copy ({rows}) to {sql_literal(folder or self.staging)} "
            f"({self.parquet}, partition_by ({by}), overwrite_or_ignore true, return_files true)"
        ).fetchone()
        # Each file in its partition's folder, day=<the day>, URL-escaped (a day before
        # the common era: `0001-01-01 (BC)`).
        return count, [(Path(f), unquote(Path(f).parent.name.partition("=")[2])) for f in files]

    def _write_units(self, rows: str) -> tuple[int, list[tuple[Path, str]], dict[str, set[str]]]:
        """A snapshot kind's rows: a file per day, but one per settled month (the module
        docstring), and a month with a packed file already takes its new versions in it.
        Returns how many rows, each file with its partition, and each packed month's days."""
        table = self.kind.table
        months = sorted({span[0] for f in self.catalog.files(table) if (span := packed_days(f))})
        packed_months = ", ".join(f"DATE {sql_literal(m)}" for m in months) or "null"
        # (the days the table holds and this run's, as dates: keys sort as text, not as days)
        self.con.execute(
            f"""
create or replace temp table unit_rows as
with rows as ({rows}),
newest as (
    select max(d) - {SETTLE_DAYS} as settled
    from (select max(day) as d from rows union all select unnest($days)::date)
)
select *, case
    when last_day(day) <= (select settled from newest)
        or date_trunc('month', day)::date in ({packed_months})
    then date_trunc('month', day)::date::varchar || '{PACKED}' || last_day(day)::varchar
end as _month
from rows""",
            {"days": self.catalog.partitions(table)},
        )
        try:
            count, files = self._copy(
                "select * exclude (_month) from unit_rows where _month is null", True
            )
            new_days = dict(
                self.con.execute(
                    "select _month, list(distinct day::varchar) from unit_rows "
                    "where _month is not null group by all"
                ).fetchall()
            )
            if new_days:
                packed, packed_files = self._copy(
                    "select * from unit_rows where _month is not null",
                    True,
                    self.staging / "packed",
                    "_month",
                )
                count, files = count + packed, files + packed_files
        finally:
            self.con.execute("drop table unit_rows")
        return count, files, {month: set(days) for month, days in new_days.items()}

    def _write_days(self, rows: str) -> tuple[int, list[tuple[Path, str]]]:
        """An event kind's rows: one file, moved into its day's folder when every row falls
        on that day (most nights: a write a file per day costs half as much again, copying
        the rows into a buffer per day), else written again a file per day."""
        one = self.staging / "rows.parquet"
        ((_, count, _, _, stats, _, _),) = self.con.execute(
            f"copy (select * exclude (day) from ({rows})) to {sql_literal(one)} "
            f"({PARQUET}, return_stats true)"
        ).fetchall()
        if not count:
            one.unlink()
            return 0, []
        time = {name.strip('"'): s for name, s in stats.items()}.get(self.kind.time, {})
        days = {
            self.con.execute("select $at::timestamptz::date", {"at": time[bound]}).fetchone()[0]
            for bound in ("min", "max")
            if time.get(f"{bound}_is_exact") == "true"
        }
        if len(days) == 1 and time.get("null_count") == "0":
            key = days.pop().isoformat()
            path = self.staging / f"day={key}" / "data_0.parquet"
            path.parent.mkdir()
            os.replace(one, path)
            return count, [(path, key)]
        try:
            return self._copy(
                f"select *{day_column(self.kind)} from read_parquet({sql_literal(one)})", True
            )
        finally:
            one.unlink()

    def per_file(self, where: str = "true") -> dict[str, int]:
        """The staged rows where a condition holds, per file (`_file`)."""
        if not self.parts:
            return {}
        return dict(
            self.con.execute(
                f"select _file, count(*) from {self._staged_read()} where {where} group by all"
            ).fetchall()
        )

    def _part(self, key: str) -> Part:
        partition = ("day", key) if self.kind.partitioned else None
        part = Part(key, self.catalog.wh.new_file(self.kind.table, self.run_id, partition))
        span = packed_days(part.path)
        if span is None:
            part.live = [live] if (live := self.catalog.file(self.kind.table, key)) else []
        else:  # a month: every live file of its days (packed, or a file a day until now)
            part.days = {
                k for k in self.catalog.partitions(self.kind.table) if span[0] <= k <= span[1]
            }
            part.live = self.catalog.files(self.kind.table, part.days)
        self.parts[key] = part
        return part

    def _staged(self) -> list[Path]:
        return [path for part in self.parts.values() for path in part.staged]

    def _staged_read(self) -> str:
        """read_parquet of the staged files (a packed month's hold the day, the others
        not)."""
        return _files_read(self._staged())

    def _read(self, parts: list[Part] | None = None) -> str:
        """read_parquet of the files of parts (all), live ones too, each row with its file
        and row number (a live file written before a column was declared reads it null)."""
        files = [p for part in parts or self.parts.values() for p in [*part.staged, *part.live]]
        return _files_read(files, "filename = true, file_row_number = true")

    def close(self) -> tuple[list[Part], int]:
        """Move every new file into place (not yet live: the run's catalog names them when
        it commits), written again where a copy loses or live rows join. Returns the
        partitions' files and how many copies were dropped."""
        self.con.execute("drop table if exists judged")
        if not self.parts:
            self.abandon()
            return [], 0
        losers = self._losers()
        columns = ", ".join(map(quote_ident, self.kind.stored_columns))
        self.catalog.wh.table_dir(self.kind.table).mkdir(parents=True, exist_ok=True)
        for part in self.parts.values():
            if not part.live and len(part.staged) == 1 and not losers.get(part.key):
                self._move(part.staged[0], part.path)
                continue
            part.path.parent.mkdir(exist_ok=True)
            day = day_column(self.kind) if part.packed else ""
            storage.copy_to_parquet(
                self.con,
                f"select {columns}{day} from {self._read([part])} "
                "anti join losers using (filename, file_row_number)",
                part.path,
                options=self.parquet,
            )
        self.abandon()
        return list(self.parts.values()), sum(losers.values())

    def _move(self, staged: Path, path: Path) -> None:
        """A staged file into place. A partition folder the table does not have yet moves
        whole, the file renamed in it first: on ext4 making or removing a folder costs
        tenfold a rename (a snapshot kind's run touches hundreds of days)."""
        folder = staged.parent
        if folder != self.staging and not path.parent.exists():
            os.replace(staged, folder / path.name)
            os.rename(folder, path.parent)
            return
        path.parent.mkdir(exist_ok=True)
        os.replace(staged, path)

    def abandon(self) -> None:
        """Drop the staging folder (a failed run's, too: nothing of it moves into place)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.con.execute("drop table if exists staged_rows")
        self.rows_kept = False

    def _losers(self) -> dict[str, int]:
        """Find every copy another copy of its record beats (table `losers`: filename,
        file_row_number); returns how many lose in each partition."""
        # The day is left out: copies rank within a day (_losers_sql), so rows of one
        # identity on several days are contested but none loses (no event kind's key
        # recurs on another day, and a snapshot's holds its version time, the day's
        # source). Casting a timestamptz to a date goes through ICU: on Coder's agent
        # stats that cast cost as much as reading and hashing the ids.
        identity = f"hash({', '.join(self.kind.identity)})"
        self.con.execute(
            "create or replace temp table losers "
            "(filename varchar, file_row_number bigint, day varchar)"
        )
        # (the kept rows are the staged files' rows: the identities that repeat are the same)
        rows = self._kept_rows() if self.rows_kept else f"select * from {self._read()}"
        if not self._repeats(identity, rows):
            return {}
        parts = list(self.parts.values())
        if len(parts) > 1:  # the partitions holding a contested copy (one holds them all)
            holding = {
                Path(name)
                for (name,) in self.con.execute(
                    f"select distinct filename from {self._read()} "
                    f"where {identity} in (select _identity from contested)"
                ).fetchall()
            }
            parts = [p for p in parts if holding & {*p.staged, *p.live}]
        self.con.execute(f"insert into losers {self._losers_sql(parts, identity)}")
        part_of = {day: part.key for part in parts for day in part.days}
        counts: dict[str, int] = {}
        for day, count in self.con.execute(
            "select day, count(*) from losers group by all"
        ).fetchall():
            counts[part_of[day]] = counts.get(part_of[day], 0) + count
        return counts

    def _kept_rows(self) -> str:
        """The kept rows of this run (SQL), with the live files of the partitions they
        touch (their columns by name, as the files are read together)."""
        live = [path for part in self.parts.values() for path in part.live]
        if not live:
            return "select * from staged_rows"
        return f"select * from staged_rows union all by name select * from {_files_read(live)}"

    def _repeats(self, identity: str, rows: str) -> bool:
        """Whether an identity repeats among rows (SQL); the repeated ones are kept in
        `contested`. NumPy sorts the hashes and compares neighbours: on Coder's agent stats
        (5.5 M rows) DuckDB's group by, a hash table of every identity, cost four times
        the CPU. Past SORTED_IN_MEMORY rows DuckDB groups them, spilling to disk: memory
        stays bounded."""
        (count,) = self.con.execute(f"select count(*) from ({rows})").fetchone()
        if count > SORTED_IN_MEMORY:
            self.con.execute(
                "create or replace temp table contested as "
                f"select {identity} as _identity from ({rows}) group by all having count(*) > 1"
            )
        else:
            hashes = self.con.execute(f"select {identity} as h from ({rows})").fetchnumpy()["h"]
            hashes.sort()
            repeated = pa.table({"_identity": np.unique(hashes[1:][hashes[1:] == hashes[:-1]])})
            self.con.register("repeated", repeated)
            try:
                self.con.execute("create or replace temp table contested as from repeated")
            finally:
                self.con.unregister("repeated")
        return bool(self.con.execute("select count(*) from contested").fetchone()[0])

    def _losers_sql(self, parts: list[Part], identity: str) -> str:
        """The copies that lose, by file and row, with their partition: among the copies
        of one record in one partition (its day: the identity hashed to find them leaves
        the day out), the one read last wins (the live rows were read
        before this run's, which follow in the order read), unless the kind names a
        winner (the latest end of a live session)."""
        keys = ", ".join(self.kind.identity)
        winner = f"{self.kind.winner}, " if self.kind.winner else ""
        live = sql_list([path for part in parts for path in part.live])
        return f"""
with copies as (
    select *, {_day(self.kind)} as _day, not list_contains({live}, filename) as _is_new
    from {self._read(parts)}
    where {identity} in (select _identity from contested)
)
select filename, file_row_number, coalesce(_day::varchar, '') as day
from copies
qualify row_number() over (
    partition by {keys}, _day order by {winner}_is_new desc, _file desc, _line desc
) > 1
"""


def _files_read(files: list[Path], options: str = "") -> str:
    """read_parquet of landed files: columns by name (a packed month's hold the day, a file
    written before a column was declared lacks it), folder names not read as columns (a
    packed month's name a span)."""
    extra = f"{options}, " if options else ""
    return (
        f"read_parquet({sql_list(files)}, {extra}union_by_name = true, hive_partitioning = false)"
    )
