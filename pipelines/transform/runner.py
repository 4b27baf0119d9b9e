"""Run the models of sql/staging and sql/facts (sqlcatalog.py) in dependency order.

Staging views (event kinds, kinds without time) are views of every session. Versioned
staging models (`-- versions of:`), the event staging models kept in files (`-- partition:
day`, `-- window: 0 days`: built like a fact) and facts are built into partitioned
Parquet, and a run rebuilds only what its new data can change:

- A versioned staging model keeps every version of a snapshot kind with its validity
  (valid_from, valid_to), partitioned by the UTC day its validity ended (valid_to_date;
  9999-12-31 while current). New versions from day M on can only change the rows whose
  validity ends on or after M: those partitions are rebuilt from their rows and the new
  versions, each key's chain closed again. A new version closes only its own key's
  previous range, so a night costs what is new, not the history.
- A fact partition P reads the input days its window names (`-- window: N days`: P-N..P+N;
  `week`: the days of its week); the days each input had rewritten (`dirty`) give the
  partitions to rebuild, and the model runs over just the input days those read. A change
  of a versioned staging model rebuilds a fact whole, unless the fact `follows` it: then
  only the days of the event rows naming an entity whose current version changed in the
  followed columns.

A model is rebuilt whole when it is new, or its SQL or the time zone changed; the models
reading it then rebuild every partition its partitions reach, and no other model is
touched. Every step is one SQL statement.

Models run side by side, WORKERS at a time, each in its own session of one DuckDB
database (one memory limit, one pool of threads): a model starts once every model it
reads is built, so it plans from its inputs' rewritten partitions exactly as one after
another would. Of the models ready, the one reading the most bytes starts first.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from duckdb import DuckDBPyConnection

from pipelines import records, storage
from pipelines.config import Settings
from pipelines.sqlcatalog import OPEN, Follows, Model, models, tables_beneath
from pipelines.storage import Catalog, Warehouse, quote_ident
from pipelines.storage.compaction import storage_unit
from pipelines.transform.floors import floor

# table -> partition keys ("YYYY-MM-DD") rewritten this run; None means "everything".
Dirty = dict[str, set[str]] | None

# Models built at once. The largest (Coder's minute facts) keep both cores busy on their
# own, but most models spend much of their time on one core (binding their files, a
# single-threaded sort or write): beside another, the second core works too. Their
# sessions share one database: its memory limit holds for the transform as a whole.
WORKERS = 2


@dataclass
class ModelResult:
    name: str
    rows: int
    keys: list[str]  # the partitions written
    full: bool
    dropped: list[str] = field(default_factory=list)  # the partitions left empty

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


def _raw_events(name: str) -> set[str]:
    """The raw event tables whose days a table follows: itself, or those under a view."""
    kind = records.BY_TABLE.get(name)
    if kind is not None:
        return {name} if kind.sort == "event" and kind.partitioned else set()
    model = models()[name]
    return set().union(*(_raw_events(t) for t in model.inputs)) if model.is_view else set()


def followed_days(
    catalog: Catalog, rule: Follows, database: DuckDBPyConnection | None = None
) -> set[date]:
    """The UTC days of the event rows naming an entity whose current version changed in
    the followed columns (the run's catalog against the committed one)."""
    events = _raw_events(rule.events)
    if not any(catalog.files(table) for table in events):
        return set()
    key = quote_ident(rule.key)
    version = f"hash({', '.join(quote_ident(c) for c in rule.reads)})"

    def current(of: Catalog) -> str:
        files = of.files(rule.snapshot, {OPEN})
        if not files:
            return "select null as k, null as v where false"
        return f"select {key} as k, {version} as v from read_parquet({storage.sql_list(files)})"

    con = storage.open_warehouse(
        catalog.wh, catalog, tables_beneath((rule.events,), catalog.has_files), within=database
    )
    try:
        rows = con.execute(f"""
with
now as ({current(catalog)}),
before as ({current(Catalog.load(catalog.wh))}),
changed as (
    select now.k from now left join before on now.k = before.k
    where before.v is distinct from now.v
)
select distinct day from {rule.events}
where {quote_ident(rule.column)} in (select k from changed)
""").fetchall()
    finally:
        con.close()
    return {day for (day,) in rows}


def _is_dated(name: str) -> bool:
    model = models().get(name)
    return model is not None and model.is_dated


def _models_read(model: Model) -> set[str]:
    """The models kept in files that a model reads, directly or through staging views:
    those it waits for."""
    known = models()
    found: set[str] = set()
    for name in model.inputs:
        read = known.get(name)
        if read is not None:
            found |= _models_read(read) if read.is_view else {name}
    return found


def _changed(dirty: dict[str, set[str]], name: str) -> set[str]:
    """The partitions of a table rewritten this run; a staging view's are its inputs'."""
    model = models().get(name)
    if model is not None and model.is_view:
        return set().union(*(_changed(dirty, t) for t in model.inputs))
    return dirty.get(name, set())


def plan(
    model: Model,
    dirty: Dirty,
    catalog: Catalog,
    settings: Settings,
    database: DuckDBPyConnection | None = None,
) -> set[str] | None:
    """The partitions of a fact (or of staging kept in files) to rebuild (None: all)."""
    if dirty is None or catalog.models.get(model.name) != model.fingerprint(settings.timezone):
        return None
    touched: set[date] = set()
    for table in model.inputs:
        changed = _changed(dirty, table)
        if not changed:
            continue
        if table in model.follows:
            touched |= followed_days(catalog, model.follows[table], database)
        elif _raw_events(table) or _is_dated(table):
            touched |= {date.fromisoformat(d) for d in changed}
        else:
            return None  # entity state may change any day after the new version
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
    """Rebuild the versioned staging and fact partitions that `dirty` can change (all,
    when None).

    With a catalog (a run's), the new files join it for the run to commit; without one,
    the build commits on its own.
    """
    say = progress or (lambda _msg: None)
    own_catalog = catalog is None
    catalog = catalog or Catalog.load(wh)
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ-transform")
    dirty = None if dirty is None else {t: set(d) for t, d in dirty.items()}
    order = [model for model in models().values() if not model.is_view]
    waiting = list(order)
    waits_for = {model.name: _models_read(model) for model in order}
    size = _bytes_read(catalog, order)
    running: dict[Future[ModelResult | None], Model] = {}
    finished: set[str] = set()
    result = TransformResult()
    database = storage.connect()
    # Leaving the pool waits for the models still running, after a failure too: no model
    # writes files or catalog entries once this returns or raises. (The catalog needs no
    # lock: a model writes its own table's entries alone, and reads only those of models
    # finished before it started.)
    try:
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="transform") as pool:
            while waiting or running:
                # The largest ready model first (of equals, the first in order): the
                # large ones run side by side early, and each link of Coder's chain of
                # minutes, rollup and category minutes then shares the cores with small
                # models alone (beside a large one the rollup spilled to disk; on the large
                # day the transform took 7.7 to 8.1 s against 8.5 to 9.4 s in order).
                ready = max(
                    (m for m in waiting if waits_for[m.name] <= finished),
                    key=lambda m: size[m.name],
                    default=None,
                )
                if ready is not None and len(running) < WORKERS:
                    waiting.remove(ready)
                    inputs = None if dirty is None else dict(dirty)  # as its inputs left it
                    job = pool.submit(
                        _build_model, database, catalog, ready, run_id, inputs, settings, say
                    )
                    running[job] = ready
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for job in done:
                    model = running.pop(job)
                    built = job.result()  # a model's failure stops the build
                    finished.add(model.name)
                    if built is None:
                        continue
                    catalog.models[model.name] = model.fingerprint(settings.timezone)
                    result.models.append(built)
                    if dirty is not None:
                        # A whole rebuild names every partition it wrote or dropped: the
                        # models reading this one rebuild every partition those reach, the
                        # others nothing.
                        dirty[model.name] = {*built.keys, *built.dropped}
    finally:
        database.close()
    result.models.sort(key=lambda m: order.index(models()[m.name]))  # as if one by one
    if own_catalog:  # on its own, without the run lock to tell of a killed predecessor
        catalog.commit(run_id, sweep=True)
    return result


def _bytes_read(catalog: Catalog, order: list[Model]) -> dict[str, int]:
    """How many bytes of files each model reads, as the catalog stands (a model without
    files yet is read through to the tables beneath it)."""
    table_bytes: dict[str, int] = {}
    read: dict[str, int] = {}
    for model in order:
        tables = tables_beneath(model.inputs, catalog.has_files)
        for table in tables - table_bytes.keys():
            table_bytes[table] = sum(f.stat().st_size for f in catalog.files(table))
        read[model.name] = sum(table_bytes[t] for t in tables)
    return read


def _build_model(
    database: DuckDBPyConnection,
    catalog: Catalog,
    model: Model,
    run_id: str,
    dirty: Dirty,
    settings: Settings,
    say: Callable[[str], None],
) -> ModelResult | None:
    """Rebuild what `dirty` changes of one model kept in files (None: nothing)."""
    if model.versions_of is not None:
        return _build_versions(database, catalog, model, run_id, dirty, settings, say)
    targets = plan(model, dirty, catalog, settings, database)
    final = floor(catalog, model.name)  # the partitions before it are final
    if targets is not None and final is not None:
        targets = {t for t in targets if date.fromisoformat(t) >= final}
    if targets is not None and not targets:
        return None
    scope = "" if targets is None else f" ({len(targets)} partitions)"
    say(f"building {model.name}{scope}")
    return _build(database, catalog, model, run_id, targets, settings, final)


def write_partitions(
    con,
    catalog: Catalog,
    model: Model,
    run_id: str,
    scope: set[str] | None,
    targets: set[str] | None,
    fingerprint: str,
    final: date | None = None,
) -> ModelResult:
    """The rows of temp table model_rows into the partitions they fill (only the targets'
    when given), dropping the partitions of `scope` (None: all) left empty; the partitions
    before `final` are kept as they are. The days are stored as compaction.py says: a file
    that would hold a new day or lose one is written anew, from the new rows and the kept
    days of the files it replaces."""
    name, column = model.name, quote_ident(model.partition)
    produced = [
        str(d)
        for (d,) in con.execute(f"select distinct {column} from model_rows order by 1").fetchall()
    ]
    wanted = produced if targets is None else [d for d in produced if d in targets]
    replaced = set(catalog.partitions(name)) if scope is None else scope
    if final is not None:
        wanted = [d for d in wanted if d >= str(final)]
        replaced = {d for d in replaced if d >= str(final)}
    before = {key: catalog.file(name, key) for key in catalog.partitions(name)}
    for stale in replaced:  # unlisted first: no file of the old build counts as live beside the new
        catalog.drop(name, stale)
    kept = {key: before[key] for key in catalog.partitions(name)}
    holds: dict[Path, set[str]] = {}  # file -> the days it held
    for key, path in before.items():
        holds.setdefault(path, set()).add(key)
    for (first, last), days in _storage_units(model, sorted({*kept, *wanted})).items():
        fresh = [d for d in days if d in wanted]
        old = sorted({kept[d] for d in days if d not in fresh})
        if not fresh and len(old) == 1 and holds[old[0]] == set(days):
            continue  # stored as it should be
        sources = []  # the unit's rows: the new ones, and the kept days of its old files
        if fresh:
            sources.append(
                f"select * from model_rows where list_contains($fresh::date[], {column})"
            )
        if old:
            files = storage.partition_files_sql(old, model.partition, catalog.uniform(name))
            sources.append(f"select * from ({files}) where list_contains($kept::date[], {column})")
        unit_rows = " union all by name ".join(sources)
        order = " order by all" if model.sorted else ""
        if first == last:  # a day file: its day in the folder's name
            target = catalog.wh.new_file(name, run_id, (model.partition, first))
            query = f"select * exclude ({column}) from ({unit_rows}){order}"
        else:  # a packed file: the date column inside, last as a day file's view has it
            target = catalog.wh.new_packed_file(name, run_id, model.partition, (first, last))
            query = f"select * exclude ({column}), {column} from ({unit_rows}){order}"
        params = {"fresh": fresh, "kept": [d for d in days if d not in fresh]}
        storage.copy_to_parquet(con, query, target, {k: v for k, v in params.items() if v})
        for day in days:
            catalog.put(name, day, target, fingerprint)
    (rows,) = con.execute("select count(*) from model_rows").fetchall()[0]
    return ModelResult(name, rows, wanted, scope is None, sorted(replaced - set(wanted)))


def _storage_units(model: Model, days: list[str]) -> dict[tuple[str, str], list[str]]:
    """The days of a table grouped by the file that holds them (first, last day), as
    compaction.py packs them; a versioned staging model's current versions (9999-12-31)
    in a file of their own, its other days settled as a window of 0 days, in blocks (as a
    fact's with `-- pack: blocks`)."""
    dated = [d for d in days if d != OPEN]
    newest = date.fromisoformat(dated[-1]) if dated else None
    blocks = model.versions_of is not None or model.packs_blocks
    if model.versions_of is not None:
        window = 0  # a new version closes ranges on its own day
    elif model.window_days is None:
        window = 7  # `window: week`: its 7 days
    else:
        window = model.window_days
    units: dict[tuple[str, str], list[str]] = {}
    for day in days:
        if day == OPEN or newest is None:
            unit = (day, day)
        else:
            first, last = storage_unit(date.fromisoformat(day), newest, window, blocks)
            unit = (str(first), str(last))
        units.setdefault(unit, []).append(day)
    return units


def _build(
    database: DuckDBPyConnection,
    catalog: Catalog,
    model: Model,
    run_id: str,
    targets: set[str] | None,
    settings: Settings,
    final: date | None = None,
) -> ModelResult:
    """Run one dated model (a fact, staging kept in files) over its inputs (restricted
    when targets are given) and replace the target partitions (from `final` on): one new
    file per partition value; emptied partitions dropped."""
    partitions = {}
    if targets is not None:
        needed = _input_days(model, targets)
        partitions = {t: needed for t in set().union(*map(_raw_events, model.inputs))}
        partitions |= {t: needed for t in model.inputs if _is_dated(t)}
    con = storage.open_warehouse(
        catalog.wh,
        catalog,
        tables_beneath(model.inputs, catalog.has_files),
        partitions,
        within=database,
    )
    try:
        session_variables(con, settings)
        con.execute(f"create temp table model_rows as {model.sql}")
        fingerprint = model.fingerprint(settings.timezone)
        return write_partitions(con, catalog, model, run_id, targets, targets, fingerprint, final)
    finally:
        con.close()


def _build_versions(
    database: DuckDBPyConnection,
    catalog: Catalog,
    model: Model,
    run_id: str,
    dirty: Dirty,
    settings: Settings,
    say: Callable[[str], None],
) -> ModelResult | None:
    """Keep a versioned staging model: every version with its validity, rebuilt from the
    first day with a new version on (None when nothing is new)."""
    (raw,) = model.inputs  # one snapshot kind
    full = dirty is None or catalog.models.get(model.name) != model.fingerprint(settings.timezone)
    days = None if full else sorted(dirty.get(raw, set()))
    if days is not None and not days:
        return None
    kept_partitions = (
        None if days is None else {p for p in catalog.partitions(model.name) if p >= days[0]}
    )
    say(f"versioning {model.name}" + ("" if days is None else f" (from {days[0]})"))
    # The raw table: its rewritten days only (all of them for a whole build).
    con = storage.open_warehouse(
        catalog.wh, catalog, [raw], {raw: set(days)} if days else None, within=database
    )
    try:
        versions = f"select * from ({model.sql})"
        if days is not None:
            kept = catalog.files(model.name, kept_partitions)
            if kept:
                # The rows of the rewritten raw days come new from the raw table.
                files = storage.partition_files_sql(
                    kept, model.partition, catalog.uniform(model.name), kept_partitions
                )
                versions += (
                    " union all by name select * exclude (valid_to, valid_to_date) from "
                    f"({files}) where strftime(valid_from, '%Y-%m-%d') not in (select unnest($days))"
                )
        key = ", ".join(quote_ident(k) for k in model.versions_of)
        chain = f"over ({f'partition by {key} ' if key else ''}order by valid_from)"
        con.execute(
            f"create temp table model_rows as select *, lead(valid_from) {chain} as valid_to, "
            f"coalesce(lead(valid_from) {chain}::date, DATE '{OPEN}') as valid_to_date "
            f"from ({versions})",
            {"days": days} if days is not None and "$days" in versions else None,
        )
        fingerprint = model.fingerprint(settings.timezone)
        return write_partitions(con, catalog, model, run_id, kept_partitions, None, fingerprint)
    finally:
        con.close()
