"""Storage: where a warehouse's files live and how they are written, read and replaced.

paths     where everything lives (the only place paths are built)
sessions  DuckDB sessions, quoting, writing a query to Parquet
files     atomic replacement of files, folders and the report set
catalog   which file is live for each partition (one rename commits a run)
internal  the warehouse's own tables, declared once
views     the views every session reads through, and usage.duckdb

The names below are the ones the rest of the code uses: `storage.Warehouse`, ...
"""

from pipelines.storage.catalog import Catalog, has_run
from pipelines.storage.files import (
    clean_leftovers,
    keep_or_write,
    publish_reports_dir,
    remove_temporaries,
    remove_tree,
    report_sets,
    stale_report_sets,
    swap_reports,
    write_bytes_atomic,
)
from pipelines.storage.paths import (
    Warehouse,
    WarehouseBusy,
    catalog_file,
    dashboard_page,
    dashboard_script,
    erasure_temporary,
    landing_file,
    published_file,
    report_file,
    reports_manifest,
    temporary,
)
from pipelines.storage.sessions import (
    MEMORY_ENV,
    PARQUET,
    connect,
    copy_to_parquet,
    cursor,
    interrupt_all,
    quote_ident,
    sql_list,
    sql_literal,
)
from pipelines.storage.views import (
    attach_views,
    internal_view_sql,
    open_warehouse,
    partition_files_sql,
    rebuild_duckdb_file,
)

__all__ = [
    "MEMORY_ENV",
    "PARQUET",
    "Catalog",
    "Warehouse",
    "WarehouseBusy",
    "attach_views",
    "catalog_file",
    "clean_leftovers",
    "connect",
    "copy_to_parquet",
    "cursor",
    "dashboard_page",
    "dashboard_script",
    "erasure_temporary",
    "has_run",
    "internal_view_sql",
    "interrupt_all",
    "keep_or_write",
    "landing_file",
    "open_warehouse",
    "partition_files_sql",
    "publish_reports_dir",
    "published_file",
    "quote_ident",
    "rebuild_duckdb_file",
    "remove_temporaries",
    "remove_tree",
    "report_file",
    "report_sets",
    "reports_manifest",
    "sql_list",
    "sql_literal",
    "stale_report_sets",
    "swap_reports",
    "temporary",
    "write_bytes_atomic",
]
