"""Per record kind, one SQL statement that types every line or names why it is rejected.

Python hands DuckDB a batch of (_line, raw, broken) rows and the file as `$file`; the
statement parses each line once (`from_json` into a struct of JSON values), checks every
declared field in declaration order, and returns the typed columns plus `reason`
(null = accepted).
"""

from __future__ import annotations

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
    "user_ref": 'an object with a string "_id"',
}


def _ts_from_string(text: str) -> str:
    return (
        f"case when regexp_full_match({text}, {sql_literal(TS_PATTERN)}) "
        f"then try_cast({text} as timestamptz) end"
    )


def _text(value: str) -> str:
    """The text of a JSON scalar (unquoted for strings)."""
    return f"({value} ->> '$')"


def _ts(value: str, mongo: bool) -> str:
    """A timestamp from a JSON value; Rocket.Chat's mongoexport may wrap it in {"$date": ...}."""
    plain = f"case when json_type({value}) = 'VARCHAR' then {_ts_from_string(_text(value))} end"
    if not mongo:
        return plain
    date = f"json_extract({value}, '$.\"$date\"')"
    millis = (
        f"coalesce(try_cast(json_extract_string({date}, '$.\"$numberLong\"') as bigint), "
        f"case when json_type({date}) in ('BIGINT', 'UBIGINT') then try_cast({date} as bigint) end)"
    )
    wrapped = (
        f"case when json_type({date}) = 'VARCHAR' then {_ts_from_string(_text(date))} "
        f"else epoch_ms({millis})::timestamptz end"
    )
    return f"case when json_type({value}) = 'OBJECT' then {wrapped} else {plain} end"


def _typed(field: records.Field, value: str, mongo: bool) -> str:
    """SQL giving the typed value, or null when the JSON value has the wrong type."""
    jt = f"json_type({value})"
    text = _text(value)
    match field.type:
        case "uuid" | "str":
            return f"case when {jt} = 'VARCHAR' then {text} end"
        case "int":
            return f"case when {jt} in ('BIGINT', 'UBIGINT') then try_cast({text} as bigint) end"
        case "float":
            return f"case when {jt} in ('BIGINT', 'UBIGINT', 'DOUBLE') then try_cast({text} as double) end"
        case "bool":
            return f"case when {jt} = 'BOOLEAN' then {text} = 'true' end"
        case "ts":
            return _ts(value, mongo)
        case "int_or_str":
            return f"case when {jt} in ('BIGINT', 'UBIGINT', 'VARCHAR') then {text} end"
        case "str_list":
            return (
                f"case when {jt} = 'ARRAY' and list_bool_and(list_transform("
                f"json_extract({value}, '$[*]'), lambda e: json_type(e) = 'VARCHAR')) is not false "
                f"then json_extract_string({value}, '$[*]') end"
            )
        case "json":
            return f"{value}"
        case "user_ref":
            return (
                f"case when {jt} = 'OBJECT' and json_type({value}, '$.\"_id\"') = 'VARCHAR' "
                f"and coalesce(json_type({value}, '$.username'), 'VARCHAR') in ('VARCHAR', 'NULL') "
                f"then struct_pack(_id := json_extract_string({value}, '$.\"_id\"'), "
                f"username := json_extract_string({value}, '$.username')) end"
            )
    raise ValueError(f"unknown field type {field.type}")


def validation_sql(kind: records.RecordKind, lines_table: str) -> str:
    """The statement typing a batch of lines of one kind (see module docstring)."""
    mongo = kind.source == "rocketchat"
    names = [f.name for f in kind.fields]
    structure = "{" + ", ".join(f'"{n}": "JSON"' for n in names) + "}"
    values = {f.name: f"obj.{quote_ident(f.name)}" for f in kind.fields}
    typed_cols = []
    checks = []
    for f in kind.fields:
        raw_value = values[f.name]
        own = f"({_typed(f, raw_value, mongo)})"
        present = f"({raw_value} is not null)"
        if f.required:
            missing = f"{f.name!r} (or {f.fallback!r})" if f.fallback else repr(f.name)
            either = f"({present} or {values[f.fallback]} is not null)" if f.fallback else present
            checks.append((f"not {either}", f"missing required field {missing}"))
        checks.append(
            (f"{present} and {own} is null", f"field {f.name!r}: expected {EXPECTED[f.type]}")
        )
        typed = own
        if f.fallback:
            fallback = kind.fields[names.index(f.fallback)]
            typed = f"coalesce({own}, ({_typed(fallback, values[f.fallback], mongo)}))"
        if f.default is not None:
            typed = f"coalesce({typed}, {f.default})"
        typed_cols.append(f"{typed}::{records.DUCKDB_TYPES[f.type]} as {quote_ident(f.name)}")
    reason_cases = "\n".join(f"      when {cond} then {sql_literal(msg)}" for cond, msg in checks)
    return f"""
with parsed as (
    select
        $file as _file,
        _line,
        raw,
        broken,
        broken is null and json_valid(raw) as is_json,
        -- CASE, not AND: json_type must never see a line that is not JSON.
        coalesce(case when is_json then json_type(raw) = 'OBJECT' end, false) as is_object,
        case when is_object then from_json(raw, {sql_literal(structure)}) end as obj,
    from {lines_table}
)
select
    case
      when broken is not null then broken
      when not is_json then 'not JSON'
      when not is_object then 'not a JSON object'
{reason_cases}
    end as reason,
    _file,
    _line,
    raw,
    {", ".join(typed_cols)}
from parsed
"""
