"""The SQL catalog: the project's SQL files (sql/), their headers, the table macros, and what
each file reads. Every floor above reads SQL through it: the transform runs the models, the
views define them, the endpoints and checks read their queries, the collectors theirs.

The models (sql/staging, sql/facts) come in dependency order. A model is one select. Its header comment declares its grain and key and, where the
runner needs them:

    -- inputs: a, b           the tables its body reads (checked against the parsed body)
    -- partition: day_column  a fact (or an event staging model kept in files, not a
                              view): the date column its Parquet files are partitioned by
    -- window: N days | week  with a partition: partition P reads input days P-N..P+N (or
                              its week)
    -- follows: S.key = E.column (a, b)   a fact reads columns a, b of the current version
                              of each entity of versioned staging S named by rows of E
    -- versions of: k1, k2    a staging model of a snapshot kind: the runner keeps every
                              version with valid_from and valid_to (the next version's
                              valid_from of the same key; null while current)
    -- pack: blocks           a partitioned model too large to rewrite its month so far
                              each night: its settled days packed in blocks of 7
                              (compaction.py)
    -- source: expression     a model holding rows of several products: each row's source
                              (retention drops a product's rows by its own horizon)
    -- person: a, b           columns naming a person or what is theirs (a user id, a
                              direct room): `forget` removes the rows naming the forgotten
                              from the partitions it cannot build again
    -- unsorted: why          a partitioned model whose files keep the order its query
                              makes rows in; every other's are written `order by all`
                              (row groups bound a window; a rebuild writes the same bytes)

An event staging model is a view over its raw table's day files, unless it declares a
partition: the kinds a report reads directly whose records never change are kept in
files, packed like a fact's, so a report session binds a dozen files instead of one per
day of history.

What a body reads is found by parsing it (sqlglot, DuckDB dialect), not by matching words:
a name in a comment or a string is no input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
LAYERS = ("staging", "facts")
OPEN = "9999-12-31"  # the valid_to_date partition of the versions still current


@dataclass(frozen=True)
class Follows:
    """`-- follows: S.key = E.column (a, b)`: which event rows read which columns of the
    current versions of S's entities."""

    snapshot: str
    key: str
    events: str
    column: str
    reads: tuple[str, ...]


def sql_files(folder: str) -> list[Path]:
    """The SQL files of sql/<folder>, in name order."""
    return sorted((SQL_DIR / folder).glob("*.sql"))


def sql_file(folder: str, name: str) -> Path:
    """sql/<folder>/<name>.sql"""
    return SQL_DIR / folder / f"{name}.sql"


def header(sql: str, name: str) -> str | None:
    """A SQL file's header value (`-- name: value`), with its continuation lines (comments indented past `--   `)."""
    match = re.search(rf"^--\s*{name}:(.*(?:\n--\s{{3,}}\S.*)*)$", sql, re.MULTILINE)
    return re.sub(r"\n--\s+", " ", match.group(1)).strip() if match else None


def _names(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text))


def declared_inputs(sql: str) -> tuple[str, ...]:
    """The tables a SQL file's header says it reads (`-- inputs:`)."""
    return _names(header(sql, "inputs") or "")


@dataclass(frozen=True)
class Macro:
    """A macro of sql/macros: its `create` statement and what it reads (`-- reads:` in its
    header): named tables, None for `its first argument` (as_of(stg_x, $now) reads stg_x),
    or none without the line (a scalar macro such as pg_percentile_cont). DuckDB binds a
    macro's named tables, and the macros it calls, when it is created."""

    name: str
    sql: str
    reads: tuple[str, ...] | None


@cache
def macros() -> dict[str, Macro]:
    found: dict[str, Macro] = {}
    for path in sql_files("macros"):
        # A macro's block: its header comments and its statement (a comment inside the
        # statement, after a blank line, stays in it).
        for block in re.split(r"\n(?=\n(?:--.*\n)*create or replace macro)", path.read_text()):
            name = re.search(r"create or replace macro (\w+)", block)
            if name:
                declared = header(block, "reads") or ""
                reads = None if "argument" in declared else _names(declared)
                found[name.group(1)] = Macro(name.group(1), block.strip(), reads)
    return found


def reads(sql: str) -> set[str]:
    """The tables a select reads: every table it names that is not one of its own CTEs,
    and what the table macros it calls read."""
    # (imported here, where SQL is parsed: a fifth of a second that the code that parses
    # none, the ingest, need not spend)
    import sqlglot
    from sqlglot import expressions

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias for cte in tree.find_all(expressions.CTE)}
    tables = {t.name for t in tree.find_all(expressions.Table) if t.name and t.name not in ctes}
    for call in tree.find_all(expressions.Anonymous):
        macro = macros().get(call.name.lower())
        if macro is not None:
            argument = call.expressions[0].name if call.expressions else None
            tables |= set((argument,) if macro.reads is None else macro.reads)
    return tables


@dataclass(frozen=True)
class Model:
    path: Path
    sql: str
    inputs: tuple[str, ...]  # parsed from the body (tests/test_staging.py: as its header says)
    partition: str | None  # facts, staging in files: the date column; versioned: valid_to_date
    window_days: int | None  # with a date partition; None with a weekly window
    follows: dict[str, Follows]  # by snapshot table
    versions_of: tuple[str, ...] | None  # versioned staging: the key of a version chain
    packs_blocks: bool = False  # `-- pack: blocks`
    source_of_row: str | None = None  # `-- source:` (SQL over a row)
    person: tuple[str, ...] = ()  # `-- person:` columns
    sorted: bool = True  # written `order by all` (False: `-- unsorted:`)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def layer(self) -> str:
        return self.path.parent.name

    @property
    def is_view(self) -> bool:
        """A staging model the sessions define as a view: no files of its own."""
        return self.layer == "staging" and self.partition is None

    @property
    def is_dated(self) -> bool:
        """A model in files partitioned by the day of its rows (a fact, or event staging
        kept in files): a partition P reads the input days of its window."""
        return self.partition is not None and self.versions_of is None

    @classmethod
    def parse(cls, path: Path) -> Model:
        sql = path.read_text()
        versions = header(sql, "versions of")
        if path.parent.name == "staging" and header(sql, "partition") is None:
            partition = "valid_to_date" if versions is not None else None
            return cls(
                path,
                sql,
                tuple(sorted(reads(sql))),
                partition,
                None,
                {},
                None if versions is None else _names(versions),
            )
        window = re.search(r"^--\s*window:\s*(?:(\d+)\s*days?|(week))\b", sql, re.MULTILINE)
        partition = header(sql, "partition")
        if not window or not partition:
            raise ValueError(
                f"{path}: a partitioned model's header needs '-- partition: <date column>' "
                "and '-- window: N days' (partition P reads the input days P-N..P+N) or "
                "'-- window: week'"
            )
        follows = {
            snapshot: Follows(snapshot, key, events, column, _names(columns))
            for snapshot, key, events, column, columns in re.findall(
                r"^--\s*follows:\s*(\w+)\.(\w+)\s*=\s*(\w+)\.(\w+)\s*\(([\w\s,]+)\)",
                sql,
                re.MULTILINE,
            )
        }
        pack = (header(sql, "pack") or "").split()[:1]  # its reason may follow the word
        if pack not in ([], ["blocks"]):
            raise ValueError(
                f"{path}: '-- pack: {pack[0]}': the only packing to declare is 'blocks'"
            )
        days = int(window.group(1)) if window.group(1) else None
        return cls(
            path,
            sql,
            tuple(sorted(reads(sql))),
            _names(partition)[0],
            days,
            follows,
            None,
            pack == ["blocks"],
            header(sql, "source"),
            _names(re.sub(r"\(.*?\)", "", header(sql, "person") or "")),  # a reason may follow
            header(sql, "unsorted") is None,
        )

    def fingerprint(self, timezone: str) -> str:
        return hashlib.sha256(f"{self.sql}\0{timezone}".encode()).hexdigest()[:16]


@cache
def models() -> dict[str, Model]:
    """Every staging model and fact, in dependency order (a model after all it reads)."""
    found = {p.stem: Model.parse(p) for layer in LAYERS for p in sql_files(layer)}
    ordered: dict[str, Model] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in trail:
            raise ValueError(f"cycle among models: {' -> '.join((*trail, name))}")
        for dependency in found[name].inputs:
            if dependency in found:
                visit(dependency, (*trail, name))
        ordered[name] = found[name]

    for name in sorted(found):
        visit(name, ())
    return ordered


def tables_beneath(
    names: Iterable[str], has_files: Callable[[str], bool] = lambda name: False
) -> set[str]:
    """The tables a session needs for these: themselves and, through every model that is a
    view or has no files yet (then it is its select over no rows), the tables beneath.
    A model with files (`has_files`) is read from them alone."""
    known = models()
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            model = known.get(name)
            if model is not None and (model.is_view or not has_files(name)):
                todo.extend(model.inputs)
    return found
