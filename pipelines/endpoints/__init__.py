"""One function per endpoint, shared by the `report` command, the publisher, `serve`, the
dashboard and the tests."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from pipelines.endpoints import coder, openl2m, rocketchat, seatable
from pipelines.endpoints.base import Context, Query, Refused, Response
from pipelines.privacy import pseudonyms

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
    request the product's own status and body."""
    path, query = split_target(target)
    endpoint = ENDPOINTS.get(path)
    if endpoint is None:
        known = ", ".join(sorted(ENDPOINTS))
        return 404, {"error": f"unknown endpoint {path!r}; known: {known}"}
    try:
        status, body = endpoint(ctx, query)
    except Refused as refused:
        return refused.status, refused.body
    # What flows.yaml `privacy:` lets out of the warehouse: here, the one place every
    # answer passes (published files, report, serve, the dashboard).
    return status, pseudonyms.publishable(ctx, path, body) if status == 200 else body
