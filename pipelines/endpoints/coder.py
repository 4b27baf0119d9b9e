"""Coder insights (v2) endpoints: parameters checked as coderd checks them, numbers from
the 30-minute rollup (fct_coder_usage_30m) as Coder's insights queries compute them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import orjson

from pipelines.endpoints.base import Context, Query, Response, rows

TIME_LAYOUT = "2006-01-02T15:04:05Z07:00"
MANY_INVALID = "Query parameters have invalid values."
ONE_INVALID = "Query parameter has invalid value."
RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")
HEX = re.compile(r"[0-9a-fA-F]{32}")


class Invalid(Exception):
    """A request error: carries the product's status and body."""

    def __init__(self, body: dict, status: int = 400):
        super().__init__(body)
        self.response: Response = (status, body)


def _validation(field_name: str, detail: str) -> dict:
    return {"field": field_name, "detail": detail}


def _one_invalid(field_name: str, detail: str) -> Invalid:
    return Invalid({"message": ONE_INVALID, "validations": [_validation(field_name, detail)]})


@dataclass
class Parser:
    """Coder's query-parameter parser: every problem is collected, then reported at once."""

    query: Query
    parsed: set[str] = field(default_factory=set)
    errors: list[dict] = field(default_factory=list)

    def string(self, name: str, required: bool = False) -> str:
        self.parsed.add(name)
        value = self.query.get(name) or ""
        if required and not value:
            self.errors.append(
                _validation(name, f'Query param "{name}" is required and cannot be empty')
            )
        return value

    def strings(self, name: str, default: list[str]) -> list[str]:
        value = self.string(name)
        return [part.strip() for part in value.split(",")] if value else default

    def uuids(self, name: str) -> list[str]:
        parsed, problems = [], []
        for part in self.strings(name, []):
            try:
                parsed.append(parse_uuid(part))
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            self.errors.append(
                _validation(
                    name, f'Query param "{name}" has invalid values: ' + "\n".join(problems)
                )
            )
        return sorted(set(parsed))

    def integer(self, name: str, default: int) -> int:
        value = self.string(name)
        if not value:
            return default
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
        self.errors.append(
            _validation(
                name,
                f'Query param "{name}" must be a valid integer: '
                f'strconv.Atoi: parsing "{value}": invalid syntax',
            )
        )
        return default

    def finish(self) -> None:
        """Unknown parameters are errors too; raise everything collected."""
        for name in dict.fromkeys(self.query.names()):
            if name not in self.parsed:
                self.errors.append(_validation(name, f'"{name}" is not a valid query param'))
        if self.errors:
            raise Invalid({"message": MANY_INVALID, "validations": self.errors})


def parse_uuid(text: str) -> str:
    """A UUID as Go's google/uuid accepts it (with its error texts), in canonical form."""
    value = text
    if len(value) == 45:
        if value[:9].lower() != "urn:uuid:":
            raise ValueError(f'invalid urn prefix: "{value[:9]}"')
        value = value[9:]
    elif len(value) == 38:
        value = value[1:-1]
    elif len(value) == 32:
        if not HEX.fullmatch(value):
            raise ValueError("invalid UUID format")
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
    elif len(value) != 36:
        raise ValueError(f"invalid UUID length: {len(text)}")
    if [value[8], value[13], value[18], value[23]] != ["-"] * 4 or not HEX.fullmatch(
        value.replace("-", "")
    ):
        raise ValueError("invalid UUID format")
    return value.lower()


def _go_parse_error(value: str) -> str:
    """The text of Go's time.Parse error for a value that is not RFC 3339 (best effort)."""
    layout_parts = ["2006", "-", "01", "-", "02", "T", "15", ":", "04", ":", "05", "Z07:00"]
    patterns = [r"\d{4}", "-", r"\d{2}", "-", r"\d{2}", "T", r"\d{2}", ":", r"\d{2}", ":", r"\d{2}"]
    rest = value
    for part, pattern in zip(layout_parts, patterns, strict=False):
        match = re.match(pattern, rest)
        if not match:
            return f'parsing time "{value}" as "{TIME_LAYOUT}": cannot parse "{rest}" as "{part}"'
        rest = rest[match.end() :]
    rest = re.sub(r"^\.\d+", "", rest)
    if not re.fullmatch(r"Z|[+-]\d{2}:\d{2}", rest):
        return f'parsing time "{value}" as "{TIME_LAYOUT}": cannot parse "{rest}" as "Z07:00"'
    return f'parsing time "{value}": day out of range'


def parse_time(name: str, value: str) -> datetime:
    match = RFC3339.fullmatch(value)
    detail = None
    if match:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            # Go checks the fields as it reads them; a day past the month's end comes last.
            month, day, hour, minute, second = (int(match.group(n)) for n in range(2, 7))
            problem = next(
                (
                    text
                    for bad, text in [
                        (not 1 <= month <= 12, "month out of range"),
                        (not 1 <= day <= 31, "day out of range"),
                        (hour > 23, "hour out of range"),
                        (minute > 59, "minute out of range"),
                        (second > 59, "second out of range"),
                    ]
                    if bad
                ),
                "day out of range",
            )
            detail = f'parsing time "{value}": {problem}'
    detail = detail or _go_parse_error(value)
    raise _one_invalid(
        name, f'Query param "{name}" must be a valid date format ({TIME_LAYOUT}): {detail}'
    )


def parse_start_end(start_raw: str, end_raw: str, now: datetime) -> tuple[datetime, datetime]:
    """Coder's checks, in its order: per parameter (start, then end) the format, not in
    the future, the clock; then end after start."""
    parsed = {}
    for name, raw in (("start_time", start_raw), ("end_time", end_raw)):
        moment = parse_time(name, raw)
        local_now = now.astimezone(moment.tzinfo)
        limit = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if moment > limit:
            raise _one_invalid(name, f'Query param "{name}" must not be in the future')
        whole_day = name == "start_time" or moment.date() != local_now.date()
        if whole_day and (moment.hour, moment.minute, moment.second) != (0, 0, 0):
            raise _one_invalid(
                name, f'Query param "{name}" must have the clock set to 00:00:00, got {raw}'
            )
        if (moment.minute, moment.second) != (0, 0):
            raise _one_invalid(
                name,
                f'Query param "{name}" must have the clock set to {moment.hour:02d}:00:00, got {raw}',
            )
        parsed[name] = moment
    if parsed["end_time"] < parsed["start_time"]:
        raise _one_invalid("end_time", 'Query param "end_time" must be after than "start_time"')
    return parsed["start_time"], parsed["end_time"]


def format_time(moment: datetime, offset_of: datetime | None = None) -> str:
    """RFC 3339 as Go writes it: Z for a zero offset, else ±hh:mm; no zero fraction."""
    if offset_of is not None:
        moment = moment.astimezone(offset_of.tzinfo)
    text = (
        moment.replace(microsecond=0).isoformat() if not moment.microsecond else moment.isoformat()
    )
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _window(parser: Parser) -> tuple[str, str, list[str]]:
    """The parameters every insights report shares: start_time, end_time, template_ids."""
    start_raw = parser.string("start_time", required=True)
    end_raw = parser.string("end_time", required=True)
    template_ids = parser.uuids("template_ids")
    return start_raw, end_raw, template_ids


def _params(start: datetime, end: datetime, template_ids: list[str], ctx: Context) -> dict:
    return {"start": start, "end": end, "template_ids": template_ids, "now": ctx.now}


def _guard(handler):
    """Turn an Invalid raised while checking parameters into the product's answer."""

    def wrapped(ctx: Context, query: Query) -> Response:
        try:
            return handler(ctx, query)
        except Invalid as invalid:
            return invalid.response

    wrapped.__doc__ = handler.__doc__
    return wrapped


def _users_report(ctx: Context, query: Query, report: str, measure) -> Response:
    """The shared shape of user-activity and user-latency: checks, then one row per user
    with its templates, name and avatar, and the report's own measure."""
    parser = Parser(query)
    start_raw, end_raw, template_ids = _window(parser)
    parser.finish()
    start, end = parse_start_end(start_raw, end_raw, ctx.now)
    users = rows(ctx, report, _params(start, end, template_ids, ctx))
    return 200, {
        "report": {
            "start_time": format_time(start),
            "end_time": format_time(end),
            "template_ids": sorted({t for u in users for t in u["template_ids"]}),
            "users": [
                {
                    "template_ids": u["template_ids"],
                    "user_id": u["user_id"],
                    "username": u["username"],
                    "avatar_url": u["avatar_url"],
                    **measure(u),
                }
                for u in users
            ],
        }
    }


@_guard
def user_activity(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/user-activity: seconds of use per user."""
    return _users_report(ctx, query, "rpt_coder_user_activity", lambda u: {"seconds": u["seconds"]})


@_guard
def user_latency(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/user-latency: p50/p95 of the per-half-hour median latencies."""
    return _users_report(
        ctx,
        query,
        "rpt_coder_user_latency",
        lambda u: {"latency_ms": {"p50": float(u["p50"]), "p95": float(u["p95"])}},
    )


@_guard
def daus(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/daus: distinct users per UTC day over the last 60 days."""
    parser = Parser(query)
    offset = parser.integer("tz_offset", 0)
    parser.finish()
    zone = timezone(timedelta(hours=offset))
    end = ctx.now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end.replace(hour=0) - timedelta(days=60)
    days = rows(
        ctx,
        "rpt_coder_insights_by_interval",
        {"start": start, "end": end, "step_days": 1, "template_ids": []},
    )
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


@_guard
def templates(ctx: Context, query: Query) -> Response:
    """GET api/v2/insights/templates: the report and the per-interval active users."""
    parser = Parser(query)
    start_raw, end_raw, template_ids = _window(parser)
    interval = parser.string("interval")
    sections = parser.strings("sections", list(SECTIONS))
    parser.finish()
    start, end = parse_start_end(start_raw, end_raw, ctx.now)
    if interval not in ("", "day", "week"):
        raise _one_invalid("interval", "must be one of [day week]")
    if interval == "week" and not _last_week_long_enough(start, end):
        raise Invalid(
            {"message": ONE_INVALID, "detail": "Last report interval should have at least 6 days."}
        )
    if not sections:
        raise _one_invalid("sections", "must contain at least one section")
    if any(s not in SECTIONS for s in sections):
        raise _one_invalid("sections", "must be one of [interval_reports report]")
    params = _params(start, end, template_ids, ctx)
    body: dict = {}
    if "report" in sections:
        body["report"] = _template_report(ctx, params, start, end)
    if "interval_reports" in sections and interval:
        step = 1 if interval == "day" else 7
        intervals = rows(ctx, "rpt_coder_insights_by_interval", {**params, "step_days": step})
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


def _template_report(ctx: Context, params: dict, start: datetime, end: datetime) -> dict:
    (usage,) = rows(ctx, "rpt_coder_template_insights", params)
    apps = rows(ctx, "rpt_coder_template_app_insights", params)
    apps.sort(key=lambda a: (a["slug"].encode(), a["display_name"].encode(), a["icon"].encode()))
    apps_usage = [
        {
            "template_ids": usage[f"{column}_template_ids"],
            "type": "builtin",
            "display_name": display,
            "slug": slug,
            "icon": icon,
            "seconds": usage[f"{column}_seconds"],
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
    template_ids = sorted(set(usage["template_ids"]) | {t for a in apps for t in a["template_ids"]})
    parameter_rows = rows(ctx, "rpt_coder_template_parameters", params)
    return {
        "start_time": format_time(start),
        "end_time": format_time(end),
        "template_ids": template_ids,
        "active_users": usage["active_users"],
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
                # Coder shows the name where a parameter has no display name.
                "display_name": r["display_name"] or r["name"],
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


# ---------------------------------------------------------------- v1 usage metrics

CATEGORIES = {"any", "ide", "login", "app", "tunnel", "web terminal"}
INTERVAL = re.compile(r"\s*(\d+)\s+(day|week|month|year)s?\s*")
NANOSECONDS = 1_000_000_000


def _metrics_error(name: str, detail: str) -> Invalid:
    return Invalid({"message": f'Invalid query parameter "{name}".', "detail": detail})


def _metrics_time(query: Query, name: str) -> datetime:
    raw = query.get(name) or ""
    if not raw:
        raise _metrics_error(name, f'"{name}" is required: an RFC 3339 timestamp.')
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not RFC3339.fullmatch(raw.upper()):
        raise _metrics_error(name, f'"{name}" must be an RFC 3339 timestamp, got "{raw}".')
    return moment


@_guard
def activity_metrics(ctx: Context, query: Query) -> Response:
    """GET api/private/metrics/activity: active minutes per user and interval (v1 metrics)."""
    for name in query.names():
        if name not in ("start", "end", "category", "interval", "org"):
            raise _metrics_error(name, f'"{name}" is not a valid query parameter.')
    start, end = _metrics_time(query, "start"), _metrics_time(query, "end")
    if end < start:
        raise _metrics_error("end", '"end" must not be before "start".')
    category = (query.get("category") or "any").replace("_", " ")
    if category not in CATEGORIES:
        raise _metrics_error("category", f"must be one of {', '.join(sorted(CATEGORIES))}.")
    interval = INTERVAL.fullmatch(query.get("interval") or "1 day")
    if interval is None or int(interval.group(1)) < 1:
        raise _metrics_error(
            "interval", 'must be "N day", "N week", "N month" or "N year", N >= 1.'
        )
    count, unit = int(interval.group(1)), interval.group(2)
    step = {"day": f"{count} days", "week": f"{7 * count} days", "month": f"{count} months"}.get(
        unit, f"{12 * count} months"
    )
    org = query.get("org") or None
    if org is not None:
        try:
            org = parse_uuid(org)
        except ValueError as exc:
            raise _metrics_error("org", f"must be an organization id: {exc}.") from None
    found = rows(
        ctx,
        "rpt_coder_activity_metrics",
        {
            "start": start,
            "end": end,
            "step": step,
            "category": category,
            "org": org,
            "now": ctx.now,
        },
    )
    buckets: dict[datetime, dict] = {}
    totals: dict[str, int] = {}
    for r in found:
        bucket = buckets.setdefault(
            r["bucket_start"],
            {
                "time": format_time(r["bucket_start"], start),
                "duration": int((r["bucket_end"] - r["bucket_start"]).total_seconds())
                * NANOSECONDS,
                "user_activity": [],
            },
        )
        if r["user_id"] is not None:
            minutes = r["count_minutes"]
            bucket["user_activity"].append(
                {"user_id": r["user_id"], "duration": minutes * 60 * NANOSECONDS, "count": minutes}
            )
            totals[r["user_id"]] = totals.get(r["user_id"], 0) + minutes
    people = rows(ctx, "rpt_coder_users", {"user_ids": sorted(totals), "now": ctx.now})
    known = {p["id"]: p for p in people}
    users = {}
    for user_id in sorted(totals):
        person = known.get(user_id, {"name": "", "username": "", "roles": [], "avatar_url": ""})
        avatar = person["avatar_url"]
        users[user_id] = {
            "id": user_id,
            "name": person["name"],
            "username": person["username"],
            "roles": person["roles"],
            "avatar_hash": hashlib.sha256(avatar.encode()).hexdigest() if avatar else "",
            "total_count": totals[user_id],
            "total_duration": totals[user_id] * 60 * NANOSECONDS,
        }
    return 200, {"activity": list(buckets.values()), "users": users}


ROUTES = {
    "api/v2/insights/daus": daus,
    "api/v2/insights/templates": templates,
    "api/v2/insights/user-activity": user_activity,
    "api/v2/insights/user-latency": user_latency,
    "api/private/metrics/activity": activity_metrics,
}
