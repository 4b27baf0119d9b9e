"""`usage-warehouse serve`: the endpoint functions over HTTP, answered from the warehouse
as of the request time (the same functions as `report` and the publisher)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response

from pipelines import endpoints, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context
from pipelines.publish import dumps


def make_app(settings: Settings, wh: storage.Warehouse) -> FastAPI:
    app = FastAPI(title="Usage Warehouse", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/{path:path}")
    def answer(path: str, request: Request) -> Response:
        # Each request sees the latest committed state; a run in progress is invisible.
        con = storage.open_warehouse(wh)
        try:
            query = urlencode(list(request.query_params.multi_items()))
            ctx = Context(con, datetime.now(UTC), settings)
            status, body = endpoints.call(ctx, f"{path}?{query}")
        finally:
            con.close()
        return Response(dumps(body), status_code=status, media_type="application/json")

    return app
