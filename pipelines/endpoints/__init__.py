"""One function per endpoint, shared by the `report` command, the publisher and the tests."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from pipelines.endpoints import coder, openl2m, rocketchat, seatable
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


def normalise_path(path: str) -> str:
    return path.strip("/")


def split_target(target: str) -> tuple[str, Query]:
    """'PATH?QUERY' -> (normalised path, query); `+` in the query is a space."""
    parts = urlsplit(target)
    return normalise_path(parts.path), Query(parse_qsl(parts.query, keep_blank_values=True))


def call(ctx: Context, target: str) -> Response:
    """Answer one request for any endpoint; an unknown path is a 404 body, a refused
    request the product's own status and body. Without a session (ctx.con None), only the
    request is checked: an accepted one answers 200 with an empty body."""
    path, query = split_target(target)
    endpoint = ENDPOINTS.get(path)
    if endpoint is None:
        known = ", ".join(sorted(ENDPOINTS))
        return 404, {"error": f"unknown endpoint {path!r}; known: {known}"}
    try:
        return endpoint(ctx, query)
    except Refused as refused:
        return refused.status, refused.body
    except ParametersAccepted:
        return 200, {}
