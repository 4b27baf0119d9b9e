"""Coder insights (v2) endpoints: parameters checked as coderd checks them, numbers from
the 30-minute rollup (fct_coder_usage_30m) as Coder's insights queries compute them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson

from pipelines.endpoints.base import EARLIEST, Context, Query, Response, held, rows
from pipelines.endpoints.coder.builds import Builds
from pipelines.endpoints.coder.go import (
    ONE_INVALID,
    QueryParser,
    format_time,
    invalid_value,
    parse_time,
    refused,
)
from pipelines.endpoints.coder.rollup import Rollup, Window

# Their names among what a session holds (base.held).
ROLLUP = "coder_rollup"
BUILDS = "coder_builds"


def rollup(ctx: Context) -> Rollup:
    """Coder's 30-minute rollup as the session holds it."""
    return held(ctx, ROLLUP, Rollup.read)


def parse_start_end(start_raw: str, end_raw: str, now: datetime) -> tuple[datetime, datetime]:
    """Coder's checks, in its order: per parameter (start, then end) the format, not
    before 1970 (where Coder refuses Go's zero time), not in the future, the clock; then
    end after start."""
    parsed = {}
    for name, raw in (("start_time", start_raw), ("end_time", end_raw)):
        moment = parse_time(name, raw)
        if moment < EARLIEST:
            raise invalid_value(
                name, f'Query param "{name}" must not be before 1970-01-01T00:00:00Z'
            )
        local_now = now.astimezone(moment.tzinfo)
        limit = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if moment > limit:
            raise invalid_value(name, f'Query param "{name}" must not be in the future')
        whole_day = name == "start_time" or moment.date() != local_now.date()
        if whole_day and (moment.hour, moment.minute, moment.second) != (0, 0, 0):
            raise invalid_value(
                name, f'Query param "{name}" must have the clock set to 00:00:00, got {raw}'
            )
        if (moment.minute, moment.second) != (0, 0):
            raise invalid_value(
                name,
                f'Query param "{name}" must have the clock set to {moment.hour:02d}:00:00, got {raw}',
            )
        parsed[name] = moment
    if parsed["end_time"] < parsed["start_time"]:
        raise invalid_value("end_time", 'Query param "end_time" must be after than "start_time"')
    return parsed["start_time"], parsed["end_time"]


def _window(parser: QueryParser) -> tuple[str, str, list[str]]:
    """The parameters every insights report shares: start_time, end_time, template_ids."""
    start_raw = parser.string("start_time", required=True)
    end_raw = parser.string("end_time", required=True)
    template_ids = parser.uuids("template_ids")
    return start_raw, end_raw, template_ids


def _users_report(ctx: Context, query: Query, measure: str) -> Response:
    """The shared shape of user-activity and user-latency: checks, then one row per user
    with its templates, name and avatar, and the report's own measure (Window.users)."""
    parser = QueryParser(query)
    start_raw, end_raw, template_ids = _window(parser)
    parser.finish()
    start, end = parse_start_end(start_raw, end_raw, ctx.now)
    users = rollup(ctx).window(start, end, template_ids).users(ctx.now, measure)
    return 200, {
        "report": {
            "start_time": format_time(start),
            "end_time": format_time(end),
            "template_ids": sorted({t for u in users for t in u["template_ids"]}),
            "users": users,
        }
    }


def user_activity(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/user-activity: seconds of use per user."""
    return _users_report(ctx, query, "seconds")


def user_latency(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/user-latency: p50/p95 of the per-half-hour median latencies."""
    return _users_report(ctx, query, "latency_ms")


# The hour offsets of the world's time zones (Coder takes any integer and shifts its
# dates by it; an offset no zone has is refused here).
TZ_OFFSETS = (-12, 14)


def daus(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/daus: distinct users per UTC day over the last 60 days."""
    parser = QueryParser(query)
    offset = parser.integer("tz_offset", 0)
    parser.finish()
    if not TZ_OFFSETS[0] <= offset <= TZ_OFFSETS[1]:
        raise invalid_value(
            "tz_offset",
            f'Query param "tz_offset" must be between {TZ_OFFSETS[0]} and {TZ_OFFSETS[1]}, '
            f"got {offset}",
        )
    zone = timezone(timedelta(hours=offset))
    end = ctx.now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end.replace(hour=0) - timedelta(days=60)
    days = rollup(ctx).intervals(start, end, [], 1)
    return 200, {
        "entries": [
            {
                "date": d["start_time"].astimezone(zone).date().isoformat(),
                "amount": d["active_users"],
            }
            for d in days
        ],
        "tz_hour_offset": offset,
    }


BUILTINS = [  # display name, slug, icon, report column
    ("Visual Studio Code", "vscode", "/icon/code.svg", "vscode"),
    ("JetBrains", "jetbrains", "/icon/intellij.svg", "jetbrains"),
    ("Web Terminal", "reconnecting-pty", "/icon/terminal.svg", "reconnecting_pty"),
    ("SSH", "ssh", "/icon/terminal.svg", "ssh"),
    ("SFTP", "sftp", "/icon/terminal.svg", "sftp"),
]
SECTIONS = ("interval_reports", "report")


def templates(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/templates: the report and the per-interval active users."""
    parser = QueryParser(query)
    start_raw, end_raw, template_ids = _window(parser)
    interval = parser.string("interval")
    sections = parser.strings("sections", list(SECTIONS))
    parser.finish()
    start, end = parse_start_end(start_raw, end_raw, ctx.now)
    if interval not in ("", "day", "week"):
        raise invalid_value("interval", "must be one of [day week]")
    if interval == "week" and not _last_week_long_enough(start, end):
        raise refused(ONE_INVALID, detail="Last report interval should have at least 6 days.")
    if any(s not in SECTIONS for s in sections):
        raise invalid_value("sections", "must be one of [interval_reports report]")
    window = rollup(ctx).window(start, end, template_ids)
    body: dict = {}
    if "report" in sections:
        body["report"] = _template_report(ctx, window, start, end, template_ids)
    if "interval_reports" in sections and interval:
        intervals = rollup(ctx).intervals(start, end, template_ids, 1 if interval == "day" else 7)
        if intervals:
            body["interval_reports"] = [
                {
                    "start_time": format_time(i["start_time"], start),
                    "end_time": format_time(i["end_time"], start),
                    "template_ids": i["template_ids"],
                    "interval": interval,
                    "active_users": i["active_users"],
                }
                for i in intervals
            ]
    return 200, body


def _last_week_long_enough(start: datetime, end: datetime) -> bool:
    remainder = (end - start) % timedelta(days=7)
    return not remainder or remainder >= timedelta(days=6)


def _template_report(
    ctx: Context, window: Window, start: datetime, end: datetime, template_ids: list[str]
) -> dict:
    catalogue = rollup(ctx).catalogue(
        ctx.now, lambda: rows(ctx, "rpt_coder_app_catalogue", {"now": ctx.now})
    )
    apps = window.apps(catalogue)  # in the answer's order: by slug, name, icon (bytewise)
    apps_usage = [
        {
            "template_ids": window.templates(window.column(f"{column}_mins") > 0),
            "type": "builtin",
            "display_name": display,
            "slug": slug,
            "icon": icon,
            "seconds": window.seconds(column),
            "times_used": 0,
        }
        for display, slug, icon, column in BUILTINS
    ] + [
        {
            "template_ids": a["template_ids"],
            "type": "app",
            "display_name": a["display_name"],
            "slug": a["slug"],
            "icon": a["icon"],
            "seconds": a["seconds"],
            "times_used": a["times_used"],
        }
        for a in apps
    ]
    template_ids = sorted(set(window.templates()) | {t for a in apps for t in a["template_ids"]})
    parameter_rows = held(ctx, BUILDS, Builds.read).parameters(start, end, template_ids)
    return {
        "start_time": format_time(start),
        "end_time": format_time(end),
        "template_ids": template_ids,
        "active_users": window.active_users(),
        "apps_usage": apps_usage,
        "parameters_usage": _parameters_usage(parameter_rows),
    }


def _parameters_usage(parameter_rows: list[dict]) -> list[dict]:
    """Rows of (parameter, value, count) -> one entry per parameter with its values."""
    entries: dict[tuple, dict] = {}
    for r in parameter_rows:
        key = (r["name"], r["type"], r["display_name"], r["description"], r["options"])
        entry = entries.get(key)
        if entry is None:
            entry = {
                "template_ids": r["template_ids"],
                # As stored: Coder's API copies it ("" when unset); only Coder's web
                # page shows the name in its place.
                "display_name": r["display_name"],
                "name": r["name"],
                "type": r["type"],
                "description": r["description"],
            }
            options = orjson.loads(r["options"])
            if options:
                entry["options"] = [
                    {
                        "name": o.get("name", ""),
                        "description": o.get("description", ""),
                        "value": o.get("value", ""),
                        "icon": o.get("icon", ""),
                    }
                    for o in options
                ]
            entry["values"] = []
            entries[key] = entry
        entry["values"].append({"value": r["value"], "count": r["count"]})
    return list(entries.values())


ROUTES = {
    "api/v2/insights/daus": daus,
    "api/v2/insights/templates": templates,
    "api/v2/insights/user-activity": user_activity,
    "api/v2/insights/user-latency": user_latency,
}
