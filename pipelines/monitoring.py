"""What `usage-warehouse status` shows: recent runs, freshness per source, open warnings."""

from __future__ import annotations

import duckdb

from pipelines import records


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def freshness_sql() -> str:
    """Latest event time per source, over every event kind of records.py."""
    parts = [
        f"select '{k.source}' as source, max({k.time_sql}) as latest_event_at, "
        f"count(*) as count_records from {k.table}"
        for k in records.KINDS
        if k.sort == "event"
    ]
    return (
        "select source, strftime(max(latest_event_at), '%Y-%m-%d %H:%M UTC') as latest_event, "
        "format('{:,}', sum(count_records)) as records "
        f"from ({' union all '.join(parts)}) group by all order by source"
    )


def status(con: duckdb.DuckDBPyConnection, limit: int) -> dict[str, list[dict]]:
    runs = _dicts(
        con.execute(
            # the start minute stands for the run id (which begins with it): 80 columns
            "select strftime(started_at, '%Y-%m-%d %H:%M') as started, status, "
            "format('{:,}', lines_read) as read, format('{:,}', accepted) as accepted, "
            "rejected, duplicates as dup, round(seconds, 1) as seconds "
            "from runs order by run_id desc limit $limit",
            {"limit": limit},
        )
    )
    warnings = _dicts(
        con.execute(
            "select check_name, subject, detail from checks "
            "where run_id = (select max(run_id) from runs where status = 'ok') order by all"
        )
    )
    drops = _dicts(
        con.execute(
            # per run and layer: what the retention (or an erasure) removed, the newest first
            "select strptime(left(run_id, 15), '%Y%m%dT%H%M%S')::date as run, reason, layer, "
            "coalesce(max(last_day)::varchar, '') as through, "
            "format('{:,}', sum(count_files)) as files, format('{:,}', sum(count_rows)) as rows "
            "from drops group by run_id, reason, layer "
            "order by run_id desc, layer limit $limit",
            {"limit": limit},
        )
    )
    return {
        "recent runs": runs,
        "data freshness": _dicts(con.execute(freshness_sql())),
        "open warnings (latest successful run)": warnings,
        "dropped by retention and erasures": drops,
    }
