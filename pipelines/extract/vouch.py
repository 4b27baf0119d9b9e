"""The fast path: one Polars read vouches for a whole block of clean lines.

Polars reads a block of NDJSON against a kind's declared types in one parse, and fails
the read where the contract rejects: a line that is not a JSON object (or not JSON), an
int field holding "5", 5.0, true or a number past 64 bits, a float or bool field
holding a string, a list or object where a scalar is due. Where it is lenient, the
lines are checked after the read or left to the judge (validate.py):

- A str field takes any JSON value as its text (5 -> "5", true -> "true", an object
  -> its JSON), and so do the elements of a list of strings: a text is vouched for only
  when no number, true, false, object or array renders as it (`RENDERED`).
- A lone UTF-16 surrogate escape ("\\ud800"), which DuckDB refuses as not JSON, Polars
  reads as text: a line holding a surrogate escape is always judged.
- Timestamps are read as text and cast by the judge's own DuckDB expression
  (validate.ts_from_text); a missing or null required field is null in the frame.
- A number too large for a double (1e400), which DuckDB reads as infinity, fails the
  read, and kinds with free JSON or maps of integers (Rocket.Chat's statistics, Coder's
  template parameters and rollup: a few lines a day) are judged whole.

On duplicate keys in an object, Polars and DuckDB both take the first.

The fast path never rejects: a line it cannot vouch for goes to the judge, whose verdict
stands, so every line gets exactly the judge's verdict and values (tests/test_vouch.py
holds the two side by side).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import records
from pipelines.extract.files import Block
from pipelines.extract.land import file_names, landing_columns
from pipelines.extract.validate import ts_from_text
from pipelines.storage import quote_ident

# The texts Polars gives a str field holding a number (always plain digits: 1e3 is
# "1000"), true, false, an object or an array.
RENDERED = r"^(?:-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$|true$|false$|[\[{])"
# A \u escape of a UTF-16 surrogate, paired or not (an escaped backslash before "u" too:
# a line is judged for nothing worse).
SURROGATE = rb"\\u[dD][89a-fA-F]"

# A block that fails the read whole is read again in halves, down to this many lines,
# which the judge takes (each Polars read costs about a millisecond on its own).
LEAF_LINES = 2048


@dataclass(frozen=True)
class Plan:
    """How the fast path reads one kind: the Polars schema and the check of what Polars
    read; the DuckDB statement typing what records.py types in SQL (timestamps, defaults,
    fallbacks), the day and the identity; the fields Polars types alone."""

    kind: records.RecordKind
    schema: dict[str, pl.DataType]
    read_ok: pl.Expr
    typing_sql: str
    read_fields: tuple[str, ...]


def plan_for(kind: records.RecordKind) -> Plan | None:
    """The kind's fast path, or None when every line of it is judged."""
    if kind.misfit or any(f.type in ("json", "int_map") for f in kind.fields):
        return None
    schema = {f.name: _polars_type(kind, f) for f in kind.fields}
    read_fields = tuple(f.name for f in kind.fields if not _typed_in_sql(f))
    return Plan(kind, schema, _read_ok(kind), _typing_sql(kind), read_fields)


def _typed_in_sql(f: records.Field) -> bool:
    return f.type == "ts" or f.default is not None or f.fallback is not None


def _polars_type(kind: records.RecordKind, f: records.Field) -> pl.DataType:
    if f.type == "ts" and kind.source == "rocketchat":
        # mongoexport wraps dates: {"$date": "..."}; its other forms fail the read or
        # the timestamp check, and are judged.
        return pl.Struct({"$date": pl.String})
    return {
        "uuid": pl.String,
        "str": pl.String,
        "int_or_str": pl.String,  # an integer renders as digits: judged
        "int": pl.Int64,
        "float": pl.Float64,
        "bool": pl.Boolean,
        "ts": pl.String,
        "str_list": pl.List(pl.String),
        "user_ref": pl.Struct({"_id": pl.String, "username": pl.String}),
    }[f.type]


def _text(value: pl.Expr) -> pl.Expr:
    """A text read from a JSON string for certain (or null)."""
    return value.is_null() | ~value.str.contains(RENDERED)


def _read_ok(kind: records.RecordKind) -> pl.Expr:
    """Every text was a JSON string, and every required field Polars types is there."""
    checks = [pl.lit(True)]
    for f in kind.fields:
        column = pl.col(f.name)
        if f.required and not _typed_in_sql(f):
            checks.append(column.is_not_null())
        match f.type:
            case "uuid" | "str" | "int_or_str":
                checks.append(_text(column))
            case "str_list":
                every = pl.element().is_not_null() & _text(pl.element())
                checks.append(column.is_null() | column.list.eval(every).list.all())
            case "user_ref":
                user_id = column.struct.field("_id")
                name = column.struct.field("username")
                checks.append(
                    column.is_null() | (user_id.is_not_null() & _text(user_id) & _text(name))
                )
    return pl.all_horizontal(checks)


def _typing_sql(kind: records.RecordKind) -> str:
    """The statement over a parsed frame (`parsed`, with `_read_ok` and `_line`) giving
    `_vouched` (the row is certain to be accepted), `_line`, the fields typed in SQL as
    the judge types them, and what the landing needs (day, identity)."""
    names = [f.name for f in kind.fields]

    def value_of(f: records.Field) -> str:
        return f"_ts{names.index(f.name)}" if f.type == "ts" else quote_ident(f.name)

    converted: list[str] = []
    checks = ["_read_ok"]
    typed: list[str] = []
    for f in kind.fields:
        column = quote_ident(f.name)
        value = value_of(f)
        if f.type == "ts":
            text = f'{column}."$date"' if kind.source == "rocketchat" else column
            converted.append(f", {ts_from_text(text)} as {value}")
            checks.append(f"({column} is null or {value} is not null)")
        if f.fallback:
            value = f"coalesce({value}, {value_of(kind.fields[names.index(f.fallback)])})"
        if f.required and _typed_in_sql(f):
            checks.append(f"{value} is not null")
        if f.default is not None:
            value = f"coalesce({value}, {f.default})"
        typed.append(f"{value}::{records.DUCKDB_TYPES[f.type]} as {column}")
    in_sql = [quote_ident(f.name) for f in kind.fields if _typed_in_sql(f)]
    return f"""
with converted as (select *{"".join(converted)} from parsed),

typed as (
    select
        {" and ".join(checks)} as _vouched,
        _line,
        {", ".join(typed)},
    from converted
)

select _vouched, _line{"".join(", " + c for c in in_sql)}{landing_columns(kind)}
from typed
"""


@dataclass
class Vouched:
    """What the fast path made of a block: typed rows it vouches for, and the lines left
    to the judge (_line, raw, broken)."""

    rows: list[pa.Table]
    judged: list[pa.Table]

    def add(self, typed: pa.Table, lines: Callable[[], pa.Table]) -> None:
        """Keep the typed rows vouched for; the others' lines go to the judge (the lines
        are split only then)."""
        vouched = typed["_vouched"]
        if pc.all(vouched).as_py():
            self.rows.append(typed.drop_columns("_vouched"))
            return
        self.rows.append(typed.filter(vouched).drop_columns("_vouched"))
        unsure = pc.filter(typed["_line"], pc.invert(vouched))
        split = lines()
        self.judged.append(split.filter(pc.is_in(split["_line"], unsure)))


def vouch(con: duckdb.DuckDBPyConnection, plan: Plan | None, block: Block, file: str) -> Vouched:
    """Vouch for the block's lines in one read if it can, else in pieces."""
    result = Vouched([], [])
    if plan is None or block.broken:
        result.judged.append(block.lines())
        return result
    # A search for one byte runs at memory speed, the pattern search far slower.
    surrogates = b"\\" in block.data and re.search(SURROGATE, block.data) is not None
    if not surrogates:
        frame = _read(plan, block.data, block.count)
        if frame is not None:  # the usual block: read whole, never split into lines
            numbers = np.arange(block.first, block.first + block.count, dtype=np.int64)
            result.add(_type(con, plan, frame, numbers, file), block.lines)
            return result
    lines = block.lines()
    suspect = pc.match_substring_regex(lines["raw"], SURROGATE.decode())
    result.judged.append(lines.filter(suspect))
    clean = lines.filter(pc.invert(suspect))
    # Each line with its line break, in one buffer: any run of lines is a slice of it.
    newline, empty = pa.scalar("\n", pa.large_string()), pa.scalar("", pa.large_string())
    text = pc.binary_join_element_wise(clean["raw"], newline, empty).combine_chunks()
    _, offsets, data = text.buffers()
    starts = np.frombuffer(offsets, np.int64)[text.offset : text.offset + len(text) + 1]
    pieces = _Pieces(plan, data, starts)
    # Read whole already (and failed) unless a surrogate kept it from being read.
    for frame, lo, hi in pieces.of(0, len(clean), tried=not surrogates):
        piece = clean.slice(lo, hi - lo)
        if frame is None:
            result.judged.append(piece)
        else:
            result.add(_type(con, plan, frame, piece["_line"], file), lambda piece=piece: piece)
    return result


@dataclass(frozen=True)
class _Pieces:
    """Lines read again in pieces; line i is data[starts[i]:starts[i + 1]]."""

    plan: Plan
    data: pa.Buffer
    starts: np.ndarray

    def of(
        self, lo: int, hi: int, tried: bool = False
    ) -> Iterator[tuple[pl.DataFrame | None, int, int]]:
        """(frame, lo, hi) for lines lo..hi read whole, or (None, lo, hi) for lines the
        judge takes. A read that fails is tried again in halves, down to LEAF_LINES; when
        both halves fail too, the failures are everywhere (a field of the wrong type on
        every line) and the judge takes the lot. A failed read costs a whole read."""
        frame = None if tried else self._read(lo, hi)
        if frame is not None or hi - lo <= LEAF_LINES:
            yield frame, lo, hi
            return
        halves = ((lo, (lo + hi) // 2), ((lo + hi) // 2, hi))
        frames = [self._read(a, b) for a, b in halves]
        if frames[0] is None and frames[1] is None:
            yield None, lo, hi
            return
        for (a, b), half in zip(halves, frames, strict=True):
            if half is None:
                yield from self.of(a, b, tried=True)
            else:
                yield half, a, b

    def _read(self, lo: int, hi: int) -> pl.DataFrame | None:
        text = self.data[self.starts[lo] : self.starts[hi]].to_pybytes()
        return _read(self.plan, text, hi - lo)


def _read(plan: Plan, data: bytes, count: int) -> pl.DataFrame | None:
    """The lines as a typed frame, or None when Polars refuses one of them or does not
    give one row per line (it skips blank lines, which the judge skips too)."""
    try:
        frame = pl.read_ndjson(data, schema=plan.schema)
    except pl.exceptions.PolarsError:
        return None
    return frame if len(frame) == count else None


def _type(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    frame: pl.DataFrame,
    line_numbers: np.ndarray | pa.ChunkedArray,
    file: str,
) -> pa.Table:
    """The frame typed as the judge types its lines, with `_vouched` per row."""
    parsed = frame.with_columns(plan.read_ok.alias("_read_ok"), _line=pl.Series(line_numbers))
    parsed = parsed.to_arrow()
    con.register("parsed", parsed)
    try:
        typed = con.sql(plan.typing_sql).to_arrow_table()
    finally:
        con.unregister("parsed")
    for name in plan.read_fields:
        typed = typed.append_column(name, parsed[name])
    return typed.append_column("_file", file_names(file, len(typed)))
