"""Run the fact models of sql/facts in dependency order into day-partitioned Parquet.

Each model is one select. The runner materialises it once, writes one Parquet file per
value of the model's partition column (declared in its header), drops partitions that
no longer have rows, and points the model's view at the new files before the next model
runs. Polars is not needed here: every step is one SQL statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines import storage
from pipelines.config import Settings
from pipelines.storage import Catalog, Warehouse, quote_ident


@dataclass
class ModelResult:
    name: str
    rows: int
    partitions: int


@dataclass
class TransformResult:
    models: list[ModelResult] = field(default_factory=list)

    @property
    def partitions_written(self) -> int:
        return sum(m.partitions for m in self.models)


def session_variables(con, settings: Settings) -> None:
    """Variables the models may read with getvariable(): the reporting time zone."""
    con.execute("set variable timezone = $tz", {"tz": settings.timezone})


def build_facts(
    wh: Warehouse,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
    catalog: Catalog | None = None,
    run_id: str | None = None,
) -> TransformResult:
    """Rebuild every fact table from the landed records.

    With a catalog (a run's), the new files join it for the run to commit; without one,
    the build commits on its own.
    """
    say = progress or (lambda _msg: None)
    own_catalog = catalog is None
    catalog = catalog or Catalog.load(wh)
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ-transform")
    result = TransformResult()
    con = storage.open_warehouse(wh, catalog)
    try:
        session_variables(con, settings)
        for model in storage.ordered_facts():
            say(f"building {model.stem}")
            result.models.append(_build_model(con, catalog, model, run_id))
            # Later models read this fact from its new files.
            storage.attach_fact_view(con, catalog, model)
    finally:
        con.close()
    if own_catalog:
        catalog.commit(run_id)
    return result


def _build_model(con, catalog: Catalog, model: Path, run_id: str) -> ModelResult:
    """Materialise one model once; one new file per partition value; drop emptied ones."""
    name, sql = model.stem, model.read_text()
    column = storage.fact_partition_column(sql)
    con.execute(f"create or replace temp table model_rows as {sql}")
    days = [
        d
        for (d,) in con.execute(
            f"select distinct {quote_ident(column)} from model_rows order by 1"
        ).fetchall()
    ]
    for day in days:
        target = catalog.wh.new_file(name, run_id, (column, day))
        storage.copy_to_parquet(
            con,
            f"select * exclude ({quote_ident(column)}) from model_rows "
            f"where {quote_ident(column)} = $day order by all",
            target,
            {"day": day},
        )
        catalog.put(name, str(day), target)
    for stale in set(catalog.partitions(name)) - {str(d) for d in days}:
        catalog.drop(name, stale)
    (rows,) = con.execute("select count(*) from model_rows").fetchone()
    con.execute("drop table model_rows")
    return ModelResult(name, rows, len(days))
