"""Run the fact models of sql/facts in dependency order into partitioned Parquet.

Each model is one select whose header declares its partition column and its window:

    -- partition: activity_date
    -- window: 1 day      partition P reads event days P-1..P+1 of its inputs
    -- window: week       partition P (a Monday) reads the days of that week
    -- follows: S.key = E.column (a, b)   the model reads columns a, b of the latest
                                         version of each snapshot S entity, for the rows
                                         of event table E naming it

A run rebuilds only what its new data can change: from the days each input table had
rewritten (`dirty`), the window gives the partitions to rebuild, and the model runs over
just the input days those partitions read (snapshot tables are always whole). New
versions of a followed snapshot dirty the event days of the rows naming the entities
whose latest version changed in those columns. A model is rebuilt whole when it is new,
its SQL or the time zone changed, or another snapshot or flat table it reads changed.
Every step is one SQL statement, so no Polars here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines import records, storage
from pipelines.config import Settings
from pipelines.storage import Catalog, Warehouse, quote_ident

# table -> partition keys ("YYYY-MM-DD") rewritten this run; None means "everything".
Dirty = dict[str, set[str]] | None


@dataclass(frozen=True)
class Follows:
    """`-- follows: S.key = E.column (a, b)`: which event rows read which columns of
    snapshot S's entities."""

    snapshot: str
    key: str
    events: str
    column: str
    reads: tuple[str, ...]


@dataclass(frozen=True)
class Model:
    path: Path
    sql: str
    partition: str
    window_days: int | None  # None: weekly partitions
    inputs: tuple[str, ...]
    follows: dict[str, Follows]  # by snapshot table

    @property
    def name(self) -> str:
        return self.path.stem

    @classmethod
    def parse(cls, path: Path, facts: list[str]) -> Model:
        sql = path.read_text()
        window = re.search(r"^--\s*window:\s*(?:(\d+)\s*days?|(week))\b", sql, re.MULTILINE)
        if not window:
            raise ValueError(
                f"{path}: the header needs '-- window: N days' (partition P reads the input "
                "event days P-N..P+N) or '-- window: week' (P, a Monday, reads its week)"
            )
        known = [*records.BY_TABLE, *facts]
        body = storage.sql_body(sql)
        inputs = tuple(t for t in known if t != path.stem and re.search(rf"\b{t}\b", body))
        days = int(window.group(1)) if window.group(1) else None
        follows = {
            snapshot: Follows(snapshot, key, events, column, tuple(re.findall(r"\w+", reads)))
            for snapshot, key, events, column, reads in re.findall(
                r"^--\s*follows:\s*(\w+)\.(\w+)\s*=\s*(\w+)\.(\w+)\s*\(([\w\s,]+)\)",
                sql,
                re.MULTILINE,
            )
        }
        return cls(path, sql, storage.fact_partition_column(sql), days, inputs, follows)

    def fingerprint(self, settings: Settings) -> str:
        return hashlib.sha256(f"{self.sql}\0{settings.timezone}".encode()).hexdigest()[:16]


@dataclass
class ModelResult:
    name: str
    rows: int
    keys: list[str]  # the partitions written
    full: bool

    @property
    def partitions(self) -> int:
        return len(self.keys)


@dataclass
class TransformResult:
    models: list[ModelResult] = field(default_factory=list)

    @property
    def partitions_written(self) -> int:
        return sum(m.partitions for m in self.models)

    def rebuilt(self, name: str) -> set[str]:
        return {key for m in self.models if m.name == name for key in m.keys}


def session_variables(con, settings: Settings) -> None:
    """Variables the models may read with getvariable(): the reporting time zone."""
    con.execute("set variable timezone = $tz", {"tz": settings.timezone})


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _spread(days: set[date], width: int) -> set[date]:
    return {d + timedelta(days=k) for d in days for k in range(-width, width + 1)}


def followed_days(catalog: Catalog, rule: Follows, changed: set[str]) -> set[date]:
    """The UTC days of the event rows naming an entity whose latest version changed in
    the rewritten snapshot partitions `changed` (compared with the committed catalog)."""
    kind, events = records.BY_TABLE[rule.snapshot], records.BY_TABLE[rule.events]
    event_files = catalog.files(rule.events)
    if not event_files:
        return set()
    key = quote_ident(rule.key)
    version = f"hash({', '.join(quote_ident(c) for c in rule.reads)})"

    def latest(files: list[Path]) -> str:
        if not files:
            return "select null as k, null as v where false"
        return (
            f"select {key} as k, arg_max({version}, {kind.time_sql}) as v "
            f"from read_parquet({storage.sql_list(files)}) "
            f"where {key} in (select k from touched) group by 1"
        )

    con = storage.connect()
    try:
        rows = con.execute(f"""
with
touched as (
    select distinct {key} as k
    from read_parquet({storage.sql_list(catalog.files(rule.snapshot, changed))})
),
now as ({latest(catalog.files(rule.snapshot))}),
before as ({latest(Catalog.load(catalog.wh).files(rule.snapshot))}),
changed as (
    select now.k from now left join before on now.k = before.k
    where before.v is distinct from now.v
)
select distinct ({events.time_sql})::date from read_parquet({storage.sql_list(event_files)})
where {quote_ident(rule.column)} in (select k from changed)
""").fetchall()
    finally:
        con.close()
    return {day for (day,) in rows}


def plan(model: Model, dirty: Dirty, catalog: Catalog, settings: Settings) -> set[str] | None:
    """The partitions to rebuild (None: all of them)."""
    if dirty is None or catalog.models.get(model.name) != model.fingerprint(settings):
        return None
    touched: set[date] = set()
    for table in model.inputs:
        kind = records.BY_TABLE.get(table)
        changed = dirty.get(table, set())
        whole = kind is not None and (kind.sort == "snapshot" or not kind.partitioned)
        if changed and whole and table in model.follows:
            touched |= followed_days(catalog, model.follows[table], changed)
        elif changed and whole:
            return None  # entity state may change any day after the new version
        else:
            touched |= {date.fromisoformat(d) for d in changed}
    if model.window_days is None:
        return {str(_monday(d)) for d in touched}
    return {str(d) for d in _spread(touched, model.window_days)}


def _input_days(model: Model, targets: set[str]) -> set[str]:
    """The input partitions that the target partitions read."""
    days = {date.fromisoformat(t) for t in targets}
    if model.window_days is None:
        return {str(d + timedelta(days=k)) for d in days for k in range(7)}
    return {str(d) for d in _spread(days, model.window_days)}


def build_facts(
    wh: Warehouse,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
    catalog: Catalog | None = None,
    run_id: str | None = None,
    dirty: Dirty = None,
) -> TransformResult:
    """Rebuild the fact partitions that `dirty` input days can change (all, when None).

    With a catalog (a run's), the new files join it for the run to commit; without one,
    the build commits on its own.
    """
    say = progress or (lambda _msg: None)
    own_catalog = catalog is None
    catalog = catalog or Catalog.load(wh)
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ-transform")
    dirty = None if dirty is None else {t: set(d) for t, d in dirty.items()}
    result = TransformResult()
    paths = storage.ordered_facts()
    facts = [p.stem for p in paths]
    models = {p.stem: Model.parse(p, facts) for p in paths}
    for model in models.values():
        targets = plan(model, dirty, catalog, settings)
        if targets is not None and not targets:
            continue
        say(f"building {model.name}" + ("" if targets is None else f" ({len(targets)} partitions)"))
        built = _build(catalog, model, run_id, targets, settings, _reads(model, models))
        catalog.models[model.name] = model.fingerprint(settings)
        result.models.append(built)
        if dirty is not None:
            dirty[model.name] = (
                targets if targets is not None else set(catalog.partitions(model.name))
            )
        if targets is None and dirty is not None:
            # A whole rebuild makes everything downstream whole too.
            dirty = None
    if own_catalog:
        catalog.commit(run_id)
    return result


def _reads(model: Model, models: dict[str, Model]) -> set[str]:
    """The tables a model's session needs: its inputs and, as a fact without files is its
    model over no rows, the inputs of the facts it reads."""
    tables = set(model.inputs)
    for table in model.inputs:
        if table in models:
            tables |= _reads(models[table], models)
    return tables


def _build(
    catalog: Catalog,
    model: Model,
    run_id: str,
    targets: set[str] | None,
    settings: Settings,
    tables: set[str],
) -> ModelResult:
    """Run one model over its inputs (restricted when targets are given) and replace the
    target partitions: one new file per partition value; emptied partitions dropped."""
    con = storage.open_warehouse(catalog.wh, catalog, tables)
    try:
        session_variables(con, settings)
        if targets is not None:
            needed = _input_days(model, targets)
            for table in model.inputs:
                kind = records.BY_TABLE.get(table)
                if kind is None:
                    fact = storage.sql_model("facts", table)
                    storage.attach_fact_view(con, catalog, fact, needed)
                elif kind.partitioned and kind.sort == "event":
                    view = storage.record_view_sql(catalog, kind, needed)
                    con.execute(f"create or replace view {table} as {view}")
        column = quote_ident(model.partition)
        con.execute(f"create temp table model_rows as {model.sql}")
        produced = [
            str(d)
            for (d,) in con.execute(
                f"select distinct {column} from model_rows order by 1"
            ).fetchall()
        ]
        wanted = produced if targets is None else [d for d in produced if d in targets]
        for day in wanted:
            target = catalog.wh.new_file(model.name, run_id, (model.partition, day))
            storage.copy_to_parquet(
                con,
                f"select * exclude ({column}) from model_rows where {column} = $day order by all",
                target,
                {"day": day},
            )
            catalog.put(model.name, day, target)
        scope = set(catalog.partitions(model.name)) if targets is None else targets
        for stale in scope - set(wanted):
            catalog.drop(model.name, stale)
        (rows,) = con.execute("select count(*) from model_rows").fetchall()[0]
    finally:
        con.close()
    return ModelResult(model.name, rows, wanted, targets is None)
