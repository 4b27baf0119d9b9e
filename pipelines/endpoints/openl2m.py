"""OpenL2M statistics endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import duckdb
import numpy as np

from pipelines.endpoints.base import Context, Query, Response, held, query_rows, report_sql, rows

DATABASE = [
    ("switches", "Switches"),
    ("switchgroups", "Switch Groups"),
    ("vlans", "Vlans"),
    ("vlan_groups", "Vlan Groups"),
    ("snmp_profiles", "SNMP Profiles"),
    ("credentials_profiles", "Credentials Profiles"),
    ("commands", "Commands"),
    ("command_lists", "Command Lists"),
    ("api_tokens", "API Tokens"),
    ("log_entries", "Log Entries"),
]

USAGE = [
    ("devices_last_hour", "Devices in last hour"),
    ("devices_today", "Devices today"),
    ("devices_last_7_days", "Devices last 7 days"),
    ("devices_last_31_days", "Devices Last 31 Days"),
    ("changes_last_hour", "Changes in last hour"),
    ("changes_today", "Changes today"),
    ("changes_last_7_days", "Changes last 7 days"),
    ("changes_last_31_days", "Changes last 31 days"),
    ("changes_total", "Total Changes"),
    ("users_last_hour", "Users in last hour"),
    ("users_today", "Users today"),
    ("users_last_7_days", "Users last 7 days"),
    ("users_last_31_days", "Users last 31 days"),
    ("api_calls_today", "API calls today"),
    ("api_calls_last_7_days", "API calls last 7 days"),
    ("api_calls_last_31_days", "API calls last 31 days"),
    ("commands_today", "Commands today"),
    ("commands_last_7_days", "Commands last 7 days"),
    ("commands_last_31_days", "Commands last 31 days"),
    ("commands_total", "Total Commands"),
]


def _local_midnight(ctx: Context, days_before: int) -> datetime:
    """Local midnight `days_before` days before the local date of now (DST-aware)."""
    today = ctx.now.astimezone(ctx.zone).date()
    return datetime.combine(today - timedelta(days=days_before), time(), ctx.zone)


def windows(ctx: Context) -> dict[str, datetime]:
    """The instants rpt_openl2m_stats is asked as of: now, and the windows' starts."""
    return {
        "now": ctx.now,
        "retention_start": ctx.now - timedelta(days=ctx.settings.log_max_age_days),
        "hour_start": ctx.now - timedelta(hours=1),
        "today_start": _local_midnight(ctx, 0),
        "week_start": _local_midnight(ctx, 7),
        "month_start": _local_midnight(ctx, 31),
    }


def stats(ctx: Context, query: Query) -> Response:
    """GET api/stats/: inventory and usage counts as of now (no parameters)."""
    settled = held(ctx, SETTLED, SettledLog.read)
    if ctx.now >= settled.settled_at:
        numbers = settled.numbers(**windows(ctx))
    else:
        (numbers,) = rows(ctx, "rpt_openl2m_stats", windows(ctx))
    # Totals come from the latest counters; without one, from the whole log.
    numbers["changes_total"] = numbers["changes_counter"]
    if numbers["changes_total"] is None:
        numbers["changes_total"] = numbers["count_changes_ever"]
    numbers["commands_total"] = numbers["commands_counter"]
    if numbers["commands_total"] is None:
        numbers["commands_total"] = numbers["count_commands_ever"]
    return 200, {
        "database": {key: {"label": label, "value": int(numbers[key])} for key, label in DATABASE},
        "usage": {key: {"label": label, "value": int(numbers[key])} for key, label in USAGE},
    }


SETTLED = "openl2m_settled_log"  # its name among what a session holds (base.held)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY = 86_400_000_000  # microseconds
INVENTORY = [key for key, _ in DATABASE if key != "log_entries"]
NONE = np.empty(0, dtype=np.int64)


def _us(moment: datetime) -> int:
    """Microseconds since the epoch."""
    return (moment - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class SettledLog:
    """What api/stats needs once every log record lies before the request's instant (the
    usual case: a run's records end before the instants it is asked as of), held per
    session: each measure's instants in order (rpt_openl2m_instants_held), the daily
    fact's totals before each of its days (rpt_openl2m_log_days_held), and the inventory
    and counters, which no longer change. A window's number is then two binary searches,
    not a query; the report's reading of whole days from the facts and edge days from the
    records gives the same numbers, the facts being those records' sums."""

    settled_at: datetime  # rpt_openl2m_stats_settled_held
    fixed: dict  # the inventory's and counters' columns of rpt_openl2m_stats as of it
    instants: dict[str, np.ndarray]
    days: np.ndarray  # the daily fact's UTC days (days since the epoch), in order
    before: dict[str, np.ndarray]  # per total, its sum over the days before each day

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> SettledLog:
        ((settled_at,),) = con.execute(report_sql("rpt_openl2m_stats_settled_held")).fetchall()
        # Every window at the settled instant: only the inventory and counters are kept.
        (row,) = query_rows(con, "rpt_openl2m_stats", dict.fromkeys(WINDOWS, settled_at))
        # Through Arrow: a million instants are not a million Python integers.
        measures = con.sql(report_sql("rpt_openl2m_instants_held")).to_arrow_table()
        instants = {
            measure.as_py(): values.values.to_numpy().astype(np.int64)
            for measure, values in zip(*measures.combine_chunks().columns, strict=True)
        }
        days = con.execute(report_sql("rpt_openl2m_log_days_held")).fetchnumpy()
        return cls(
            settled_at,
            {key: row[key] for key in [*INVENTORY, "changes_counter", "commands_counter"]},
            instants,
            (days["log_date"].astype("datetime64[D]").astype(np.int64)),
            {
                total: np.concatenate([[0], np.cumsum(days[total], dtype=np.int64)])
                for total in ("count_records", "count_changes", "count_commands")
            },
        )

    def _count(self, measure: str, start: int, end: int, from_start: bool = True) -> int:
        """How many of a measure's instants lie in [start, end) ((start, end) when not
        from_start)."""
        times = self.instants.get(measure, NONE)
        first = np.searchsorted(times, start, "left" if from_start else "right")
        return int(np.searchsorted(times, end, "left") - first)

    def _since(self, measure: str, start: datetime) -> int:
        return self._count(measure, _us(start), 2**63 - 1)

    def _whole_days(self, total: str, after: int, until: int) -> int:
        """A total over the fact's days after `after` and before `until`."""
        sums = self.before[total]
        first = np.searchsorted(self.days, after, "right")
        last = np.searchsorted(self.days, until, "left")
        return int(max(sums[last] - sums[first], 0))

    def numbers(
        self,
        now: datetime,
        retention_start: datetime,
        hour_start: datetime,
        today_start: datetime,
        week_start: datetime,
        month_start: datetime,
    ) -> dict:
        """rpt_openl2m_stats' row as of `now`, not before the settled instant; as there,
        whole UTC days before the day of now from the fact, that day from its records."""
        today, retained = _us(now) // DAY, _us(retention_start)
        retention_day = retained // DAY
        day = (today * DAY, (today + 1) * DAY)  # the day of now: every record is before now
        log_entries = (
            self._whole_days("count_records", retention_day, today)
            + (self._count("record", *day) if today > retention_day else 0)
            + self._count("record", retained, (retention_day + 1) * DAY, from_start=False)
        )
        windows = {"last_hour": hour_start, "today": today_start}
        windows |= {"last_7_days": week_start, "last_31_days": month_start}
        usage = {
            f"devices_{name}": self._since(
                "device_viewed_or_changed" if name in ("last_hour", "today") else "device_seen",
                start,
            )
            for name, start in windows.items()
        }
        usage |= {f"changes_{name}": self._since("change", s) for name, s in windows.items()}
        usage |= {f"users_{name}": self._since("user_seen", s) for name, s in windows.items()}
        for measure in ("api_call", "command"):
            usage |= {
                f"{measure}s_{name}": self._since(measure, start)
                for name, start in windows.items()
                if name != "last_hour"
            }
        return {
            **self.fixed,
            "log_entries": log_entries,
            **usage,
            "count_changes_ever": self._whole_days("count_changes", -(2**62), today)
            + self._count("change", *day),
            "count_commands_ever": self._whole_days("count_commands", -(2**62), today)
            + self._count("command", *day),
        }


WINDOWS = ["now", "retention_start", "hour_start", "today_start", "week_start", "month_start"]

ROUTES = {"api/stats": stats}
