"""Run the fact models of sql/facts in dependency order into day-partitioned Parquet.

Each model is one select. The runner materialises it once, writes one Parquet file per
value of the model's partition column (declared in its header), drops partitions that
no longer have rows, and points the model's view at the new files before the next model
runs. Polars is not needed here: every step is one SQL statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines import storage
from pipelines.config import Settings
from pipelines.storage import Warehouse, quote_ident


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
    wh: Warehouse, settings: Settings, progress: Callable[[str], None] | None = None
) -> TransformResult:
    """Rebuild every fact table from the landed records."""
    say = progress or (lambda _msg: None)
    result = TransformResult()
    con = storage.open_warehouse(wh)
    try:
        session_variables(con, settings)
        for model in storage.ordered_facts():
            name = model.stem
            say(f"building {name}")
            sql = model.read_text()
            column = storage.fact_partition_column(sql)
            con.execute(f"create or replace temp table model_rows as {sql}")
            days = [
                d
                for (d,) in con.execute(
                    f"select distinct {quote_ident(column)} from model_rows order by 1"
                ).fetchall()
            ]
            for day in days:
                storage.copy_to_parquet(
                    con,
                    f"select * exclude ({quote_ident(column)}) from model_rows "
                    f"where {quote_ident(column)} = $day order by all",
                    wh.partition_file(name, day, column),
                    {"day": day},
                )
            kept = {str(d) for d in days}
            for stale in set(wh.partition_days(name)) - kept:
                wh.drop_partition(name, stale, column)
            (rows,) = con.execute("select count(*) from model_rows").fetchone()
            result.models.append(ModelResult(name, rows, len(days)))
            con.execute("drop table model_rows")
            # Later models read this fact from its new files.
            storage.attach_views(con, wh)
    finally:
        con.close()
    return result
