"""A run's accepted rows of one table, written straight to their partition files.

Each partition the run touches (a UTC day, or the one file of a kind without a time)
gets one new file, opened when its first row group is due: the live file's rows are
copied in first, then the new rows follow in the order they were read. Rows wait in
memory only until they fill a row group (or the landing holds BUFFER_BYTES), so a day of
any size passes through in bounded memory and is written once.

Every row's identity (a hash of the kind's identity: key, and version time for
snapshots) is kept in a DuckDB table beside it. After the last file, the identities seen
twice in one partition are the only rows ranked (the copy read last wins, unless the
kind names a winner); the partitions holding a losing copy are written again without
it. On the usual night no identity repeats, and no partition is written twice.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import records, storage
from pipelines.storage import Catalog, quote_ident, sql_literal

# DuckDB's own row group size: its scans of the warehouse run in parallel per group.
ROW_GROUP_ROWS = 122_880
# Rows of a table waiting to fill their row groups; past this, every partition's are written.
BUFFER_BYTES = 256 << 20
# Row groups handed to the encoding thread and not yet written, at most.
ENCODING = 2

FILE_NAMES = pa.dictionary(pa.int32(), pa.string())


def file_names(file: str, count: int) -> pa.DictionaryArray:
    """`_file` for count rows of one file, without a string per row."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(count, np.int32)), pa.array([file], pa.string())
    )


def landing_columns(kind: records.RecordKind) -> str:
    """`, day, _identity` (SQL over a typed row): the UTC day of its time (null for a kind
    without a time), and a hash of its identity and day: two copies of one record share
    it. Every path into a landing adds them."""
    return f", {_day(kind)} as day, {_identity(kind, _day(kind))} as _identity"


def _day(kind: records.RecordKind) -> str:
    return f"({kind.time_sql})::date" if kind.partitioned else "null::date"


def _identity(kind: records.RecordKind, day: str) -> str:
    return f"hash({', '.join(kind.identity)}, {day})"


@dataclass
class Part:
    """The run's new file of one partition: `old` rows copied from the live file, then
    `new` rows of this run."""

    key: str  # the partition: "YYYY-MM-DD", or "" for a kind without a time
    path: Path
    old: int = 0
    new: int = 0
    writer: pq.ParquetWriter | None = None
    waiting: list[pa.Table] = field(default_factory=list)
    waiting_rows: int = 0
    waiting_bytes: int = 0


def arrow_schema(con: duckdb.DuckDBPyConnection, kind: records.RecordKind) -> pa.Schema:
    """The Arrow schema of a table's files: DuckDB's own for its column types, with JSON
    columns marked as JSON (Parquet's JSON type, as DuckDB writes it) and `_file` as a
    dictionary (DuckDB reads both as it reads its own)."""
    columns = kind.stored_columns
    nulls = ", ".join(f"null::{type_} as {quote_ident(name)}" for name, type_ in columns.items())
    schema = con.sql(f"select {nulls}").to_arrow_table().schema
    for name, type_ in columns.items():
        if type_ == "JSON":
            index = schema.get_field_index(name)
            schema = schema.set(index, pa.field(name, pa.json_(pa.string())))
    # One file name for a block's rows: a dictionary, written as Parquet writes any.
    return schema.set(schema.get_field_index("_file"), pa.field("_file", FILE_NAMES))


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
        self.schema = arrow_schema(con, kind)
        # What costs a quarter of the encoding and no reader needs: a dictionary for a
        # key of one column (nearly every value distinct) and minimum and maximum of
        # texts (uuids and names; queries filter on days and times, whose are kept).
        unique = {kind.key[0]} if len(kind.key) == 1 else set()
        self.encoding_options = {
            "compression": "zstd",
            "use_dictionary": [c for c in self.schema.names if c not in unique],
            "write_statistics": [f.name for f in self.schema if not pa.types.is_string(f.type)],
        }
        self.parts: dict[str, Part] = {}
        self.waiting_bytes = 0  # of all parts' waiting rows
        # Parquet encoding runs on its own thread, beside the reading of the next block.
        self.encoder = ThreadPoolExecutor(1)
        self.encoding: deque[Future] = deque()
        # 12 bytes a row: DuckDB keeps the table in memory up to its limit, then spills it.
        con.execute("create or replace temp table identities (_identity ubigint, day date)")
        # A partition is named by its day as DuckDB writes a date (`0001-01-01 (BC)` too).
        self.keys: dict[int, str] = {}  # days since 1970 -> partition key

    def add(self, rows: pa.Table) -> None:
        """Accepted rows: the kind's columns (any order), lineage, `_identity` and, for a
        partitioned kind, `day`."""
        if not len(rows):
            return
        self._remember(rows)
        days = rows["day"].combine_chunks().cast(pa.int32())
        rows = rows.select(self.schema.names).cast(self.schema)
        if not self.kind.partitioned:
            self._append("", rows)
            return
        first, last = pc.min_max(days).values()
        if first == last:  # the usual block: one day
            self._append(self.keys[first.as_py()], rows)
            return
        order = pc.sort_indices(days)  # stable: rows of a day stay in the order read
        rows, days = rows.take(order), days.take(order)
        runs = pc.run_end_encode(days)
        start = 0
        for day, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
            self._append(self.keys[day], rows.slice(start, end - start))
            start = end

    def _remember(self, rows: pa.Table) -> None:
        """Keep the rows' identities, and the partition key of each new day."""
        self.con.register("landed", rows.select(["_identity", "day"]))
        self.con.execute("insert into identities select _identity, day from landed")
        self.keys |= dict(
            self.con.execute(
                "select distinct day - date '1970-01-01', day::varchar from landed "
                "where day is not null"
            ).fetchall()
        )
        self.con.unregister("landed")

    def _append(self, key: str, rows: pa.Table) -> None:
        part = self.parts.get(key) or self._open(key)
        part.waiting.append(rows)
        part.waiting_rows += len(rows)
        part.waiting_bytes += rows.nbytes
        part.new += len(rows)
        self.waiting_bytes += rows.nbytes
        if part.waiting_rows >= ROW_GROUP_ROWS:
            self._write(part)
        if self.waiting_bytes > BUFFER_BYTES:
            for waiting in self.parts.values():
                self._write(waiting)

    def _open(self, key: str) -> Part:
        partition = ("day", key) if self.kind.partitioned else None
        part = Part(key, self.catalog.wh.new_file(self.kind.table, self.run_id, partition))
        self.parts[key] = part
        return part

    def _write(self, part: Part) -> None:
        if not part.waiting:
            return
        if part.writer is None:
            part.path.parent.mkdir(parents=True, exist_ok=True)
            part.writer = pq.ParquetWriter(
                storage.temporary(part.path), self.schema, **self.encoding_options
            )
            self._copy_live(part)
        rows = pa.concat_tables(part.waiting)
        self.encoding.append(
            self.encoder.submit(part.writer.write_table, rows, row_group_size=ROW_GROUP_ROWS)
        )
        while len(self.encoding) > ENCODING:  # bounded memory: wait for the oldest
            self.encoding.popleft().result()
        self.waiting_bytes -= part.waiting_bytes
        part.waiting, part.waiting_rows, part.waiting_bytes = [], 0, 0

    def _copy_live(self, part: Part) -> None:
        """The partition's live rows go first: the new file replaces the live one whole."""
        live = self.catalog.file(self.kind.table, part.key)
        if live is None:
            return
        source = f"from read_parquet({sql_literal(live)})"
        day = f"{sql_literal(part.key)}::date" if part.key else "null::date"
        self.con.execute(
            f"insert into identities select {_identity(self.kind, day)}, {day} {source}"
        )
        columns = ", ".join(quote_ident(name) for name in self.schema.names)
        for batch in self.con.sql(f"select {columns} {source}").to_arrow_reader(ROW_GROUP_ROWS):
            part.writer.write_table(pa.Table.from_batches([batch]).cast(self.schema))
            part.old += len(batch)

    def close(self) -> tuple[list[Part], int]:
        """Write what waits and move every new file into place (not yet live: the run's
        catalog names them when it commits), then drop the copies that lose. Returns the
        partitions' files and how many copies were dropped."""
        for part in self.parts.values():
            self._write(part)
        while self.encoding:
            self.encoding.popleft().result()
        self.encoder.shutdown()
        for part in self.parts.values():
            part.writer.close()
            os.replace(storage.temporary(part.path), part.path)
        return list(self.parts.values()), self._settle()

    def abandon(self) -> None:
        """Stop writing (a run that failed): nothing moves into place, and the next run's
        clean-up removes the temporary files."""
        self.encoder.shutdown(cancel_futures=True)
        for part in self.parts.values():
            if part.writer is not None:
                part.writer.close()
        self.parts.clear()

    def _settle(self) -> int:
        """Drop every copy another copy of its record beats; returns how many."""
        self.con.execute(
            "create or replace temp table contested as "
            "select _identity from identities group by all having count(*) > 1"
        )
        contested = self.con.execute(
            "select distinct day::varchar from identities semi join contested using (_identity)"
        ).fetchall()
        if not contested:
            return 0
        parts = [self.parts[day or ""] for (day,) in contested]
        self.con.execute(f"create or replace temp table losers as {self._losers_sql(parts)}")
        losers = dict(
            self.con.execute("select filename, count(*) from losers group by all").fetchall()
        )
        columns = ", ".join(quote_ident(name) for name in self.schema.names)
        for part in parts:
            if str(part.path) in losers:
                storage.copy_to_parquet(
                    self.con,
                    f"select {columns} from read_parquet({sql_literal(part.path)}, "
                    "filename = true, file_row_number = true) "
                    "anti join losers using (filename, file_row_number)",
                    part.path,
                )
        return sum(losers.values())

    def _losers_sql(self, parts: list[Part]) -> str:
        """The copies that lose, by file and row: among the copies of one record in one
        partition, the one read last wins (the live rows were read before this run's,
        which follow in the order read), unless the kind names a winner (the latest end
        of a live session)."""
        identity = ", ".join(self.kind.identity)
        winner = f"{self.kind.winner}, " if self.kind.winner else ""
        copies = " union all ".join(
            f"select *, file_row_number >= {part.old} as _is_new, "
            f"{_identity(self.kind, sql_literal(part.key) + '::date' if part.key else 'null::date')} "
            "as _identity "
            f"from read_parquet({sql_literal(part.path)}, filename = true, file_row_number = true)"
            for part in parts
        )
        # Rows of one file are of one partition: the file stands for the day.
        return f"""
with copies as ({copies})
select filename, file_row_number
from copies semi join contested using (_identity)
qualify row_number() over (
    partition by {identity}, filename order by {winner}_is_new desc, _file desc, _line desc
) > 1
"""
