"""OpenL2M statistics endpoint."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from pipelines.endpoints.base import Context, Query, Response, rows

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


def stats(ctx: Context, query: Query) -> Response:
    """GET api/stats/: inventory and usage counts as of now (no parameters)."""
    (numbers,) = rows(
        ctx,
        "rpt_openl2m_stats",
        {
            "now": ctx.now,
            "retention_start": ctx.now - timedelta(days=ctx.settings.log_max_age_days),
            "hour_start": ctx.now - timedelta(hours=1),
            "today_start": _local_midnight(ctx, 0),
            "week_start": _local_midnight(ctx, 7),
            "month_start": _local_midnight(ctx, 31),
        },
    )
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


ROUTES = {"api/stats": stats}
