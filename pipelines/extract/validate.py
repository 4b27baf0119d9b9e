"""Per record kind, one SQL statement that types every line or names why it is rejected.

Python hands DuckDB a batch of (_line, raw, broken) rows and the file as `$file`. The
statement parses each line twice at most: `json_type(raw, [paths])` gives the JSON type
of every declared field in one pass (the strict check), and `from_json(raw, structure)`
extracts the values already typed (lenient on its own, so only trusted where the type
check passed). It returns the typed columns plus `reason` (null = accepted), naming the
first field, in declaration order, that is missing or of the wrong type, and `raw` for
rejected lines only.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import duckdb
import orjson

from pipelines import records
from pipelines.storage import quote_ident, sql_literal

# RFC 3339 with a mandatory offset; DuckDB's cast alone would accept a naive time.
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"

EXPECTED = {
    "uuid": "a string",
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "ts": "an RFC 3339 timestamp with an offset",
    "int_or_str": "an integer or a string",
    "str_list": "an array of strings",
    "json": "a JSON value",
    "int_map": "an object of integers",
    "user_ref": 'an object with a string "_id"',
}

# The JSON types each field type accepts (json_type's names).
ACCEPTED = {
    "uuid": ("VARCHAR",),
    "str": ("VARCHAR",),
    "int": ("BIGINT", "UBIGINT"),
    "float": ("BIGINT", "UBIGINT", "DOUBLE"),
    "bool": ("BOOLEAN",),
    "ts": ("VARCHAR",),
    "int_or_str": ("BIGINT", "UBIGINT", "VARCHAR"),
    "str_list": ("ARRAY",),
    "json": None,  # anything
    "int_map": ("OBJECT",),
    "user_ref": ("OBJECT",),
}

# How from_json extracts each field type.
EXTRACTED = {
    "uuid": "VARCHAR",
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "ts": "VARCHAR",
    "int_or_str": "VARCHAR",
    "str_list": "VARCHAR[]",
    "json": "JSON",
    "int_map": "MAP(VARCHAR, BIGINT)",
    "user_ref": {"_id": "VARCHAR", "username": "VARCHAR"},
}


def _path(*names: str) -> str:
    return "$" + "".join(f'."{n}"' for n in names)


def ts_from_text(text: str) -> str:
    """The timestamp a JSON string holds (SQL over its text), or null unless it is RFC 3339
    with an offset. The fast path casts its texts with this same expression."""
    return (
        f"case when regexp_full_match({text}, {sql_literal(TS_PATTERN)}) "
        f"then try_cast({text} as timestamptz) end"
    )


def _mongo_ts(value: str) -> str:
    """A timestamp from a JSON value that mongoexport may wrap: {"$date": "..."} or
    {"$date": {"$numberLong": "<epoch ms>"}}."""
    date = f"json_extract({value}, '$.\"$date\"')"
    millis = (
        f"coalesce(try_cast(json_extract_string({date}, '$.\"$numberLong\"') as bigint), "
        f"case when json_type({date}) in ('BIGINT', 'UBIGINT') then try_cast({date} as bigint) end)"
    )
    as_text = ts_from_text(f"({value} ->> '$')")
    date_text = ts_from_text(f"({date} ->> '$')")
    return (
        f"case json_type({value}) when 'VARCHAR' then {as_text} "
        f"when 'OBJECT' then case when json_type({date}) = 'VARCHAR' then {date_text} "
        f"else epoch_ms({millis})::timestamptz end end"
    )


def _mongo_number(value: str, type_: str) -> str:
    """A number from a JSON value that mongoexport's canonical mode may wrap:
    {"$numberInt": "5"}, {"$numberLong": "5"}, {"$numberDouble": "1.5"} (not for ints)."""
    wrappers = ["$numberInt", "$numberLong"] + (["$numberDouble"] if type_ == "float" else [])
    inner = ", ".join(f"json_extract_string({value}, '$.\"{w}\"')" for w in wrappers)
    plain = "'BIGINT', 'UBIGINT'" if type_ == "int" else "'BIGINT', 'UBIGINT', 'DOUBLE'"
    target = records.DUCKDB_TYPES[type_]
    wrapped = f"coalesce({inner})"
    if type_ == "int":  # "5.0" or "5e3" in a $numberLong is no integer
        wrapped = f"case when regexp_full_match({wrapped}, '-?[0-9]+') then {wrapped} end"
    return (
        f"case json_type({value}) when 'OBJECT' then try_cast({wrapped} as {target}) "
        # try_cast: an integer past 64 bits is a wrong value, not a failed run
        f"else case when json_type({value}) in ({plain}) then try_cast({value} as {target}) end end"
    )


def plain_extended_json(text: str) -> str | None:
    """A JSON value as mongoexport writes it, in either mode, to the JSON Rocket.Chat's own
    API answers with: dates as ISO 8601 UTC with milliseconds, numbers as JavaScript writes
    them (a whole number without a fraction; NaN and infinities as null), ObjectIds as
    their hex text. DuckDB calls it (mongo_plain_json) for Rocket.Chat's JSON fields."""

    def number(value: float | int) -> float | int | None:
        if isinstance(value, float):
            if not math.isfinite(value):
                return None
            return int(value) if value.is_integer() else value
        return value

    def date(value: object) -> str:
        if isinstance(value, dict):
            value = int(value["$numberLong"])
        moment = (
            datetime.fromtimestamp(value / 1000, UTC)
            if isinstance(value, int)
            else datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
        )
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def plain(value: object) -> object:
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key in ("$numberInt", "$numberLong"):
                    return int(inner)
                if key == "$numberDouble":
                    return number(float(inner))
                if key == "$date":
                    return date(inner)
                if key == "$oid":
                    return inner
            return {key: plain(inner) for key, inner in value.items()}
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(value)
        return value

    try:
        return orjson.dumps(plain(orjson.loads(text))).decode()
    except (ValueError, TypeError, KeyError, OverflowError):
        # A wrapper holding no date or number, or JSON only DuckDB reads (NaN, a trailing
        # comma): null, so the line is rejected instead of failing the run.
        return None


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """The Python functions the validation statements call."""
    con.create_function(
        "mongo_plain_json",
        lambda text: None if text is None else plain_extended_json(text),
        ["VARCHAR"],
        "VARCHAR",
        null_handling="special",  # it returns null for a value it cannot read
    )


class _Plan:
    """The pieces of one kind's statement: paths to type, structure to extract, checks."""

    def __init__(self, kind: records.RecordKind):
        self.kind = kind
        # mongoexport wraps dates (both modes) and numbers (canonical mode) in objects:
        # those fields are extracted as JSON and unwrapped.
        self.mongo = kind.source == "rocketchat"
        self.paths: list[str] = []
        self.structure: dict[str, object] = {}
        for f in kind.fields:
            self._type_of(f.name)
            if f.type == "user_ref":
                self._type_of(f.name, "_id")
                self._type_of(f.name, "username")
            wrapped = self.mongo and f.type in ("ts", "int", "float")
            self.structure[f.name] = "JSON" if wrapped else EXTRACTED[f.type]

    def _type_of(self, *names: str) -> str:
        path = _path(*names)
        if path not in self.paths:
            self.paths.append(path)
        return f"types[{self.paths.index(path) + 1}]"

    def value(self, f: records.Field) -> str:
        """The typed value of a field, or null when its JSON value has the wrong type."""
        extracted = f"vals.{quote_ident(f.name)}"
        jt = self._type_of(f.name)
        accepted = ACCEPTED[f.type]
        ok = "true" if accepted is None else f"{jt} in ({', '.join(map(sql_literal, accepted))})"
        match f.type:
            case "ts" if self.mongo:
                return _mongo_ts(extracted)
            case "int" | "float" if self.mongo:
                return _mongo_number(extracted, f.type)
            case "json" if self.mongo:
                return f"mongo_plain_json({extracted}::varchar)::json"
            case "ts":
                return f"case when {ok} then {ts_from_text(extracted)} end"
            case "str_list":
                elements = f"json_type(raw, {sql_literal(_path(f.name) + '[*]')})"
                return (
                    f"case when {ok} and list_bool_and(list_transform({elements}, "
                    f"lambda t: t = 'VARCHAR')) is not false then {extracted} end"
                )
            case "int_map":
                values = (
                    f"map_values(json_transform(json_extract(raw, {sql_literal(_path(f.name))}), "
                    "'\"MAP(VARCHAR, JSON)\"'))"
                )
                return (
                    f"case when {ok} and list_bool_and(list_transform({values}, "
                    "lambda v: json_type(v) in ('BIGINT', 'UBIGINT'))) is not false "
                    f"then {extracted} end"
                )
            case "user_ref":
                id_ok = f"{self._type_of(f.name, '_id')} = 'VARCHAR'"
                name_ok = (
                    f"coalesce({self._type_of(f.name, 'username')}, 'NULL') in ('VARCHAR', 'NULL')"
                )
                return f"case when {ok} and {id_ok} and {name_ok} then {extracted} end"
        return f"case when {ok} then {extracted} end"

    def present(self, name: str) -> str:
        return f"coalesce({self._type_of(name)}, 'NULL') <> 'NULL'"


def validation_sql(kind: records.RecordKind, lines_table: str) -> str:
    """The statement typing a batch of lines of one kind (see module docstring)."""
    plan = _Plan(kind)
    checks: list[tuple[str, str]] = []
    own_cols: list[str] = []
    typed_cols: list[str] = []
    for n, f in enumerate(kind.fields):
        # Each field is typed once (v<n>); the checks and the output both read that column.
        own_cols.append(f"{plan.value(f)} as v{n}")
        present = plan.present(f.name)
        if f.required:
            either = f"({present} or {plan.present(f.fallback)})" if f.fallback else present
            missing = f"{f.name!r} (or {f.fallback!r})" if f.fallback else repr(f.name)
            checks.append((f"not {either}", f"missing required field {missing}"))
        checks.append(
            (f"{present} and v{n} is null", f"field {f.name!r}: expected {EXPECTED[f.type]}")
        )
        typed = f"v{n}"
        if f.fallback:
            typed = f"coalesce(v{n}, v{[g.name for g in kind.fields].index(f.fallback)})"
        if f.default is not None:
            typed = f"coalesce({typed}, {f.default})"
        typed_cols.append(f"{typed}::{records.DUCKDB_TYPES[f.type]} as {quote_ident(f.name)}")
    if kind.misfit:
        field_name, reason = kind.misfit
        checks.insert(0, (plan.present(field_name), reason))
    reasons = "\n".join(f"          when {cond} then {sql_literal(msg)}" for cond, msg in checks)
    paths = "[" + ", ".join(sql_literal(p) for p in plan.paths) + "]"
    structure = sql_literal(orjson.dumps(plan.structure).decode())
    own = ",\n        ".join(own_cols)
    return f"""
with parsed as (
    select
        $file as _file,
        _line,
        raw,
        broken,
        broken is null and json_valid(raw) as is_json,
        -- CASE, not AND: json functions must never see a line that is not JSON.
        coalesce(case when is_json then json_type(raw) = 'OBJECT' end, false) as is_object,
        case when is_object then json_type(raw, {paths}) end as types,
        case when is_object then from_json(raw, {structure}) end as vals,
    from {lines_table}
),

typed as (
    select
        *,
        {own},
    from parsed
    -- Blank lines are skipped, not read; only a line that is not JSON can be blank.
    where broken is not null or is_json or trim(raw, ' ' || chr(9) || chr(13) || chr(10)) <> ''
),

judged as (
    select
        *,
        case
          when broken is not null then broken
          when not is_json then 'not JSON'
          when not is_object then 'not a JSON object'
{reasons}
        end as reason,
    from typed
)

select
    reason,
    _file,
    _line,
    -- A rejected line keeps its text, without the CR of a CRLF line break.
    case when reason is not null then rtrim(raw, chr(13) || chr(10)) end as raw,
    {", ".join(typed_cols)}
from judged
"""
