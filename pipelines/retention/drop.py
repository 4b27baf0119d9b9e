"""Retention (flows.yaml `retention:`, docs/privacy.md): what each layer keeps, and what a
run drops once the facts that aggregate it are built.

A layer keeps a source's data `<N>d`: the days from the run's UTC date minus N on (or
forever). A run drops, after its transform and checks and before it publishes:

- records: the day partitions of every event kind (the activity: messages, agent and app
  stats, logs, script runs, audit entries) and of the event staging kept in files, and
  the rejected lines of older runs (a rejected line is a raw line). Snapshot kinds (users,
  rooms, templates, ...) keep every version: a report as of now needs each entity's
  current one, however old; a person's are erased by `usage-warehouse forget`.
- facts: the partitions of the facts; a fact of several products (active users, the
  records per day) loses the rows of each product by its own horizon (`-- source:`).
- raw: the landed files in a dated folder (`YYYY/MM/DD/` or `YYYY-MM-DD/`, the day they
  were landed) that the run's manifest holds as ingested, unchanged. They go after the run
  commits: a run killed before keeps them.
- reports: the report sets of the runs before the last `retention.reports` (after the swap).

What a table no longer holds its inputs for cannot be built again: the catalog keeps each
dropped table's horizon as its floor (transform/floors.py), and the partitions before a
model's floor are final. Each drop is recorded in the run (the `drops` table; `status`).
Before any work, policy.check refuses a retention that would drop what a published window or
the dashboard reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import records, storage
from pipelines.config import Settings
from pipelines.extract.files import RawFile, discover
from pipelines.retention.policy import Drop, horizon, landed_day
from pipelines.sqlcatalog import Model, models
from pipelines.storage import Catalog, quote_ident, sql_literal
from pipelines.storage.internal import DROPS, REJECTS
from pipelines.transform.runner import write_partitions

LAYERS = ("raw", "records", "facts")


@dataclass
class Plan:
    """A run's drops, and what goes only after it commits (raw files, report sets)."""

    drops: list[Drop] = field(default_factory=list)
    raw_files: list[Path] = field(default_factory=list)


def sources_of(name: str) -> set[str]:
    """The products whose records a table holds or is built from."""
    kind = records.BY_TABLE.get(name)
    if kind is not None:
        return {kind.source}
    model = models().get(name)
    return set().union(*map(sources_of, model.inputs)) if model else set()


def drop_old(
    catalog: Catalog, settings: Settings, run_id: str, now: datetime, raw: Path, say=None
) -> Plan:
    """Drop from the run's catalog what the retention no longer keeps, and plan the raw
    files to remove once it commits; every drop is recorded in the catalog (`drops`)."""
    say = say or (lambda _message: None)
    plan = Plan()
    con = storage.connect()
    try:
        for kind in records.KINDS:
            if kind.sort == "event" and kind.partitioned:
                plan.drops += _drop_days(
                    catalog, kind.table, horizon(settings, kind.source, "records", now)
                )
        plan.drops += _drop_rejects(con, catalog, settings, run_id, now)
        for model in models().values():
            if model.is_dated:
                layer = "records" if model.layer == "staging" else "facts"
                plan.drops += _drop_model(con, catalog, settings, model, layer, run_id, now)
        plan.raw_files, raw_drops = _raw_files(catalog, settings, raw, now)
        plan.drops += raw_drops
        stale = storage.stale_report_sets(catalog.wh, run_id, settings.retention.reports)
        if stale:
            plan.drops.append(Drop("reports", "report sets", count_files=len(stale)))
        if plan.drops:
            say(f"dropping what the retention no longer keeps ({len(plan.drops)} tables)")
            record(con, catalog, run_id, plan.drops)
    finally:
        con.close()
    return plan


def record(con, catalog: Catalog, run_id: str, drops: list[Drop]) -> None:
    """The drops join the catalog's `drops` table."""
    rows = pa.Table.from_pylist([{"run_id": run_id, **asdict(d)} for d in drops])
    con.register("drop_rows", rows)
    try:
        DROPS.write(con, catalog, "select * from drop_rows", run_id)
    finally:
        con.unregister("drop_rows")


def _span(days: list[str]) -> tuple[date, date]:
    return date.fromisoformat(min(days)), date.fromisoformat(max(days))


def _gone(catalog: Catalog, before: set[Path]) -> tuple[int, int]:
    """How many of these files the catalog no longer names, and their bytes."""
    named = {
        catalog.wh.parquet / rel for table in catalog.tables.values() for rel in table.values()
    }
    gone = [p for p in before if p not in named]
    return len(gone), sum(p.stat().st_size for p in gone if p.exists())


def _drop_days(catalog: Catalog, table: str, first: date | None) -> list[Drop]:
    """A record table's day partitions before `first`; its floor becomes `first`."""
    if first is None:
        return []
    catalog.floors[table] = max(catalog.floors.get(table, ""), str(first))
    old = [key for key in catalog.partitions(table) if key < str(first)]
    if not old:
        return []
    files = set(catalog.files(table, set(old)))
    rows = sum(pq.read_metadata(path).num_rows for path in files)
    for key in old:
        catalog.drop(table, key)
    count, size = _gone(catalog, files)
    return [
        Drop("records", table, *_span(old), count_files=count, count_rows=rows, count_bytes=size)
    ]


def _source_horizon_sql(horizons: dict[str, date | None], source_sql: str) -> str:
    """SQL: the first day the retention keeps of a row's source (day one when forever)."""
    cases = " ".join(
        f"when {sql_literal(source)} then DATE {sql_literal(str(first))}"
        for source, first in horizons.items()
        if first is not None
    )
    return f"(case {source_sql} {cases} else DATE '0001-01-01' end)"


def _drop_rejects(
    con, catalog: Catalog, settings: Settings, run_id: str, now: datetime
) -> list[Drop]:
    """Rejected lines of runs before the records horizon of their source."""
    horizons = {s: horizon(settings, s, "records", now) for s in records.SOURCES}
    last = max((h for h in horizons.values() if h is not None), default=None)
    if last is None:
        return []
    by_day: dict[str, list[str]] = {}
    for key in catalog.partitions(REJECTS.name):
        day = key.partition("/")[0]
        if day < str(last):
            by_day.setdefault(day, []).append(key)
    dropped, days, before = 0, [], set()
    for day, keys in by_day.items():
        files = [catalog.file(REJECTS.name, key) for key in keys]
        before |= set(files)
        rows = f"select * from read_parquet({storage.sql_list(files)}, union_by_name = true)"
        keep = f"DATE {sql_literal(day)} >= {_source_horizon_sql(horizons, 'source')}"
        (total, kept) = con.execute(
            f"select count(*), count(*) filter (where {keep}) from ({rows})"
        ).fetchall()[0]
        if kept == total:
            continue
        for key in keys:
            catalog.drop(REJECTS.name, key)
        if kept:
            REJECTS.write(con, catalog, f"{rows} where {keep}", run_id, date.fromisoformat(day))
        dropped += total - kept
        days.append(day)
    if not days:
        return []
    count, size = _gone(catalog, before)
    return [
        Drop(
            "records",
            REJECTS.name,
            *_span(days),
            count_files=count,
            count_rows=dropped,
            count_bytes=size,
        )
    ]


def _drop_model(
    con, catalog: Catalog, settings: Settings, model: Model, layer: str, run_id: str, now: datetime
) -> list[Drop]:
    """A model's partitions (or, for a model of several products, its rows of a product)
    before the layer's horizon; its floor becomes the latest horizon."""
    horizons = {s: horizon(settings, s, layer, now) for s in sorted(sources_of(model.name))}
    kept_from = [h for h in horizons.values() if h is not None]
    if not kept_from or not catalog.has_files(model.name):
        return []
    last = max(kept_from)
    catalog.floors[model.name] = max(catalog.floors.get(model.name, ""), str(last))
    old = {key for key in catalog.partitions(model.name) if key < str(last)}
    if not old:
        return []
    if len(set(horizons.values())) > 1 and model.source_of_row is None:
        raise ValueError(
            f"{model.path}: a model of several products needs '-- source: <expression>'"
        )
    files = set(catalog.files(model.name, old))
    rows = storage.partition_files_sql(
        list(files), model.partition, catalog.uniform(model.name), old
    )
    keep = "false"
    if len(set(horizons.values())) > 1:  # a product's rows by its own horizon
        keep = f"{quote_ident(model.partition)} >= {_source_horizon_sql(horizons, model.source_of_row)}"
    con.execute(f"create or replace temp table model_rows as select * from ({rows}) where {keep}")
    (total,) = con.execute(f"select count(*) from ({rows})").fetchall()[0]
    (kept,) = con.execute("select count(*) from model_rows").fetchall()[0]
    if kept == total:
        return []
    write_partitions(con, catalog, model, run_id, old, None, catalog.models[model.name])
    count, size = _gone(catalog, files)
    return [
        Drop(
            layer,
            model.name,
            *_span(sorted(old)),
            count_files=count,
            count_rows=total - kept,
            count_bytes=size,
        )
    ]


def _raw_files(
    catalog: Catalog, settings: Settings, raw: Path, now: datetime
) -> tuple[list[Path], list[Drop]]:
    """The raw files older than the raw horizon of their source that the manifest holds as
    ingested and unchanged (a file not yet read, or changed since, is kept)."""
    horizons = {s: horizon(settings, s, "raw", now) for s in records.SOURCES}
    if all(h is None for h in horizons.values()):
        return [], []
    con = storage.open_warehouse(catalog.wh, catalog, ["ingested_files"])
    try:
        manifest = {
            path: (size, mtime)
            for path, size, mtime in con.execute(
                "select path, size, mtime_ns from ingested_files"
            ).fetchall()
        }
    finally:
        con.close()
    paths, drops = [], []
    for source, first in horizons.items():
        if first is None:
            continue
        found: list[tuple[RawFile, int, date]] = []
        for raw_file in discover(raw, source).files:
            day = landed_day(raw_file.relative)
            if day is None or day >= first:
                continue
            stat = raw_file.path.stat()
            if manifest.get(raw_file.relative) == (stat.st_size, stat.st_mtime_ns):
                found.append((raw_file, stat.st_size, day))
        if found:
            paths += [f.path for f, _, _ in found]
            days = [d for _, _, d in found]
            size = sum(s for _, s, _ in found)
            drops.append(
                Drop(
                    "raw", f"{source} raw files", min(days), max(days), len(found), count_bytes=size
                )
            )
    return paths, drops


def remove_raw(raw: Path, paths: list[Path]) -> None:
    """Delete the planned raw files (after the run committed) and the folders they leave
    empty, up to each kind's folder."""
    for path in paths:
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if len(folder.relative_to(raw).parts) <= 2 or any(folder.iterdir()):
                break
            folder.rmdir()
