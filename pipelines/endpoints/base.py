"""What every endpoint function shares: its context, its query, its answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import duckdb

from pipelines import storage
from pipelines.config import Settings
from pipelines.sqlcatalog import macros, models, reads, sql_file, sql_files, tables_beneath
from pipelines.storage import Catalog, Warehouse

T = TypeVar("T")

# (HTTP status, JSON body); the body's key order is the product's.
Response = tuple[int, dict]

# The instants a request (and --now) may name: no product ran before 1970, and within
# these bounds every window an endpoint derives stays inside what Python's datetime and
# DuckDB convert, and a zero-filled answer has at most some 47,000 days. Outside them a
# request is refused with its product's error body.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
RANGE_TEXT = "1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z"


def in_range(moment: datetime | date) -> bool:
    """Whether an instant (or a calendar day) lies within [EARLIEST, LATEST)."""
    if isinstance(moment, datetime):
        return EARLIEST <= moment < LATEST
    return EARLIEST.date() <= moment < LATEST.date()


class Refused(Exception):
    """The product's API refuses the request: its HTTP status and its JSON body.

    A request is checked where its parts are read, often deep in helpers (a query
    parser, a time format), so a refusal is raised rather than returned through every
    caller; `endpoints.call` is the one place that turns it into the response. Each
    product module has one small constructor for its own error body.
    """

    def __init__(self, status: int, body: dict):
        super().__init__(status, body)
        self.status = status
        self.body = body


class ParametersAccepted(Exception):
    """An endpoint asked without a warehouse session reached its first query: the request
    passed every check that needs no data. Loading flows.yaml asks each window so."""


@dataclass(frozen=True)
class Context:
    """What an endpoint may read: the warehouse session (None: check the parameters only),
    the as-of instant, the settings."""

    con: duckdb.DuckDBPyConnection | None
    now: datetime  # timezone-aware
    settings: Settings
    # What the session reads once for all the requests it answers (held()), by name:
    # `serve` gives every request of a committed run's session the same.
    held: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone


class Query:
    """The query string's parameters, in order, repeated names kept."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a parameter, or default when it is absent."""
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def names(self) -> list[str]:
        return [key for key, _ in self.pairs]


@cache
def report_sql(name: str) -> str:
    """The text of sql/reports/<name>.sql."""
    return sql_file("reports", name).read_text()


@cache
def _report_reads() -> frozenset[str]:
    """Every table a report query reads."""
    return frozenset(t for path in sql_files("reports") for t in reads(path.read_text()))


@cache
def _request_reads() -> frozenset[str]:
    """The tables the report queries of a request read: not the dashboard's (read by the
    publisher) nor the `*_held` models' (read once, when a session opens)."""
    return frozenset(
        t
        for path in sql_files("reports")
        if not (path.stem.startswith("rpt_dashboard_") or path.stem.endswith("_held"))
        for t in reads(path.read_text())
    )


# A serving session holds in memory every table a request's queries read of at most this
# many rows (the facts and versions; not the minute-grain Coder fact, nor the views of
# record tables): answering many requests, it binds and reads their files once, not per
# request. Larger tables are read from their files: at 3,000 users Rocket.Chat's users,
# rooms and subscriptions held took 225 MB more for its statistics 16% faster.
HELD_ROWS = 200_000


def open_session(
    wh: Warehouse, catalog: Catalog | None = None, held: bool = False
) -> duckdb.DuckDBPyConnection:
    """A warehouse session for the endpoints and the dashboard: the tables the reports
    read and what lies beneath them, but not the record tables of a staging model read
    from its own files (binding a view costs with its files). `held`: the tables the
    reports read copied into memory (`serve`: one session answers a run's requests)."""
    catalog = catalog or Catalog.load(wh)
    tables = tables_beneath(_report_reads(), catalog.has_files)
    con = storage.open_warehouse(wh, catalog, tables)
    # A file never changes under its name (new rows make a new file): its footer is read
    # once for every report of the session, not once per query.
    con.execute("set parquet_metadata_cache = true")
    if held:
        _hold(con)
    return con


def _hold(con: duckdb.DuckDBPyConnection) -> None:
    """Each view a request's queries read, of at most HELD_ROWS rows, becomes a table of
    its rows under its name; the table macros are made again over them."""
    known = models()
    for name in sorted(_request_reads()):
        if name in known and known[name].is_view:
            continue  # a record table's days: reports read few of them
        if con.execute(f"select count(*) <= {HELD_ROWS} from {name}").fetchone()[0]:
            con.execute(f"create table {name}__held as select * from {name}")
            con.execute(f"drop view {name}")
            con.execute(f"alter table {name}__held rename to {name}")
    for macro in macros().values():
        con.execute(macro.sql)


def rows(ctx: Context, name: str, params: dict | None = None) -> list[dict]:
    """Run one report query with bound parameters; rows as dicts in column order.

    Only the parameters the query names are bound (DuckDB refuses unused ones), so an
    endpoint can pass one set of parameters to several queries.
    """
    if ctx.con is None:
        raise ParametersAccepted
    return query_rows(ctx.con, name, params)


def query_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """`rows` on a connection: what a session reads when it opens (held) runs so too."""
    sql = report_sql(name)
    used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", sql)}
    cursor = con.execute(sql, used)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def held(ctx: Context, name: str, read: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """What the session reads once (`read` of its connection) and each of its requests
    then reuses: one committed run's rows, made on first use unless the session made it
    when it opened."""
    if ctx.con is None:
        raise ParametersAccepted
    if name not in ctx.held:
        ctx.held[name] = read(ctx.con)
    return ctx.held[name]
