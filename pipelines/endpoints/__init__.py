"""One function per endpoint, shared by the `report` command, the publisher, `serve`, the
dashboard and the tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

import duckdb

from pipelines.endpoints import coder, openl2m, pseudonyms, rocketchat, seatable
from pipelines.endpoints.base import Context, ParametersAccepted, Query, Refused, Response

Endpoint = Callable[[Context, Query], Response]

# Each product module lists its routes: paths as endpoints.md writes them, without
# leading or trailing slash.
ENDPOINTS: dict[str, Endpoint] = {
    **seatable.ROUTES,
    **coder.ROUTES,
    **openl2m.ROUTES,
    **rocketchat.ROUTES,
}


CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DECODINGS = 3  # a path still changing after this many percent-decodings is refused


def normalise_path(path: str) -> str | None:
    """A request's path as every decision reads it, without leading or trailing slash:
    percent-decoded (again while that changes it, so `%252e` is a dot too), back slashes
    read as slashes, repeated slashes and `.` segments dropped. None for a path no honest
    client sends: one with a `..` segment (it climbs; browsers and HTTP clients fold them
    before sending) or a control character (NUL included)."""
    for _ in range(DECODINGS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        return None
    segments = [s for s in path.replace("\\", "/").split("/") if s not in ("", ".")]
    if ".." in segments or CONTROL.search(path):
        return None
    return "/".join(segments)


def call(ctx: Context, target: str) -> Response:
    """Answer one request 'PATH?QUERY' for any endpoint (`answer`); `+` in the query is a
    space."""
    parts = urlsplit(target)
    path = normalise_path(parts.path)
    query = Query(parse_qsl(parts.query, keep_blank_values=True))
    return answer(ctx, parts.path if path is None else path, query)


def answer(ctx: Context, path: str, query: Query) -> Response:
    """Answer one request for any endpoint, its path normalised; an unknown path is a 404
    body, a refused request the product's own status and body. Without a session (ctx.con
    None), only the request is checked: an accepted one answers 200 with an empty body."""
    endpoint = ENDPOINTS.get(path)
    if endpoint is None:
        return 404, unknown(path)
    try:
        status, body = endpoint(ctx, query)
    except Refused as refused:
        return refused.status, refused.body
    except ParametersAccepted:
        return 200, {}
    # What flows.yaml `privacy:` lets out of the warehouse: here, the one place every
    # answer passes (published files, report, serve, the dashboard).
    return status, pseudonyms.publishable(ctx, path, body) if status == 200 else body


def held_rows(con: duckdb.DuckDBPyConnection) -> dict:
    """What a session holds for the requests it answers (base.held), read when it opens:
    Coder's rollup, builds, category sums and users; SeaTable's active users per day;
    SeaTable's script runs, Rocket.Chat's statistics and OpenL2M's log once they no longer
    change."""
    insights, metrics = coder.insights, coder.metrics
    return {
        insights.ROLLUP: insights.Rollup.read(con),
        insights.BUILDS: insights.Builds.read(con),
        metrics.CATEGORY_MINUTES: metrics.CategoryMinutes.read(con),
        metrics.USERS: metrics.read_users(con),
        seatable.ACTIVE_USERS: seatable.read_active_users(con),
        seatable.SCRIPT_RUNS: seatable.SettledScriptRuns.read(con),
        rocketchat.SETTLED: rocketchat.SettledStatistics.read(con),
        openl2m.SETTLED: openl2m.SettledLog.read(con),
    }


# Endpoints a session answers by arithmetic over what it holds, whatever the request.
ALWAYS_HELD = (seatable.active_users, coder.insights.daus)
# Those it so answers as of an instant on or after their settled one, by what it holds.
SETTLED = {
    rocketchat.statistics: rocketchat.SETTLED,
    openl2m.stats: openl2m.SETTLED,
    seatable.scripts_running: seatable.SCRIPT_RUNS,
}


def from_held(path: str, held: dict, now: datetime) -> bool:
    """Whether a session holding `held` (held_rows) answers a request of `path` as of `now`
    without a query: a few hundred microseconds of arithmetic (serve answers these on its
    event loop, not on a worker thread)."""
    endpoint = ENDPOINTS.get(path)
    if endpoint in ALWAYS_HELD:
        return True
    settled = held.get(SETTLED.get(endpoint))
    return settled is not None and now >= settled.settled_at


def unknown(path: str) -> dict:
    """The body of a 404 for a path no endpoint answers."""
    return {"error": f"unknown endpoint {path!r}; known: {', '.join(sorted(ENDPOINTS))}"}
