"""SeaTable admin statistics endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import duckdb

from pipelines.endpoints.base import (
    Context,
    Query,
    Refused,
    Response,
    held,
    in_range,
    query_rows,
    report_sql,
    rows,
)

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _refused(message: str) -> Refused:
    """SeaTable's error body."""
    return Refused(400, {"error_msg": message})


def _parse_datetime(value: str) -> date | None:
    """The date of a strict `YYYY-MM-DD HH:MM:SS` value (of the years a request may name),
    or None."""
    if not DATETIME_SHAPE.fullmatch(value):
        return None
    try:
        day = datetime.strptime(value, DATETIME_FORMAT).date()
    except ValueError:
        return None
    return day if in_range(day) else None


def active_users(ctx: Context, query: Query) -> Response:
    """GET api/v2.1/admin/statistics/active-users/: distinct active users per local day."""
    start_raw = query.get("start") or ""
    end_raw = query.get("end") or ""
    if not start_raw:
        raise _refused("Start time can not be empty")
    if not end_raw:
        raise _refused("End time can not be empty")
    start = _parse_datetime(start_raw)
    if start is None:
        raise _refused(f"Start time {start_raw} invalid")
    end = _parse_datetime(end_raw)
    if end is None:
        raise _refused(f"End time {end_raw} invalid")
    counts = held(ctx, ACTIVE_USERS, read_active_users)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return 200, {
        "active_users": [
            {
                # Local midnight of that day, with that day's own offset (DST-aware).
                "datetime": datetime.combine(day, time(), ctx.zone).isoformat(),
                "count": counts.get(day, 0),
            }
            for day in days
        ]
    }


ACTIVE_USERS = "seatable_active_users"  # its name among what a session holds (base.held)


def read_active_users(con: duckdb.DuckDBPyConnection) -> dict[date, int]:
    """The distinct active users of every local day with any."""
    found = con.execute(report_sql("rpt_seatable_active_users_held")).fetchall()
    return dict(found)


BOOLEANS = {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}
ORDER_COLUMNS = ("total_run_time", "total_run_count")


def _month(value: str | None, ctx: Context) -> tuple[date, date] | None:
    """[first day, first day of the next month) of a YYYYMM month; None when invalid."""
    if value is None:
        local = ctx.now.astimezone(ctx.zone)
        value = f"{local.year:04d}{local.month:02d}"
    if not re.fullmatch(r"[0-9]{6}", value) or not 1 <= int(value[4:]) <= 12:
        return None
    year, month = int(value[:4]), int(value[4:])
    first = date(year, month, 1)
    if not in_range(first):
        return None
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following


# A page's rows are SQL's LIMIT and OFFSET, 64-bit integers where SeaTable reads them:
# larger values are refused (SeaTable's database would fail on them).
PAGING_LIMIT = 2**63 - 1


def _paging(query: Query) -> tuple[int, int]:
    """page and per_page; when either is not an integer, both fall back to the defaults."""
    try:
        return int(query.get("page", "1")), int(query.get("per_page", "25"))
    except ValueError:  # Python also refuses integers of 4,300 digits and more
        return 1, 25


def scripts_running(ctx: Context, query: Query) -> Response:
    """GET api/v2.1/admin/statistics/scripts-running/: script runs per owner or org in a month."""
    month = _month(query.get("month"), ctx)
    if month is None:
        raise _refused("month invalid.")
    is_user = BOOLEANS.get((query.get("is_user") or "true").lower())
    if is_user is None:
        raise _refused("is_user invalid.")
    page, per_page = _paging(query)
    if not 1 <= page <= PAGING_LIMIT:
        raise _refused("page invalid.")
    if not 0 <= per_page <= PAGING_LIMIT:
        raise _refused("per_page invalid.")
    order_by = query.get("order_by") or ""
    descending = order_by.startswith("-")
    if order_by and order_by.removeprefix("-") not in ORDER_COLUMNS:
        raise _refused("order_by invalid.")
    settled = held(ctx, SCRIPT_RUNS, SettledScriptRuns.read)
    if ctx.now >= settled.settled_at:
        groups = settled.groups.get((month[0], is_user, order_by), [])
    else:
        groups = rows(
            ctx,
            "rpt_seatable_scripts_running",
            {
                "month_start": month[0],
                "month_end": month[1],
                "is_user": is_user,
                "now": ctx.now,
                "order_column": order_by.removeprefix("-"),
                "descending": descending,
            },
        )
    page_rows = groups[(page - 1) * per_page : page * per_page]
    return 200, {
        "results": [_script_row(r, is_user) for r in page_rows],
        "count": len(groups),
    }


SCRIPT_RUNS = "seatable_script_runs"  # its name among what a session holds (base.held)
ORDERS = ["", *ORDER_COLUMNS, *(f"-{column}" for column in ORDER_COLUMNS)]  # order_by values


@dataclass(frozen=True)
class SettledScriptRuns:
    """Every month's groups in each order (rpt_seatable_scripts_running_held), named as of
    the instant from which the names no longer change (the usual case: a run's versions
    end before the instants it is asked as of), held per session: a request as of a
    later instant pages them, no query; as of an earlier one, the report runs."""

    settled_at: datetime
    # (first day of the month, is_user, order_by) -> the month's groups in that order
    groups: dict[tuple[date, bool, str], list[dict]]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> SettledScriptRuns:
        ((settled_at,),) = con.execute(report_sql("rpt_seatable_names_settled_held")).fetchall()
        found = query_rows(con, "rpt_seatable_scripts_running_held", {"now": settled_at})
        groups: dict[tuple[date, bool, str], list[dict]] = {}
        for order in ORDERS:
            for row in sorted(found, key=lambda row: row[f"rank_{order}"]):
                groups.setdefault((row["month_start"], row["is_user"], order), []).append(row)
        return cls(settled_at, groups)


def display_name(username: str, nickname: str | None) -> str:
    """SeaTable's email2nickname: the nickname stripped of surrounding whitespace; when
    that is empty or missing, the part of the username before '@'."""
    return (nickname or "").strip() or username.split("@")[0]


def _script_row(row: dict, is_user: bool) -> dict:
    # Summation order may leave float noise in the last digits: six decimals are exact enough.
    run_time = round(float(row["total_run_time"]), 6)
    if is_user:
        return {
            "total_run_count": row["total_run_count"],
            "total_run_time": run_time,
            "username": row["username"],
            "name": display_name(row["username"], row["nickname"]),
        }
    return {
        "org_id": row["org_id"],
        "total_run_count": row["total_run_count"],
        "total_run_time": run_time,
        # An org without a name in the snapshots shows its id (an integer, as SeaTable does).
        "org_name": row["org_name"] if row["org_name"] is not None else row["org_id"],
    }


ROUTES = {
    "api/v2.1/admin/statistics/active-users": active_users,
    "api/v2.1/admin/statistics/scripts-running": scripts_running,
}
