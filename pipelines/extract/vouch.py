"""The fast path: one DuckDB statement reads, types and checks whole files.

For each raw file of a kind, `read_json` reads the file against the kind's declared column
types, with no `ignore_errors`: a line that is not JSON, not an object, that holds a key
twice, a lone surrogate escape or bytes that are not UTF-8, or a value no cast can make
into its column, fails the statement. Where `read_json` is lenient, the column is read
so that the leniency shows, and a SQL predicate over it checks what the judge
(validate.py) checks, in the same scan:

- A VARCHAR column takes any JSON value as its text (5 -> "5", true -> "true", an object
  -> its JSON), and a BIGINT, DOUBLE or BOOLEAN column casts strings and other types
  ("5" -> 5, 1.5 -> 2, true -> 1): string, int, float and bool fields are read as JSON,
  whose text tells the type (a string keeps its quotes, a float its point or exponent),
  and typed from it (a string unquoted as the judge's `from_json` does).
- An id (a uuid, or a string naming a record: records.Field.is_id) is read as VARCHAR,
  not as JSON whose string is then taken out (on Coder's agent stats, five ids a line,
  the statement took 1.5 s less of its 12 s of CPU). What any other JSON value reads as
  (a number, true, false, NaN, an object, an array) is valid JSON, and an id's text never
  is: a text that is valid JSON fails the check (a string such as "5" or "true" too: its
  file is judged, as an id's never is in practice).
- Timestamps are read as text and cast by the judge's own expression
  (validate.ts_from_text). Rocket.Chat's are read as a file's first line writes them:
  as mongoexport's {"$date": "..."} when it wraps one (or writes none as a string), as
  plain strings otherwise (the contract's form). A file that mixes the two forms fails
  the statement and is judged whole, as is a file of mongoexport's other date forms.
- A JSON null, a missing key and the line `null` all read as SQL null: required fields
  are checked for it (every kind has one).

A line that breaks a check makes the statement raise `error()` naming its file. A file
without one is vouched for whole, typed exactly as the judge types it (the same casts,
or casts the judge's values round-trip through), its lines numbered by `WITH ORDINALITY`.
The judge takes every line of a file that does not fit, so verdicts, values and reject
reasons are the judge's (tests/test_vouch.py holds the two side by side).

What the statement cannot see is checked on the raw bytes as they are fingerprinted
(files.survey): `read_json` skips blank lines (ordinality would then not be the line
number: the file's records must equal its lines), strips a byte order mark at the start of
a file and vertical tabs and form feeds around a line, where the judge refuses the line.
Kinds with free JSON or maps of integers (Rocket.Chat's statistics, Coder's template
parameters and rollup: a few lines a day) are judged whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from pipelines import records
from pipelines.extract import files
from pipelines.extract.validate import ts_from_text
from pipelines.storage import quote_ident, sql_literal

# What error() says of a line that breaks a check, with the index of its file.
UNFIT = "usage-warehouse: a line the fast path cannot vouch for, in file "

# How much of a file's text holds its first line, for the form of its timestamps (a
# longer first line reads as the wrapped form).
HEAD_BYTES = 64 << 10


@dataclass(frozen=True)
class Scan:
    """How the fast path reads one kind's files whose timestamps take one form: the
    columns `read_json` reads, the typed value of each field and the checks they must
    pass."""

    kind: records.RecordKind
    columns: str  # the `columns` struct of read_json
    values: tuple[str, ...]  # v0, v1, ...: each field's value as the judge types it
    checks: str  # over the columns read and the values: the judge accepts the line
    typed: tuple[str, ...]  # the fields, from the values, with defaults and fallbacks

    def branch(self, index: int, path: str, label: str, unfit: str | None = None) -> str:
        """One file's rows: the kind's stored columns (`_file` is label, `_line` the line
        number) and the day; a line that fails a check fails the statement (or, for the
        tests, gets unfit as its `_line`: SQL over `ordinality`)."""
        unfit = unfit or f"error({sql_literal(UNFIT + str(index))})"
        return f"""
select *{day_column(self.kind)} from (
    select
        {", ".join(self.typed)},
        {sql_literal(label)} as _file,
        case when {self.checks} then ordinality else {unfit} end as _line,
    from (
        select *, {", ".join(self.values)}
        from read_json(
            {sql_literal(path)}, format = 'newline_delimited', columns = {self.columns}
        ) with ordinality
    )
)"""


@dataclass(frozen=True)
class Plan:
    """The kind's fast path: a scan for each form its timestamps take ("plain" strings,
    and for Rocket.Chat mongoexport's "wrapped" {"$date": "..."}), the first the default."""

    kind: records.RecordKind
    scans: dict[str, Scan]

    def scan_for(self, path: str) -> Scan:
        """The scan of a file: the one its first line's timestamps pick (reading its first
        bytes), when the kind has two."""
        scans = list(self.scans.values())
        if len(scans) > 1 and _plain_dates(self.kind, files.head(Path(path), HEAD_BYTES)):
            return self.scans["plain"]
        return scans[0]

    def branch(self, index: int, path: str, label: str, unfit: str | None = None) -> str:
        """One file's rows, by its scan (Scan.branch)."""
        return self.scan_for(path).branch(index, path, label, unfit)


def _plain_dates(kind: records.RecordKind, head: bytes) -> bool:
    """Whether the first non-blank line of head holds a timestamp of the kind as a plain
    string and none as an object."""
    line = next((line for line in head.split(b"\n") if line.strip()), b"")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:  # not JSON, or cut by HEAD_BYTES
        return False
    if not isinstance(record, dict):
        return False
    dates = [record.get(f.name) for f in kind.fields if f.type == "ts"]
    return any(isinstance(d, str) for d in dates) and not any(isinstance(d, dict) for d in dates)


def day_column(kind: records.RecordKind) -> str:
    """`, day` (SQL over the typed columns): the UTC day of a partitioned kind's time."""
    return f", ({kind.time_sql})::date as day" if kind.partitioned else ""


def unfit_file(message: str, paths: list[str]) -> int | None:
    """Which of paths a failed statement's error names (the fast path's own error gives
    the index, read_json's the path), or None when it names none."""
    if match := re.search(re.escape(UNFIT) + r"(\d+)", message):
        return int(match[1])
    named = [i for i, path in enumerate(paths) if path in message]
    return max(named, key=lambda i: len(paths[i])) if named else None


def plan_for(kind: records.RecordKind) -> Plan | None:
    """The kind's fast path, or None when every line of it is judged."""
    if kind.misfit or any(f.type in ("json", "int_map") for f in kind.fields):
        return None
    if not any(f.required and f.default is None for f in kind.fields):
        raise AssertionError(f"{kind.table}: the line `null` must break a check")
    forms = ("wrapped", "plain") if kind.source == "rocketchat" else ("plain",)
    return Plan(kind, {dates: _scan(kind, dates) for dates in forms})


def _scan(kind: records.RecordKind, dates: str) -> Scan:
    """How the kind's files are read whose timestamps take the form dates."""
    names = [f.name for f in kind.fields]
    columns, values, checks, typed = [], [], [], []
    integers = []  # the JSON texts of the int fields
    for n, f in enumerate(kind.fields):
        column = quote_ident(f.name)
        columns.append(f"{sql_literal(f.name)}: {sql_literal(_read_type(f, dates))}")
        value, check = _typed(f, dates, column, f"v{n}")
        values.append(f"{value} as v{n}")
        checks.append(f"({column} is null or {check})")
        if f.type == "int":
            integers.append(f"{column}::varchar")
        value = f"v{n}"
        if f.fallback:
            value = f"coalesce({value}, v{names.index(f.fallback)})"
        if f.required:
            checks.append(f"{value} is not null")
        if f.default is not None:
            value = f"coalesce({value}, {f.default})"
        typed.append(f"({value})::{records.DUCKDB_TYPES[f.type]} as {column}")
    if integers:
        # No int field's text has a point or an exponent: one test of them all joined
        # (concat leaves out nulls) costs half of a test each (Coder's agent stats, nine
        # ints a line: 0.7 s less of the statement's 11 s of CPU).
        checks.append(_whole(f"concat({', '.join(integers)})"))
    return Scan(
        kind, "{" + ", ".join(columns) + "}", tuple(values), " and ".join(checks), tuple(typed)
    )


def _read_type(f: records.Field, dates: str) -> str:
    """The type read_json reads a field as, its timestamps in the form dates."""
    if f.type == "ts" and dates == "wrapped":
        # mongoexport wraps dates: {"$date": "..."}; its other forms fail the read or
        # the timestamp check, and are judged.
        return 'STRUCT("$date" VARCHAR)'
    if f.is_id:
        return "VARCHAR"
    return {
        "str": "JSON",
        "ts": "VARCHAR",  # anything but a string renders as no timestamp
        "int": "JSON",
        "float": "JSON",
        "bool": "JSON",
        "int_or_str": "JSON",
        "str_list": "JSON[]",
        "user_ref": "STRUCT(_id VARCHAR, username JSON)",  # _id: a user's id
    }[f.type]


def _string(json: str) -> tuple[str, str]:
    """(value, check) of a string read as JSON: its text was a JSON string (SQL over a
    non-null JSON value)."""
    return f"json_extract_string({json}, '$')", f"starts_with({json}::varchar, '\"')"


def _id(text: str) -> tuple[str, str]:
    """(value, check) of an id read as VARCHAR: its text is no JSON (SQL over a non-null
    text)."""
    return text, f"not json_valid({text})"


def _whole(text: str) -> str:
    """The JSON text of a number that casts to an integer is an integer's (SQL)."""
    return f"not contains({text}, '.') and not contains({text}, 'e')"


def _typed(f: records.Field, dates: str, column: str, v: str) -> tuple[str, str]:
    """(value, check) of a field read as _read_type says: its value as the judge types it,
    and (over the column and the value, named v) when a non-null read is one the judge
    accepts with that value. Values never raise: a line the check refuses fails the
    statement with the fast path's own error."""
    text = f"{column}::varchar"
    match f.type:
        case "uuid" | "str":
            return _id(column) if f.is_id else _string(column)
        case "ts":
            moment = ts_from_text(f'{column}."$date"' if dates == "wrapped" else column)
            return moment, f"{v} is not null"
        case "int":
            # yyjson writes a float with a point or an exponent (_scan tests the texts of
            # all int fields at once: _whole), and a string, NaN, Infinity or an integer
            # past 64 bits casts to nothing.
            return f"try_cast({text} as bigint)", f"{v} is not null"
        case "float":  # a string, true or false casts to nothing; NaN and Infinity judged
            return f"try_cast({text} as double)", f"isfinite({v})"
        case "bool":
            return f"{text} = 'true'", f"{text} in ('true', 'false')"
        case "int_or_str":
            value, quoted = _string(column)
            whole = f"try_cast({text} as bigint) is not null and {_whole(text)}"
            return f"case when {quoted} then {value} else {text} end", f"({quoted} or {whole})"
        case "str_list":
            value, quoted = _string("s")
            return (
                f"list_transform({column}, lambda s: {value})",
                f"list_bool_and(list_transform({column}, lambda s: coalesce({quoted}, false))) "
                "is not false",
            )
        case "user_ref":
            user_id, user_id_ok = _id(f"{column}._id")
            name, name_ok = _string(f"{column}.username")
            return (
                f"case when {column} is not null "
                f"then struct_pack(_id := {user_id}, username := {name}) end",
                f"{column}._id is not null and {user_id_ok} "
                f"and ({column}.username is null or {name_ok})",
            )
    raise AssertionError(f"no fast path for {f.type}")
