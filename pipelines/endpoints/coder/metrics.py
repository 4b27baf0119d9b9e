"""Coder v1 usage metrics endpoint (api/private/metrics/activity): active minutes per user
and interval, with the users they belong to."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np

from pipelines.endpoints.base import (
    RANGE_TEXT,
    Context,
    Query,
    Refused,
    Response,
    held,
    in_range,
    report_sql,
    rows,
)
from pipelines.endpoints.coder.go import RFC3339, format_time, parse_uuid, refused
from pipelines.endpoints.coder.rollup import (
    codes_among,
    columns_of,
    current_versions,
    microseconds,
)

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


def _grain(start: datetime, end: datetime, unit: str) -> str:
    """What every interval is made of. Steps are whole days, weeks or months: from a UTC
    midnight to a UTC midnight every interval is whole UTC days, and the daily sums answer
    the same as the minutes; weekly steps from a Monday to a Monday, whole ISO weeks; from
    a UTC half hour to a UTC half hour (an offset of whole half hours), whole half hours."""
    first, last = microseconds(start), microseconds(end)
    if first % DAY or last % DAY:
        return "half hour" if not (first % HALF_HOUR or last % HALF_HOUR) else "minute"
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
    grain = _grain(start, end, unit)
    params = {"start": start, "end": end, "step": step, "category": category, "org": org}
    buckets = []
    if grain != "minute":
        if unit in ("day", "week"):
            delta = timedelta(days=int(step.split()[0]))
            starts = [start + k * delta for k in range(-(-(end - start) // delta))]
            buckets = [(b.astimezone(UTC), min(b + delta, end).astimezone(UTC)) for b in starts]
        else:  # months: DuckDB's calendar arithmetic, as the minutes' query steps
            found = rows(ctx, "rpt_coder_activity_buckets", params)
            buckets = [(b["bucket_start"], b["bucket_end"]) for b in found]
    if grain == "minute" or any(microseconds(b) % HALF_HOUR for b, _ in buckets):
        found = rows(ctx, "rpt_coder_activity_metrics", params | {"now": ctx.now})
    else:
        sums = held(ctx, CATEGORY_MINUTES, CategoryMinutes.read)
        found = sums.per_bucket(grain, category, start, end, org, ctx.now, buckets)
    buckets: dict[datetime, dict] = {}
    totals: dict[str, int] = {}
    for r in found:
        bucket = buckets.get(r["bucket_start"])
        if bucket is None:
            bucket = buckets[r["bucket_start"]] = {
                "time": format_time(r["bucket_start"], start),
                "duration": int((r["bucket_end"] - r["bucket_start"]).total_seconds())
                * NANOSECONDS,
                "user_activity": [],
            }
        if r["user_id"] is not None:
            minutes = r["count_minutes"]
            bucket["user_activity"].append(
                {"user_id": r["user_id"], "duration": minutes * 60 * NANOSECONDS, "count": minutes}
            )
            totals[r["user_id"]] = totals.get(r["user_id"], 0) + minutes
    known = held(ctx, USERS, read_users).as_of(ctx.now)
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


CATEGORY_MINUTES = "coder_category_minutes"  # its name among what a session holds (base.held)
DAY = 86_400_000_000  # microseconds
HALF_HOUR = 1_800_000_000
PERIOD = {"half hour": HALF_HOUR, "day": DAY, "week": DAY}  # a grain's first_period unit
EMPTY = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class CategoryMinutes:
    """The half-hourly, daily and weekly sums of every category, held per session: per
    (grain, category) the rows' first periods (half hours or days since the epoch,
    ascending), user codes and minutes; every version of every organization membership."""

    sums: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]
    user_ids: np.ndarray  # a user code's id (ascending)
    members: dict[str, np.ndarray]  # rpt_coder_members_held, the user as a code (-1: none)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> CategoryMinutes:
        # A million sums at 3,000 users: numbers in lists, users as codes, no strings.
        found = con.execute(report_sql("rpt_coder_category_minutes_held")).fetchnumpy()
        names = zip(found["grain"].tolist(), found["category"].tolist(), strict=True)
        columns = (found["first_periods"], found["user_codes"], found["minutes"])
        sums = {name: _ordered(*sums) for name, *sums in zip(names, *columns, strict=True)}
        user_ids = found["user_ids"][0] if len(found["user_ids"]) else EMPTY.astype(object)
        members = columns_of(con, "rpt_coder_members_held")
        members["user"] = codes_among(user_ids, members.pop("user_id"))
        return cls(sums, user_ids, members)

    def per_bucket(
        self,
        grain: str,
        category: str,
        start: datetime,
        end: datetime,
        org: str | None,
        now: datetime,
        buckets: list[tuple[datetime, datetime]],
    ) -> list[dict]:
        """rpt_coder_activity_metrics' rows for a window on the bounds of `grain` (UTC
        half hours or midnights), from its sums: per bucket its users by minutes (most
        first, then by id), or one row without a user."""
        periods, users, minutes = self.sums.get((grain, category), (EMPTY, EMPTY, EMPTY))
        unit = PERIOD[grain]
        first, last = microseconds(start) // unit, microseconds(end) // unit
        lo, hi = np.searchsorted(periods, first, "left"), np.searchsorted(periods, last, "left")
        periods, users, minutes = periods[lo:hi], users[lo:hi], minutes[lo:hi]
        if org is not None:
            m = self.members
            at = microseconds(now)
            current = (m["valid_from_us"] <= at) & (m["valid_to_us"] > at)
            current &= m["organization_id"].astype(object) == org
            kept = np.isin(users, m["user"][current])
            periods, users, minutes = periods[kept], users[kept], minutes[kept]
        starts = np.array([microseconds(b) for b, _ in buckets], dtype=np.int64)
        ends = np.array([microseconds(e) for _, e in buckets], dtype=np.int64)
        moments = periods.astype(np.int64) * unit
        placed = np.searchsorted(starts, moments, "right") - 1
        inside = placed >= 0
        inside[inside] = moments[inside] < ends[placed[inside]]
        n_users = len(self.user_ids)
        keys, totals = np.unique(placed[inside] * n_users + users[inside], return_inverse=True)
        summed = np.bincount(totals, weights=minutes[inside], minlength=len(keys))
        summed = summed.astype(np.int64)
        order = np.lexsort((keys % n_users, -summed, keys // n_users)) if n_users else EMPTY
        per: dict[int, list[tuple[str, int]]] = {}
        for key, total in zip(keys[order].tolist(), summed[order].tolist(), strict=True):
            per.setdefault(key // n_users, []).append((self.user_ids[key % n_users], total))
        return [
            {"bucket_start": b, "bucket_end": e, "user_id": user, "count_minutes": total}
            for k, (b, e) in enumerate(buckets)
            for user, total in per.get(k, [(None, 0)])
        ]


def _ordered(
    periods: np.ndarray, users: np.ndarray, minutes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (grain, category)'s sums ordered by first period, then user."""
    order = np.lexsort((users, periods))
    return periods[order], users[order], minutes[order]


USERS = "coder_users"  # its name among what a session holds (base.held)


@dataclass(frozen=True)
class Users:
    """Every version of every Coder user (rpt_coder_users_held)."""

    versions: dict[str, np.ndarray]

    def as_of(self, now: datetime) -> dict[str, dict]:
        """Per user id, its version current at now: name, username, roles and avatar URL
        ("" and [] where unset; the username as it is)."""
        v = self.versions
        current = np.flatnonzero(current_versions(v, now))
        return {
            user_id: {
                "name": name or "",
                "username": username,
                "roles": [] if roles is None else list(roles),
                "avatar_url": avatar or "",
            }
            for user_id, name, username, roles, avatar in zip(
                *(v[c][current].tolist() for c in COLUMNS), strict=True
            )
        }


COLUMNS = ("user_id", "name", "username", "rbac_roles", "avatar_url")


def read_users(con: duckdb.DuckDBPyConnection) -> Users:
    return Users(columns_of(con, "rpt_coder_users_held"))
