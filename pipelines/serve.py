"""`usage-warehouse serve`: the endpoint functions over HTTP (the same functions as `report`
and the publisher), answered from the warehouse as of each request, behind each product's
own authentication (auth.py); the published reports folder and dashboard beside them.

Before anything is decided from a request its path is normalised once (NormalisedPath);
its access line is written here, never with a credential in it (AccessLog)."""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import gc
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import Future
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode

import _duckdb
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipelines import auth, endpoints, openapi, records, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context, Query, open_session
from pipelines.publish import answer_bytes, dumps

# The latest answers, by (run, request, as-of instant), up to this many bytes of bodies:
# at 3,000 users a pass of the bench's 570 answers is 182 MB of them (v1 metrics up to
# 4.5 MB an answer), held by the server for repeats alone.
KEPT_BYTES = 32 * 1024 * 1024
PRIVATE = {"Cache-Control": "private"}  # user names and ids: no shared cache may keep them


LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None)
# DuckDB's Linux builds allocate with a jemalloc of their own, which keeps freed pages too.
DUCKDB_ALLOCATOR = ctypes.CDLL(_duckdb.__file__)
ALL_ARENAS = 4096  # jemalloc's MALLCTL_ARENAS_ALL
M_ARENA_MAX = -8  # glibc's malloc.h
GIVE_BACK_SECONDS = 1.0


def _return_freed_memory(collect: bool = True) -> None:
    """Give the freed pages of both C heaps back to the system (glibc's malloc_trim, and
    the purge of DuckDB's jemalloc arenas): reading the held arrays passes through Python
    strings and DuckDB results several times their size, freed but kept by the allocators
    (3,000 users: 110 MB less resident after the session opens by the trim, 145 MB by the
    purge). Each a no-op where the library lacks it."""
    if collect:
        gc.collect()
    trim = getattr(LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
    mallctl = getattr(DUCKDB_ALLOCATOR, "duckdb_je_mallctl", None)
    if mallctl is not None:
        mallctl(f"arena.{ALL_ARENAS}.purge".encode(), None, None, None, 0)


def _few_arenas() -> None:
    """At most two glibc malloc arenas (M_ARENA_MAX), before any worker thread starts:
    uvicorn answers on a pool of up to 40 threads, and an arena each kept what their
    requests freed (3,000 users, in process: 990 -> 850 MB resident after a pass)."""
    mallopt = getattr(LIBC, "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 2)


class Session:
    """One DuckDB session with the views of one committed catalog."""

    def __init__(self, wh: storage.Warehouse, version: tuple):
        self.version = version
        self.con = open_session(wh, held=True)
        # A request's query reads a few thousand rows held in memory, for which DuckDB's
        # threads cost more than they save: requests share the cores side by side instead.
        self.con.execute("set threads = 1")
        self.held = endpoints.held_rows(self.con)  # read with the session: one run's
        _return_freed_memory()  # what reading it passed through
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
        self.current = Session(wh, self._version())
        self.opening: tuple | None = None  # the version a thread is opening
        self.answers: OrderedDict[tuple, tuple[int, bytes]] = OrderedDict()
        self.kept = 0  # bytes of the answers' bodies
        self.pending: dict[tuple, Future] = {}  # answers being computed, by key
        self.computed = threading.Event()  # answers computed since memory was given back
        threading.Thread(target=self._give_back, daemon=True).start()

    def _give_back(self) -> None:
        """Every GIVE_BACK_SECONDS after answers were computed, what their queries and
        arrays freed goes back to the system, off the requests' threads: at 3,000 users a
        pass of the bench's requests left 150 MB freed but kept by the allocators."""
        while True:
            self.computed.wait()
            time.sleep(GIVE_BACK_SECONDS)
            self.computed.clear()
            _return_freed_memory(collect=False)

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
        request: Hashable,
        now: datetime,
        compute: Callable[[Context], tuple[int, bytes]],
        settings: Settings,
        only_held: Callable[[dict], bool] | None = None,
    ) -> tuple[int, bytes] | None:
        """The (status, body) of a request as of now: kept when this state already answered
        it, awaited when another request is computing it, else computed on a cursor of the
        current session, side by side with the others (each query on one thread: the
        requests share the cores, and one answered from held arrays never waits for
        another's query). With only_held, None unless kept or only_held(what the answering
        session holds): the caller then asks again where a query may run."""
        with self.lock:
            version = self._version()
            if version != self.current.version and version != self.opening:
                self.opening = version
                threading.Thread(target=self._open, args=(version,), daemon=True).start()
            session = self.current
            key = (session.version, request, now)
            if key in self.answers:
                self.answers.move_to_end(key)
                return self.answers[key]
            if only_held is not None and not only_held(session.held):
                return None
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
            cursor = storage.cursor(session.con)
            answer = compute(Context(cursor, now, settings, session.held))
            self.computed.set()
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
                if pending.exception() is None and len(pending.result()[1]) <= KEPT_BYTES:
                    self.answers[key] = pending.result()
                    self.kept += len(pending.result()[1])
                    while self.kept > KEPT_BYTES:
                        self.kept -= len(self.answers.popitem(last=False)[1][1])
        return answer


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _answer(
    request: Request, status: int, body: bytes, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with its ETag; 304 when the client already holds these bytes."""
    tag = etag(body)
    headers = {**PRIVATE, **(headers or {}), "ETag": tag}
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


# A path of no scope, asked without the credentials of any.
ANYONE_REFUSED: auth.Refusal = (401, auth.AUTHENTICATION_REQUIRED, {})


def _refusal(request: Request, refusal: auth.Refusal) -> Response:
    status, body, headers = refusal
    return _answer(request, status, answer_bytes(status, body), headers)


def _computed(ctx: Context, path: str, pairs: list[tuple[str, str]]) -> tuple[int, bytes]:
    status, body = endpoints.answer(ctx, path, Query(pairs))
    return status, answer_bytes(status, body)


def make_app(
    settings: Settings,
    wh: storage.Warehouse,
    credentials: dict[str, auth.Credentials],
    now: datetime | None = None,
) -> ASGIApp:
    """The HTTP face; the scopes named in `credentials` ask for them. Every answer is as of
    its request, or as of `now` when given (a frozen view, for demos and measuring)."""
    _few_arenas()
    app = FastAPI(
        title="Usage Warehouse",
        summary="Coder, Rocket.Chat, SeaTable and OpenL2M usage statistics, answered as "
        "each product's own API answers them",
        version="1",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: the description alone
        redoc_url=None,
    )
    # zlib's own default level, not Starlette's 9: a v1 metrics answer of 1.2 MB (3,000
    # users) gzipped in 23 ms instead of 78, 3% larger.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    sessions = Sessions(wh)
    protected = set(credentials)
    describe = app.openapi

    def description() -> dict:
        """FastAPI's description of the routes, with the credentials they ask for."""
        if app.openapi_schema is None:
            schemes = {
                name: openapi.SECURITY_SCHEMES[name]
                for scope in auth.SCOPES
                if scope in protected
                for way in openapi.SECURITY[scope]
                for name in way
            }
            describe().setdefault("components", {})["securitySchemes"] = schemes
        return app.openapi_schema

    app.openapi = description

    def granted(request: Request) -> set[str]:
        return auth.granted(
            credentials, request.headers, request.cookies, dict(request.query_params)
        )

    def refused(request: Request, scope: str) -> Response | None:
        """The scope's refusal when the request lacks its credentials; else None."""
        if scope not in credentials:
            return None
        given = auth.presented(scope, request.headers, request.cookies, dict(request.query_params))
        if auth.accepts(credentials[scope], given):
            return None
        return _refusal(request, auth.refusal(scope, given))

    def anyone_refused(request: Request) -> Response | None:
        """A path of no scope asks for the credentials of any one of them."""
        return None if granted(request) else _refusal(request, ANYONE_REFUSED)

    @app.get("/healthz", **openapi.HEALTH)
    def healthz(request: Request) -> Response:
        return _answer(request, 200, dumps(health(wh)))

    def endpoint(path: str, product: str) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            if refusal := refused(request, product):
                return refusal
            pairs = [
                (key, value)
                for key, value in request.query_params.multi_items()
                if not (product == "coder" and key == auth.CODER_TOKEN_PARAM)
            ]
            # As of the request's second: answers within one second are the same answer.
            as_of = now or datetime.now(UTC).replace(microsecond=0)

            def answered(only_held: Callable[[dict], bool] | None = None):
                return sessions.answer(
                    (path, tuple(pairs)),
                    as_of,
                    lambda ctx: _computed(ctx, path, pairs),
                    settings,
                    only_held,
                )

            # Arithmetic over what the answering session holds costs less than a worker
            # thread's hop (in process 0.74 -> 0.47 ms of CPU for OpenL2M's stats): answered
            # here. A query, or Coder's larger arrays, on a worker thread, side by side.
            # (The session is the one that answers: one a commit opens meanwhile may not
            # hold what the one before did.)
            answer = answered(lambda held: endpoints.from_held(path, held, as_of))
            if answer is None:
                answer = await run_in_threadpool(answered)
            status, body = answer
            return _answer(request, status, body)

        return answer

    for path in endpoints.ENDPOINTS:
        product = auth.product_of(path)
        app.add_api_route(
            f"/{path}",
            endpoint(path, product),
            methods=["GET"],
            name=path,
            operation_id=f"{product}_{endpoints.ENDPOINTS[path].__name__}",
            **openapi.endpoint(path, product, protected),
        )

    manifest = storage.reports_manifest(wh.reports).name

    @app.get("/reports/{path:path}", **openapi.published(list(auth.SCOPES), protected))
    def published(request: Request) -> Response:
        path = request.path_params["path"]
        if path == manifest:
            return readable_manifest(request)
        if refusal := refused(request, auth.scope_of_file(path)):
            return refusal
        file = storage.published_file(wh, path)
        if file is None:
            return _answer(
                request, 404, answer_bytes(404, {"error": f"no published file {path!r}"})
            )
        return FileResponse(file, headers=PRIVATE)

    def readable_manifest(request: Request) -> Response:
        """manifest.json listing only what the request's credentials may read."""
        scopes = granted(request)
        if not scopes:
            return _refusal(request, ANYONE_REFUSED)
        file = storage.published_file(wh, manifest)
        if file is None:
            return _answer(request, 404, answer_bytes(404, {"error": "no published report set"}))
        listing = orjson.loads(file.read_bytes())
        listing["reports"] = [
            entry for entry in listing["reports"] if auth.product_of(entry["endpoint"]) in scopes
        ]
        if auth.DASHBOARD not in scopes:
            listing.pop("dashboard", None)
        return _answer(request, 200, dumps(listing))

    @app.get("/{path:path}", include_in_schema=False)
    def unknown(path: str, request: Request) -> Response:
        """No route of ours: the product's refusal first, then 404 (a request without
        credentials learns nothing of which paths exist)."""
        product = auth.product_of(path)
        refusal = refused(request, product) if product else anyone_refused(request)
        if refusal:
            return refusal
        return _answer(request, 404, answer_bytes(404, endpoints.unknown(path)))

    return AccessLog(NormalisedPath(app))


class NormalisedPath:
    """Every request's path decoded and normalised once (endpoints.normalise_path), before
    any route, credential or file is chosen from it; a path that climbs is a 404 before
    anything else is looked at."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = endpoints.normalise_path(_sent_path(scope))
        if path is None:
            refused = Response(
                answer_bytes(404, {"error": "not found"}), 404, media_type="application/json"
            )
            return await refused(scope, receive, send)
        path = "/" + path
        await self.app({**scope, "path": path, "raw_path": quote(path).encode()}, receive, send)


def _sent_path(scope: Scope) -> str:
    """The path as the client sent it, percent-encoding and all."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else scope["path"]


ACCESS = logging.getLogger("usage_warehouse.access")
# Query parameters whose values are credentials (Coder's coder_session_token), or look
# like them: their values never reach the log.
SECRET_PARAMETER = re.compile(r"token|password|passwd|secret|session|auth|key", re.IGNORECASE)
REDACTED = "[redacted]"


# A query string of these characters alone (no quote, space or control character) can be
# written as sent.
PLAIN_QUERY = re.compile(r"[\w.~%+=&:,-]*", re.ASCII)


def redacted_query(query_string: str) -> str:
    """The query string with every credential parameter's value replaced (the names read
    decoded, as the parameters themselves are). One of plain characters in which nothing
    decoded looks like a credential's name is written as sent: parsing and encoding again
    a query of 500 parameters cost 2 ms a request."""
    if PLAIN_QUERY.fullmatch(query_string) and not SECRET_PARAMETER.search(
        unquote_plus(query_string)
    ):
        return query_string
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode(
        [(name, REDACTED if SECRET_PARAMETER.search(name) else value) for name, value in pairs]
    )


class AccessLog:
    """The access line of every request, written here (uvicorn's own is off): the path as
    sent, the query with its credentials redacted, the status. Headers (tokens, Basic
    credentials, cookies) are never written."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500  # unless the app starts an answer

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            query = redacted_query(scope.get("query_string", b"").decode("latin-1"))
            client = scope.get("client")
            ACCESS.info(
                '%s - "%s %s HTTP/%s" %d',
                f"{client[0]}:{client[1]}" if client else "-",
                scope["method"],
                _sent_path(scope) + (f"?{query}" if query else ""),
                scope.get("http_version", "1.1"),
                status,
            )


def log_config() -> dict:
    """uvicorn's logging, with our access lines where its own would go."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"][ACCESS.name] = {"handlers": ["access"], "level": "INFO", "propagate": False}
    return config
