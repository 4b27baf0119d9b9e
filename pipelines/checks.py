"""Data-quality checks after each run, with thresholds from flows.yaml `checks:`.

Each check is one SQL file in sql/checks returning the rows that fail it (check_name,
subject, value, threshold, detail); event-time checks are generated per record kind
from records.py. Failures are warnings: they are reported, stored and never block a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from pipelines import records, storage
from pipelines.config import Checks
from pipelines.sqlcatalog import reads, sql_file, tables_beneath
from pipelines.storage import Catalog

FACT_CHECKS = (  # check -> the fact whose rebuilt partitions it checks
    ("chk_active_users_nested", "fct_active_users_daily"),
    ("chk_coder_rollup_agreement", "fct_coder_usage_30m"),
)
RUN_CHECKS = ("chk_reject_rate", "chk_source_silence")
VOLUME_WEEKS = 4  # day_volume compares a day with the same weekday of the weeks before


@dataclass(frozen=True)
class Warning:
    check_name: str
    subject: str
    value: float
    threshold: float
    detail: str


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[Warning]:
    cursor = con.execute(sql, params)
    return [Warning(*row) for row in cursor.fetchall()]


def _events(touched: dict[str, set[str]]) -> list[records.RecordKind]:
    return [
        k for k in records.KINDS if k.sort == "event" and k.partitioned and touched.get(k.table)
    ]


def future_timestamps(con, touched, now: datetime, limits: Checks) -> list[Warning]:
    """Records of this run's days whose event time lies ahead of `now` (plus tolerance)."""
    found: list[Warning] = []
    cutoff = now + timedelta(minutes=limits.future_tolerance_minutes)
    for kind in _events(touched):
        (count,) = con.execute(
            f"select count(*) from {kind.table} where list_contains($days::date[], day) "
            f"and {kind.time_sql} > $cutoff",
            {"days": sorted(touched[kind.table]), "cutoff": cutoff},
        ).fetchall()[0]
        if count:
            found.append(
                Warning(
                    "future_timestamps",
                    kind.table,
                    count,
                    0,
                    f"{count} records after {cutoff:%Y-%m-%dT%H:%MZ}",
                )
            )
    return found


def day_volume(con, touched, limits: Checks) -> list[Warning]:
    """A rebuilt day whose record count is far outside the median of the same weekday in
    the four weeks before it (same weekday: weekends are quiet by nature).

    Polars, not SQL: a per-(table, weekday) rolling median over a date window reads as
    one expression here; the records per day come from fct_record_days.
    """
    kinds = _events(touched)
    if not kinds:
        return []
    # Only the weeks before the earliest rebuilt day matter: cost follows new data.
    since = min(date.fromisoformat(d) for k in kinds for d in touched[k.table]) - timedelta(
        weeks=VOLUME_WEEKS
    )
    counts = con.sql(
        "select table_name, record_date as day, count_records from fct_record_days "
        "where record_date >= $since and list_contains($tables, table_name)",
        params={"since": since, "tables": [k.table for k in kinds]},
    ).pl()
    compared = counts.sort("day").with_columns(
        median_before=pl.col("count_records")
        .rolling_median_by("day", window_size=f"{VOLUME_WEEKS * 7}d", closed="left")
        .over("table_name", pl.col("day").dt.weekday())
    )
    outliers = compared.filter(
        (pl.col("count_records") > pl.col("median_before") * limits.volume_ratio)
        | (pl.col("count_records") * limits.volume_ratio < pl.col("median_before"))
    ).sort("table_name", "day")
    return [
        Warning(
            "day_volume",
            f"{row['table_name']} {row['day']}",
            row["count_records"],
            limits.volume_ratio,
            f"{row['count_records']} records against a median of {row['median_before']:g} "
            "on the same weekday before",
        )
        for row in outliers.iter_rows(named=True)
        if str(row["day"]) in touched[row["table_name"]]
    ]


def landed_nothing(sources: list[str]) -> list[Warning]:
    """The sources that landed no new record this run though earlier runs landed theirs:
    an empty export or a source gone silent. The run still succeeds, and says so."""
    return [
        Warning(
            "source_landed_nothing",
            source,
            0,
            0,
            f"this run landed no new {source} record; earlier runs did "
            "(an empty export, a collect that found nothing, a source gone silent?)",
        )
        for source in sources
    ]


def open_session(catalog: Catalog, touched: dict[str, set[str]]) -> duckdb.DuckDBPyConnection:
    """A session with just what the checks read: their SQL's tables, the day counts, and
    the touched days of each touched event table."""
    sql = [
        sql_file("checks", name).read_text() for name in (*RUN_CHECKS, *(c for c, _ in FACT_CHECKS))
    ]
    read = {t for text in sql for t in reads(text)} | {"fct_record_days"}
    tables = tables_beneath(read, catalog.has_files)
    partitions = {kind.table: touched[kind.table] for kind in _events(touched)}
    return storage.open_warehouse(catalog.wh, catalog, tables | set(partitions), partitions)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    touched: dict[str, set[str]],
    rebuilt: Callable[[str], set[str]],
    now: datetime,
    limits: Checks,
) -> list[Warning]:
    """Every check for one run, over the run's (uncommitted) warehouse session.

    touched: raw table -> UTC days this run rewrote; rebuilt: fact model -> the partitions
    this run rebuilt.
    """
    params = {"run_id": run_id, "max_reject_rate": limits.max_reject_rate}
    found = _rows(con, sql_file("checks", "chk_reject_rate").read_text(), params)
    silence = {"run_id": run_id, "now": now, "max_hours": limits.max_source_silence_hours}
    found += _rows(con, sql_file("checks", "chk_source_silence").read_text(), silence)
    found += future_timestamps(con, touched, now, limits)
    found += day_volume(con, touched, limits)
    # Fact checks over the partitions this run rebuilt.
    for check, fact in FACT_CHECKS:
        if days := rebuilt(fact):
            found += _rows(con, sql_file("checks", check).read_text(), {"days": sorted(days)})
    return found
