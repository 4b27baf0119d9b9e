"""The views every session reads the warehouse through: one per raw record kind, staging
model, fact and internal table, over exactly the files the catalog names; and usage.duckdb,
the same views in a file for ad-hoc queries."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipelines import records, sqlcatalog
from pipelines.storage.catalog import Catalog
from pipelines.storage.internal import INTERNAL, Internal
from pipelines.storage.paths import Warehouse, packed_days
from pipelines.storage.sessions import connect, cursor, quote_ident, sql_list, sql_literal


def _typed_empty(columns: dict[str, str]) -> str:
    cols = ", ".join(f"null::{t} as {quote_ident(c)}" for c, t in columns.items())
    return f"select {cols} where false"


def _files_view(files: list[Path], hive: bool, uniform: bool) -> str:
    """The rows of these files. Files of different schemas are lined up by column name,
    which reads every file's schema first: only when the catalog does not know them to
    share one."""
    return (
        f"select * from read_parquet({sql_list(files)}, "
        f"hive_partitioning = {str(hive).lower()}, union_by_name = {str(not uniform).lower()})"
    )


def partition_files_sql(
    files: list[Path], column: str, uniform: bool, keys: set[str] | None = None
) -> str:
    """The rows of a partitioned table's files: day files name their day in the folder
    (hive partitioning), packed files hold the date column (and rows of other days than
    `keys` when a reader wants some days only, then filtered); columns in the day files'
    order, the date column last.

    The packed files' rows are bounded by the days their folders name: a query whose days
    lie outside contradicts the bound, and DuckDB drops the packed files unopened, as it
    drops day files by their folder (it opens a packed file to skip it otherwise)."""
    spans = {f: packed_days(f) for f in files}
    days = [f for f, span in spans.items() if span is None]
    packed = {f: span for f, span in spans.items() if span is not None}
    parts = [_files_view(days, True, uniform)] if days else []
    if packed:
        rows = _files_view(list(packed), False, uniform)
        if keys is not None:
            wanted = ", ".join(f"DATE {sql_literal(k)}" for k in sorted(keys))
            rows += f" where {quote_ident(column)} in ({wanted})"
        else:
            first = min(first for first, _ in packed.values())
            last = max(last for _, last in packed.values())
            rows += (
                f" where {quote_ident(column)} between DATE {sql_literal(first)} "
                f"and DATE {sql_literal(last)}"
            )
        parts.append(rows)
    return " union all by name ".join(parts)


def _table_view(
    catalog: Catalog,
    table: str,
    hive: bool,
    columns: dict[str, str],
    keys: set[str] | None = None,
) -> str:
    files = catalog.files(table, keys)
    return _files_view(files, hive, catalog.uniform(table)) if files else _typed_empty(columns)


def internal_view_sql(catalog: Catalog, internal: Internal) -> str:
    """The view of one of the warehouse's own tables over its live files."""
    files = _table_view(catalog, internal.name, internal.partition is not None, internal.columns)
    return internal.view_sql(files)


def record_view_sql(
    catalog: Catalog, kind: records.RecordKind, days: set[str] | None = None
) -> str:
    """The view of one raw record kind (or of some of its days): its source columns,
    lineage and the day partition (a snapshot kind's settled months packed a file each,
    the day inside, as a fact's)."""
    columns = kind.stored_columns
    if kind.partitioned:
        columns["day"] = "DATE"
        if files := catalog.files(kind.table, days):
            return partition_files_sql(files, "day", catalog.uniform(kind.table), days)
    return _table_view(catalog, kind.table, kind.partitioned, columns, days)


def model_view_sql(catalog: Catalog, model: sqlcatalog.Model, keys: set[str] | None = None) -> str:
    """A staging model or fact as a view: a staging view's own select; else its live files
    (or some partitions of them). Asked for partitions it has no file for: its newest file
    over no rows (the session bound nothing beneath a model with files). With no files at
    all: its select over no rows (same columns; a versioned staging model's validity
    columns too)."""
    if model.is_view:
        return model.sql
    files = catalog.files(model.name, keys)
    if files:
        return partition_files_sql(files, model.partition, catalog.uniform(model.name), keys)
    if catalog.has_files(model.name):
        newest = catalog.files(model.name)[-1:]
        return f"select * from ({partition_files_sql(newest, model.partition, True)}) limit 0"
    if model.versions_of is not None:
        return (
            "select *, null::timestamptz as valid_to, null::date as valid_to_date "
            f"from ({model.sql}) limit 0"
        )
    return f"select * from ({model.sql}) limit 0"


def attach_views(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    tables: Iterable[str] | None = None,
    partitions: dict[str, set[str]] | None = None,
    temporary: bool = False,
) -> None:
    """Create the table macros and a view for every table (or just the named ones: binding
    a view costs with its files): raw kinds, the internal tables, staging models and
    facts. `partitions` limits a record table or model to some of its partitions.
    `temporary`: the connection's own (one session of a database others use too)."""
    macros = sqlcatalog.macros().values()
    scope = "temp " if temporary else ""

    def create(macro: sqlcatalog.Macro) -> None:
        con.execute(
            macro.sql.replace("create or replace macro", f"create or replace {scope}macro", 1)
        )

    for macro in macros:
        if not macro.reads:  # generic or reading no table: the models may call it
            create(macro)
    wanted = None if tables is None else set(tables)
    only = partitions or {}

    def bind(name: str) -> bool:
        return wanted is None or name in wanted

    def view(name: str, body: str) -> None:
        con.execute(f"create or replace {scope}view {name} as {body}")

    # A view's SQL names its files: written only for the tables bound.
    for kind in filter(lambda k: bind(k.table), records.KINDS):
        view(kind.table, record_view_sql(catalog, kind, only.get(kind.table)))
    for internal in filter(lambda i: bind(i.name), INTERNAL):
        view(internal.name, internal_view_sql(catalog, internal))
    for model in filter(lambda m: bind(m.name), sqlcatalog.models().values()):
        view(model.name, model_view_sql(catalog, model, only.get(model.name)))
    for macro in macros:  # over named tables: after them
        if macro.reads and (wanted is None or wanted.issuperset(macro.reads)):
            create(macro)


def open_warehouse(
    wh: Warehouse,
    catalog: Catalog | None = None,
    tables: Iterable[str] | None = None,
    partitions: dict[str, set[str]] | None = None,
    within: duckdb.DuckDBPyConnection | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the warehouse views (all, or the named tables,
    some limited to some partitions); never locks usage.duckdb.

    Without a catalog it reads the committed state; a run passes its own, uncommitted one.
    `within`: a database that sessions running side by side share (connect()), so that
    they share its memory limit and threads too; the session is a cursor of it, its views
    and tables its own.
    """
    con = connect() if within is None else cursor(within)
    attach_views(con, catalog or Catalog.load(wh), tables, partitions, within is not None)
    return con


def rebuild_duckdb_file(wh: Warehouse) -> None:
    """Build usage.duckdb anew beside the old one and rename it into place.

    Readers holding the old file keep it open undisturbed; new readers see the new one.
    """
    tmp = wh.root / f".usage.duckdb.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        attach_views(con, Catalog.load(wh))
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, wh.duckdb_file)
    Path(f"{tmp}.wal").unlink(missing_ok=True)
