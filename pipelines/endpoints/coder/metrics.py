"""Coder v1 usage metrics endpoint (api/private/metrics/activity): active minutes per user
and interval, with the users they belong to."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, time

from pipelines.endpoints.base import RANGE_TEXT, Context, Query, Refused, Response, in_range, rows
from pipelines.endpoints.coder.go import RFC3339, format_time, parse_uuid, refused

CATEGORIES = {"any", "ide", "login", "app", "tunnel", "web terminal"}
INTERVAL = re.compile(r"\s*(\d+)\s+(day|week|month|year)s?\s*")
MAX_INTERVAL_COUNT = 100_000  # 100,000 days outlast the whole time range a request may name
NANOSECONDS = 1_000_000_000


def _invalid_parameter(name: str, detail: str) -> Refused:
    return refused(f'Invalid query parameter "{name}".', detail=detail)


def _parse_time(query: Query, name: str) -> datetime:
    raw = query.get(name) or ""
    if not raw:
        raise _invalid_parameter(name, f'"{name}" is required: an RFC 3339 timestamp.')
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not RFC3339.fullmatch(raw.upper()):
        raise _invalid_parameter(name, f'"{name}" must be an RFC 3339 timestamp, got "{raw}".')
    if not in_range(moment):
        raise _invalid_parameter(name, f'"{name}" must be between {RANGE_TEXT}, got "{raw}".')
    return moment


def _utc_midnight(moment: datetime) -> bool:
    return moment.astimezone(UTC).timetz() == time(tzinfo=UTC)


def _grain(start: datetime, end: datetime, unit: str) -> str:
    """What every interval is made of. Steps are whole days, weeks or months: from a UTC
    midnight to a UTC midnight every interval is whole UTC days, and the daily sums answer
    the same as the minutes; weekly steps from a Monday to a Monday, whole ISO weeks."""
    if not (_utc_midnight(start) and _utc_midnight(end)):
        return "minute"
    mondays = start.astimezone(UTC).weekday() == 0 and end.astimezone(UTC).weekday() == 0
    return "week" if unit == "week" and mondays else "day"


def activity_metrics(ctx: Context, query: Query) -> Response:
    """GET api/private/metrics/activity: active minutes per user and interval (v1 metrics)."""
    for name in query.names():
        if name not in ("start", "end", "category", "interval", "org"):
            raise _invalid_parameter(name, f'"{name}" is not a valid query parameter.')
    start, end = _parse_time(query, "start"), _parse_time(query, "end")
    if end < start:
        raise _invalid_parameter("end", '"end" must not be before "start".')
    category = (query.get("category") or "any").replace("_", " ")
    if category not in CATEGORIES:
        raise _invalid_parameter("category", f"must be one of {', '.join(sorted(CATEGORIES))}.")
    interval = INTERVAL.fullmatch(query.get("interval") or "1 day")
    # The count is compared as text first: Python refuses to read integers of 4,300 digits.
    if interval is None or not (
        len(interval.group(1)) <= 6 and 1 <= int(interval.group(1)) <= MAX_INTERVAL_COUNT
    ):
        raise _invalid_parameter(
            "interval",
            f'must be "N day", "N week", "N month" or "N year", N from 1 to {MAX_INTERVAL_COUNT}.',
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
            raise _invalid_parameter("org", f"must be an organization id: {exc}.") from None
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
            "grain": _grain(start, end, unit),
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


ROUTES = {"api/private/metrics/activity": activity_metrics}
