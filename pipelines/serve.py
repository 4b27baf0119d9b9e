"""`usage-warehouse serve`: the endpoint functions over HTTP (the same functions as `report`
and the publisher), answered from the warehouse as of each request, behind each product's
own authentication (auth.py); the published reports folder and dashboard beside them."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlencode

import duckdb
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from pipelines import auth, endpoints, records, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context
from pipelines.publish import dumps

# Queries at once: DuckDB runs each on all cores, so more only queue inside it.
CONCURRENT_QUERIES = 4
PRIVATE = {"Cache-Control": "private"}  # user names and ids: no shared cache may keep them


class Session:
    """One DuckDB session with the views of one committed catalog."""

    def __init__(self, wh: storage.Warehouse, version: tuple):
        self.version = version
        self.con = storage.open_warehouse(wh)
        # The files of a committed run never change: their footers are read once, not per query.
        self.con.execute("set parquet_metadata_cache = true")
        self.users = 0
        self.retired = False


class Sessions:
    """The session of the latest committed catalog, shared by every request (each its own
    cursor): views are bound once per run, not once per request. When a run commits, the
    next request opens a new session; the old one closes when its last request ends."""

    def __init__(self, wh: storage.Warehouse):
        self.wh = wh
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(CONCURRENT_QUERIES)
        self.current: Session | None = None

    def _version(self) -> tuple:
        stat = storage.catalog_file(self.wh).stat()
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.slots:
            with self.lock:
                version = self._version()
                if self.current is None or self.current.version != version:
                    if self.current is not None:
                        self._retire(self.current)
                    self.current = Session(self.wh, version)
                session = self.current
                session.users += 1
            try:
                yield storage.cursor(session.con)
            finally:
                with self.lock:
                    session.users -= 1
                    if session.retired and not session.users:
                        session.con.close()

    def _retire(self, session: Session) -> None:
        session.retired = True
        if not session.users:
            session.con.close()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _answer(request: Request, status: int, body: bytes, headers: dict[str, str]) -> Response:
    """A JSON answer with its ETag; 304 when the client already holds these bytes."""
    tag = etag(body)
    headers = {**PRIVATE, **headers, "ETag": tag}
    if status == 200 and request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def health(wh: storage.Warehouse) -> dict:
    """The live run and, per source, the newest UTC day holding records: no data."""
    catalog = storage.Catalog.load(wh)
    newest = {
        source: max(
            (
                day
                for k in records.KINDS
                if k.source == source
                for day in catalog.partitions(k.table)
            ),
            default=None,
        )
        for source in records.SOURCES
    }
    return {"status": "ok", "run_id": catalog.run_id, "newest_day": newest}


def make_app(
    settings: Settings,
    wh: storage.Warehouse,
    credentials: dict[str, auth.Credentials],
    now: datetime | None = None,
) -> FastAPI:
    """The HTTP face; products named in `credentials` ask for their token. Every answer is
    as of its request, or as of `now` when given (a frozen view, for demos and measuring)."""
    app = FastAPI(title="Usage Warehouse", openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    sessions = Sessions(wh)

    def refused(request: Request, product: str | None) -> tuple[int, dict, dict] | None:
        """Why a request may not be answered, as its product says it; None when it may.
        A path of no product needs the credentials of any product that asks for some."""
        candidates = [product] if product else list(credentials)
        if product is not None and product not in credentials:
            return None
        if not candidates:
            return None
        query = dict(request.query_params)
        for candidate in candidates:
            given = auth.presented(candidate, request.headers, request.cookies, query)
            if auth.accepts(credentials[candidate], given):
                return None
        if product is None:
            return 401, {"error": "authentication required"}, {}
        given = auth.presented(product, request.headers, request.cookies, query)
        return auth.refusal(product, given)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(dumps(health(wh)), media_type="application/json", headers=PRIVATE)

    @app.get("/reports/{path:path}")
    def published(path: str, request: Request) -> Response:
        refusal = refused(request, auth.product_of(path))
        if refusal:
            status, body, headers = refusal
            return _answer(request, status, dumps(body), headers)
        file = storage.published_file(wh, path)
        if file is None:
            return _answer(request, 404, dumps({"error": f"no published file {path!r}"}), {})
        return FileResponse(file, headers=PRIVATE)

    @app.get("/{path:path}")
    def answer(path: str, request: Request) -> Response:
        product = auth.product_of(path)
        refusal = refused(request, product)
        if refusal:
            status, body, headers = refusal
            return _answer(request, status, dumps(body), headers)
        pairs = [
            (key, value)
            for key, value in request.query_params.multi_items()
            if not (product == "coder" and key == auth.CODER_TOKEN_PARAM)
        ]
        with sessions.cursor() as cursor:
            ctx = Context(cursor, now or datetime.now(UTC), settings)
            status, body = endpoints.call(ctx, f"{path}?{urlencode(pairs)}")
        return _answer(request, status, dumps(body), {})

    return app
