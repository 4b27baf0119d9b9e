"""`usage-warehouse serve`: the endpoint functions over HTTP (the same functions as `report`
and the publisher), answered from the warehouse as of each request, behind each product's
own authentication (auth.py); the published reports folder and dashboard beside them."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.middleware.gzip import GZipMiddleware

from pipelines import auth, endpoints, records, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context, open_session
from pipelines.publish import answer_bytes, dumps

# Queries at once: DuckDB runs each on all cores, so more only queue inside it.
CONCURRENT_QUERIES = 4
KEPT_ANSWERS = 2048  # the latest answers, by (run, request, as-of instant)
PRIVATE = {"Cache-Control": "private"}  # user names and ids: no shared cache may keep them


class Session:
    """One DuckDB session with the views of one committed catalog."""

    def __init__(self, wh: storage.Warehouse, version: tuple):
        self.version = version
        self.con = open_session(wh)
        self.users = 0
        self.retired = False


class Sessions:
    """The session of the latest committed catalog, shared by every request (each its own
    cursor): views are bound once per run, not once per request. When a run commits, the
    next session opens on a thread of its own while requests go on with the current one,
    which closes when its last request ends. Answers are kept per (run, request, as-of
    instant): the same request of the same state is computed once, however many clients
    ask it at the same time."""

    def __init__(self, wh: storage.Warehouse):
        self.wh = wh
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(CONCURRENT_QUERIES)
        self.current = Session(wh, self._version())
        self.opening: tuple | None = None  # the version a thread is opening
        self.answers: OrderedDict[tuple, tuple[int, bytes]] = OrderedDict()
        self.pending: dict[tuple, Future] = {}  # answers being computed, by key

    def _version(self) -> tuple:
        stat = storage.catalog_file(self.wh).stat()
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _open(self, version: tuple) -> None:
        session = Session(self.wh, version)
        with self.lock:
            old, self.current, self.opening = self.current, session, None
            self._retire(old)

    def _retire(self, session: Session) -> None:
        session.retired = True
        if not session.users:
            session.con.close()

    def answer(
        self,
        target: str,
        now: datetime,
        compute: Callable[[Context], tuple[int, bytes]],
        settings: Settings,
    ) -> tuple[int, bytes]:
        """The (status, body) of a request as of now: kept when this state already answered
        it, awaited when another request is computing it, else computed on a cursor of the
        current session (at most CONCURRENT_QUERIES at once)."""
        with self.lock:
            version = self._version()
            if version != self.current.version and version != self.opening:
                self.opening = version
                threading.Thread(target=self._open, args=(version,), daemon=True).start()
            session = self.current
            key = (session.version, target, now)
            if key in self.answers:
                self.answers.move_to_end(key)
                return self.answers[key]
            pending = self.pending.get(key)
            if pending is not None:
                computing_elsewhere = True
            else:
                computing_elsewhere = False
                pending = self.pending[key] = Future()
                session.users += 1
        if computing_elsewhere:
            return pending.result()
        try:
            with self.slots:
                answer = compute(Context(storage.cursor(session.con), now, settings))
            pending.set_result(answer)
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        finally:
            with self.lock:
                del self.pending[key]
                session.users -= 1
                if session.retired and not session.users:
                    session.con.close()
                if pending.exception() is None:
                    self.answers[key] = pending.result()
                    while len(self.answers) > KEPT_ANSWERS:
                        self.answers.popitem(last=False)
        return answer


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


def _computed(ctx: Context, path: str, pairs: list[tuple[str, str]]) -> tuple[int, bytes]:
    status, body = endpoints.call(ctx, f"{path}?{urlencode(pairs)}")
    return status, answer_bytes(status, body)


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
        # As of the request's second: answers within one second are the same answer.
        as_of = now or datetime.now(UTC).replace(microsecond=0)
        status, body = sessions.answer(
            f"{path}?{urlencode(pairs)}", as_of, lambda ctx: _computed(ctx, path, pairs), settings
        )
        return _answer(request, status, body, {})

    return app
