"""SeaTable admin statistics endpoints."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from pipelines.endpoints.base import Context, Query, Response, rows

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _error(message: str) -> Response:
    return 400, {"error_msg": message}


def _parse_datetime(value: str) -> date | None:
    """The date of a strict `YYYY-MM-DD HH:MM:SS` value, or None."""
    if not DATETIME_SHAPE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, DATETIME_FORMAT).date()
    except ValueError:
        return None


def active_users(ctx: Context, query: Query) -> Response:
    """GET api/v2.1/admin/statistics/active-users/: distinct active users per local day."""
    start_raw = query.get("start") or ""
    end_raw = query.get("end") or ""
    if not start_raw:
        return _error("Start time can not be empty")
    if not end_raw:
        return _error("End time can not be empty")
    start = _parse_datetime(start_raw)
    if start is None:
        return _error(f"Start time {start_raw} invalid")
    end = _parse_datetime(end_raw)
    if end is None:
        return _error(f"End time {end_raw} invalid")
    counts = rows(ctx, "rpt_seatable_active_users", {"start": start, "end": end})
    return 200, {
        "active_users": [
            {
                # Local midnight of that day, with that day's own offset (DST-aware).
                "datetime": datetime.combine(r["activity_date"], time(), ctx.zone).isoformat(),
                "count": r["count_active_users"],
            }
            for r in counts
        ]
    }


ROUTES = {
    "api/v2.1/admin/statistics/active-users": active_users,
}
