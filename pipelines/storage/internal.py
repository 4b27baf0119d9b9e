"""The warehouse's own tables (rejected lines, ingested files, runs, checks), each declared
once: the views read them and the writers write them from this declaration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from pipelines.storage.catalog import Catalog, schema_signature
from pipelines.storage.sessions import copy_to_parquet, quote_ident


@dataclass(frozen=True)
class Internal:
    name: str
    columns: dict[str, str]  # name -> DuckDB type, the partition column last
    partition: str | None = None  # a date column the files are partitioned by
    # One row per this column in the view: the row of the latest run (ingested_files).
    latest_per: str | None = None

    def view_sql(self, files_view: str) -> str:
        if self.latest_per is None:
            return files_view
        return (
            f"select * from ({files_view}) "
            f"qualify row_number() over (partition by {self.latest_per} order by run_id desc) = 1"
        )

    def write(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Catalog,
        rows_sql: str,
        run_id: str,
        partition: date | None = None,
        params: dict | None = None,
    ) -> None:
        """One run's rows (a query with this table's columns, but the partition column) into
        a new file of the run's catalog, typed as declared."""
        stored = [c for c in self.columns if c != self.partition]
        typed = ", ".join(
            f"{quote_ident(c)}::{self.columns[c]} as {quote_ident(c)}" for c in stored
        )
        target = catalog.wh.new_file(
            self.name, run_id, (self.partition, partition) if self.partition else None
        )
        copy_to_parquet(con, f"select {typed} from ({rows_sql})", target, params)
        key = f"{partition}/{run_id}" if self.partition else run_id
        catalog.put(self.name, key, target, schema_signature(self.columns))


REJECTS = Internal(
    "rejects",
    {
        "source": "VARCHAR",
        "kind": "VARCHAR",
        "file": "VARCHAR",
        "line": "BIGINT",
        "reason": "VARCHAR",
        "raw": "VARCHAR",
        "run_id": "VARCHAR",
        "day": "DATE",
    },
    partition="day",
)
INGESTED_FILES = Internal(
    "ingested_files",
    {
        "path": "VARCHAR",
        "size": "BIGINT",
        "mtime_ns": "BIGINT",
        "fingerprint": "VARCHAR",
        "status": "VARCHAR",
        "lines_read": "BIGINT",
        "run_id": "VARCHAR",
    },
    latest_per="path",
)
RUNS = Internal(
    "runs",
    {
        "run_id": "VARCHAR",
        "started_at": "TIMESTAMPTZ",
        "finished_at": "TIMESTAMPTZ",
        "as_of": "TIMESTAMPTZ",
        "status": "VARCHAR",
        "files": "BIGINT",
        "lines_read": "BIGINT",
        "accepted": "BIGINT",
        "rejected": "BIGINT",
        "duplicates": "BIGINT",
        "forgotten": "BIGINT",  # records of an erased person kept out (privacy/forgotten.py)
        "days_rebuilt": "BIGINT",
        "reports_written": "BIGINT",
        "seconds": "DOUBLE",
        "extract_seconds": "DOUBLE",
        "transform_seconds": "DOUBLE",
        "publish_seconds": "DOUBLE",
        "message": "VARCHAR",
    },
)
CHECKS = Internal(
    "checks",
    {
        "run_id": "VARCHAR",
        "check_name": "VARCHAR",
        "subject": "VARCHAR",
        "value": "DOUBLE",
        "threshold": "DOUBLE",
        "detail": "VARCHAR",
    },
)
DROPS = Internal(
    "drops",
    {
        "run_id": "VARCHAR",
        "reason": "VARCHAR",  # retention, or erasure (usage-warehouse forget)
        "layer": "VARCHAR",  # raw, records, facts, reports
        "subject": "VARCHAR",  # a table, a source's raw files, the report sets
        "first_day": "DATE",
        "last_day": "DATE",
        "count_files": "BIGINT",
        "count_rows": "BIGINT",
        "count_bytes": "BIGINT",
    },
)
INTERNAL = (REJECTS, INGESTED_FILES, RUNS, CHECKS, DROPS)
