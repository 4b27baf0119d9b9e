"""`serve`: the endpoint functions over HTTP behind each product's own authentication and
the dashboard's, one warehouse session per committed run, ETags, gzip; refusing to face a
network unprotected. The hostile requests are sent as written, on a socket; the log of a
live `serve` is read for every secret a client sent it."""

from __future__ import annotations

import base64
import socket
import threading
import time
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient

from pipelines import auth, endpoints, storage
from pipelines.config import Serve, ServeAuth, Settings
from pipelines.endpoints.base import Context
from pipelines.publish import dumps
from pipelines.serve import make_app, redacted_query
from tests.servers import SERVE_AUTH, SERVE_SECRETS, serve_command, serve_config, serving

NOW = "2030-01-01T00:00:00Z"
TOKENS = {
    product: SERVE_SECRETS[SERVE_AUTH[product]["token_env"]]
    for product in ("coder", "seatable", "openl2m", "rocketchat")
}
ROCKETCHAT_USER = SERVE_SECRETS["USAGE_WAREHOUSE_ROCKETCHAT_USER_ID"]
READER = SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_USER"]
PASSWORD = SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_PASSWORD"]
# One endpoint of each product, and how a client of that product sends its token.
REQUESTS = {
    "coder": "/api/v2/insights/daus?tz_offset=0",
    "seatable": "/api/v2.1/admin/statistics/active-users/?start=2024-05-01+00:00:00&end=2024-05-01+00:00:00",
    "openl2m": "/api/stats/",
    "rocketchat": "/api/v1/statistics",
}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sending(scope: str, token: str) -> dict[str, str]:
    return {
        "coder": {"Coder-Session-Token": token},
        "seatable": {"Authorization": f"Token {token}"},
        "openl2m": {"Authorization": f"Token {token}"},
        "rocketchat": {"X-Auth-Token": token, "X-User-Id": ROCKETCHAT_USER},
        "dashboard": {"Authorization": basic(READER, token)},
    }[scope]


SECRET = {**TOKENS, "dashboard": PASSWORD}  # what each scope's credentials hold


REFUSED = {  # (status, body) without a token, then with a wrong one
    "coder": (
        (
            401,
            {
                "message": "You are signed out or your session has expired. Please sign in again to continue.",
                "detail": 'Cookie "coder_session_token" or query parameter must be provided.',
            },
        ),
        (
            401,
            {
                "message": "You are signed out or your session has expired. Please sign in again to continue.",
                "detail": "API key is invalid.",
            },
        ),
    ),
    "seatable": (
        (403, {"detail": "Authentication credentials were not provided."}),
        (401, {"detail": "Invalid token"}),
    ),
    "openl2m": (
        (401, {"detail": "Authentication credentials were not provided."}),
        (401, {"detail": "Invalid token"}),
    ),
    "rocketchat": (
        (
            401,
            {
                "success": False,
                "error": "You must be logged in to do this.",
                "status": "error",
                "message": "You must be logged in to do this.",
            },
        ),
    )
    * 2,
}


def serving_app(make_mini, monkeypatch) -> tuple:
    """A small warehouse of all four products and its app, every scope behind its
    credentials (read from the environment when the app is made)."""
    for name, secret in SERVE_SECRETS.items():
        monkeypatch.setenv(name, secret)
    m = make_mini(serve=Serve(auth=SERVE_AUTH))
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.add(
        "openl2m_log",
        [{"id": 1, "timestamp": "2029-12-31T23:30:00Z", "user_id": 3, "type": 5, "action": 95}],
    )
    m.build()
    return m, TestClient(make_app(m.settings, m.wh, auth.configured(m.settings)))


@pytest.fixture
def served(mini, monkeypatch):
    """serving_app of the test's own: for a test that publishes or builds."""
    return serving_app(mini, monkeypatch)


@pytest.fixture(scope="module")
def asked(module_mini):
    """serving_app built once for the tests that only send requests (a build takes
    seconds); the environment as it was once the app is made."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return serving_app(module_mini, monkeypatch)


def report(m, target: str) -> bytes:
    con = storage.open_warehouse(m.wh)
    try:
        status, body = endpoints.call(Context(con, datetime.fromisoformat(NOW), m.settings), target)
    finally:
        con.close()
    assert status == 200
    return dumps(body)


@pytest.mark.parametrize("product", list(TOKENS))
def test_each_product_asks_for_its_own_token(asked, product):
    m, client = asked
    path = REQUESTS[product]
    (no_status, no_body), (wrong_status, wrong_body) = REFUSED[product]
    nothing = client.get(path)
    assert (nothing.status_code, nothing.json()) == (no_status, no_body)
    wrong = client.get(path, headers=sending(product, "not-the-token"))
    assert (wrong.status_code, wrong.json()) == (wrong_status, wrong_body)
    other = next(p for p in TOKENS if p != product)
    borrowed = client.get(path, headers=sending(product, TOKENS[other]))
    assert (borrowed.status_code, borrowed.json()) == (wrong_status, wrong_body)
    right = client.get(path, headers=sending(product, TOKENS[product]))
    assert right.status_code == 200
    if product == "seatable":  # a body that does not move with the clock
        assert right.json() == orjson.loads(report(m, path.lstrip("/")))
    assert right.headers["cache-control"] == "private"


def test_openl2m_names_its_scheme(asked):
    _, client = asked
    assert client.get("/api/stats/").headers["www-authenticate"] == "Token"


def test_coder_reads_its_token_wherever_coder_does(asked):
    _, client = asked
    path, token = REQUESTS["coder"], TOKENS["coder"]
    client.cookies.set("coder_session_token", token)
    assert client.get(path).status_code == 200
    client.cookies.clear()
    assert client.get(f"{path}&coder_session_token={token}").status_code == 200  # not a param
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_rocketchat_needs_the_user_of_the_token(asked):
    _, client = asked
    headers = {"X-Auth-Token": TOKENS["rocketchat"], "X-User-Id": "someone-else"}
    assert client.get(REQUESTS["rocketchat"], headers=headers).status_code == 401


def test_seatable_takes_bearer_too(asked):
    _, client = asked
    headers = {"Authorization": f"Bearer {TOKENS['seatable']}"}
    assert client.get(REQUESTS["seatable"], headers=headers).status_code == 200


def test_no_path_is_revealed_without_a_token(asked):
    _, client = asked
    unknown = client.get("/api/v2/insights/nothing-here")
    assert (unknown.status_code, unknown.json()) == REFUSED["coder"][0]
    assert client.get("/elsewhere").status_code == 401
    assert (
        client.get("/elsewhere", headers=sending("openl2m", TOKENS["openl2m"])).status_code == 404
    )
    known = client.get("/api/v2/insights/nothing-here", headers=sending("coder", TOKENS["coder"]))
    assert known.status_code == 404


def test_health_needs_no_token_and_holds_no_data(asked):
    m, client = asked
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["run_id"] == storage.Catalog.load(m.wh).run_id
    assert body["newest_day"]["seatable"] == "2024-05-01"
    assert body["newest_day"]["coder"] is None


def test_etag_answers_304_and_big_bodies_are_gzipped(asked):
    _, client = asked
    headers = sending("coder", TOKENS["coder"])
    first = client.get(REQUESTS["coder"], headers={**headers, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"  # 61 days of entries: over 1 kB
    again = client.get(
        REQUESTS["coder"], headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def publish(m, files: dict[str, str]) -> None:
    """A report set of these files made live."""
    folder = storage.publish_reports_dir(m.wh, "r1")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    storage.swap_reports(m.wh, folder)


MANIFEST = {
    "run_id": "r1",
    "dashboard": "index.html",
    "reports": [
        {"file": "api/stats/latest.json", "endpoint": "api/stats"},
        {"file": "api/v2/insights/daus/tz-0.json", "endpoint": "api/v2/insights/daus"},
    ],
}
REPORT_SET = {
    "api/stats/latest.json": '{"database": {}}\n',
    "api/v2/insights/daus/tz-0.json": '{"entries": []}\n',
    "index.html": "<html>every product's figures</html>\n",
    "plotly.min.js": "/* plotly */\n",
    "manifest.json": orjson.dumps(MANIFEST).decode(),
}


def test_each_report_file_needs_its_own_scope(served):
    m, client = served
    publish(m, REPORT_SET)
    openl2m = sending("openl2m", TOKENS["openl2m"])
    assert client.get("/reports/api/stats/latest.json", headers=openl2m).json() == {"database": {}}
    # Another product's report: that product's own refusal, whoever asks.
    coder = client.get("/reports/api/v2/insights/daus/tz-0.json", headers=openl2m)
    assert (coder.status_code, coder.json()) == REFUSED["coder"][0]
    # The page and its script hold every product's figures: the dashboard's credentials.
    for page in ("index.html", "plotly.min.js"):
        for scope in TOKENS:
            refused = client.get(f"/reports/{page}", headers=sending(scope, TOKENS[scope]))
            assert (refused.status_code, refused.json()) == (
                401,
                {"error": "authentication required"},
            )
            assert refused.headers["www-authenticate"].startswith('Basic realm="Usage Warehouse')
        wrong = client.get(f"/reports/{page}", headers=sending("dashboard", "not-the-password"))
        assert wrong.status_code == 401
        stranger = client.get(f"/reports/{page}", headers={"Authorization": basic("x", PASSWORD)})
        assert stranger.status_code == 401
        assert (
            client.get(f"/reports/{page}", headers=sending("dashboard", PASSWORD)).status_code
            == 200
        )
    readable = client.get("/reports/index.html", headers=sending("dashboard", PASSWORD))
    assert readable.text == REPORT_SET["index.html"]


def test_the_manifest_lists_what_its_reader_may_read(served):
    m, client = served
    publish(m, REPORT_SET)
    assert client.get("/reports/manifest.json").status_code == 401
    openl2m = client.get("/reports/manifest.json", headers=sending("openl2m", TOKENS["openl2m"]))
    assert openl2m.json() == {"run_id": "r1", "reports": [MANIFEST["reports"][0]]}
    page = client.get("/reports/manifest.json", headers=sending("dashboard", PASSWORD))
    assert page.json() == {"run_id": "r1", "dashboard": "index.html", "reports": []}
    both = {**sending("coder", TOKENS["coder"]), **sending("openl2m", TOKENS["openl2m"])}
    assert (
        client.get("/reports/manifest.json", headers=both).json()["reports"] == MANIFEST["reports"]
    )


def test_without_dashboard_credentials_on_loopback_the_page_is_open(served, monkeypatch):
    """Like a product without a token: answered without credentials, on loopback only."""
    m, _ = served
    publish(m, REPORT_SET)
    settings = Settings(serve=Serve(auth={**SERVE_AUTH, "dashboard": None}))
    client = TestClient(make_app(settings, m.wh, auth.configured(settings)))
    assert client.get("/reports/index.html").text == REPORT_SET["index.html"]
    assert client.get("/reports/api/stats/latest.json").status_code == 401


def raw_request(base: str, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request as written, sent on a socket (no client folds its `..` or re-encodes
    it): the status and body of the answer."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, content = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), content


OPENL2M_REPORT = "/reports/api/stats/latest.json"
CLIMBING = [  # each would reach Coder's DAU report from OpenL2M's folder, or leave reports/
    "/reports/api/stats/../v2/insights/daus/tz-0.json",
    "/reports/api/stats/%2e%2e/%2e%2e/api/v2/insights/daus/tz-0.json",
    "/reports/api/stats/..%2f..%2fapi/v2/insights/daus/tz-0.json",
    "/reports/api/stats/%2E%2E%2Fv2/insights/daus/tz-0.json",
    "/reports/api/stats/%252e%252e/v2/insights/daus/tz-0.json",
    "/reports/api/stats/..\\v2\\insights/daus/tz-0.json",
    "/reports/api/stats/..%5cv2%5cinsights/daus/tz-0.json",
    "/reports/api/stats/%00/../v2/insights/daus/tz-0.json",
    "/reports/../../../../etc/passwd",
    "/reports/%2e%2e/%2e%2e/usage.duckdb",
    "/api/stats/../v2/insights/daus?tz_offset=0",
    "/api/v2.1/%2e%2e/v2/insights/daus?tz_offset=0",
    "/reports/api/stats/latest.json%00",
]


@pytest.mark.parametrize("target", CLIMBING)
def test_a_path_that_climbs_is_404_before_anything(live_serve, target):
    base, _ = live_serve
    for headers in ({}, sending("openl2m", TOKENS["openl2m"])):
        status, content = raw_request(base, target, headers)
        assert (status, orjson.loads(content)) == (404, {"error": "not found"}), target


def test_the_product_is_decided_from_the_normalised_path(live_serve):
    base, _ = live_serve
    openl2m = sending("openl2m", TOKENS["openl2m"])
    # Folded to OpenL2M's own report: answered to OpenL2M's token.
    for target in (
        OPENL2M_REPORT,
        "//reports//api/./stats/latest.json",
        "/reports\\api/stats/latest.json",
    ):
        status, content = raw_request(base, target, openl2m)
        assert status == 200 and "database" in orjson.loads(content), target
    # Decoded to Coder's report: Coder's refusal, never Coder's body.
    for target in (
        "/reports/api%2fv2/insights/daus/tz-0.json",
        "/reports/api/v2%2Finsights/daus/tz-0.json",
    ):
        status, content = raw_request(base, target, openl2m)
        assert (status, orjson.loads(content)) == REFUSED["coder"][0], target
    status, content = raw_request(base, "/api%2fv2/insights/daus?tz_offset=0", openl2m)
    assert (status, orjson.loads(content)) == REFUSED["coder"][0]
    status, _ = raw_request(
        base, "/api//v2/./insights/daus/?tz_offset=0", sending("coder", TOKENS["coder"])
    )
    assert status == 200


def test_no_secret_reaches_the_log(live_serve):
    """Every form of every scope's credentials, right and wrong, then the log read whole."""
    base, log = live_serve
    daus = "/api/v2/insights/daus?tz_offset=0"
    wrong = {scope: f"wrong-{scope}-secret" for scope in SECRET}
    requests = [(daus, {"Coder-Session-Token": TOKENS["coder"]}, 200)]
    requests += [(daus, {"Authorization": f"Bearer {TOKENS['coder']}"}, 200)]
    requests += [(daus, {"Cookie": f"coder_session_token={TOKENS['coder']}"}, 200)]
    requests += [(f"{daus}&coder_session_token={TOKENS['coder']}", {}, 200)]
    requests += [(f"{daus}&coder%5Fsession%5Ftoken={TOKENS['coder']}", {}, 200)]
    requests += [(f"{daus}&coder_session_token={wrong['coder']}", {}, 401)]
    requests += [("/api/v1/statistics", sending("rocketchat", TOKENS["rocketchat"]), 200)]
    requests += [("/api/v1/statistics", sending("rocketchat", wrong["rocketchat"]), 401)]
    seatable = (
        "/api/v2.1/admin/statistics/active-users/?start=2026-03-02+00:00:00&end=2026-03-03+00:00:00"
    )
    requests += [(seatable, sending("seatable", TOKENS["seatable"]), 200)]
    requests += [(seatable, {"Authorization": f"Bearer {TOKENS['seatable']}"}, 200)]
    requests += [(seatable, sending("seatable", wrong["seatable"]), 401)]
    requests += [("/api/stats/", sending("openl2m", TOKENS["openl2m"]), 200)]
    requests += [("/api/stats/", sending("openl2m", wrong["openl2m"]), 401)]
    requests += [("/reports/index.html", sending("dashboard", PASSWORD), 200)]
    requests += [("/reports/index.html", sending("dashboard", wrong["dashboard"]), 401)]
    requests += [(f"/reports/manifest.json?password={PASSWORD}", {}, 401)]
    requests += [("/api/v2/insights/daus?tz_offset=99", sending("coder", TOKENS["coder"]), 400)]
    for target, headers, expected in requests:
        status, _ = raw_request(base, target, headers)
        assert status == expected, target
    time.sleep(0.5)  # the last lines flushed
    written = log.read_text()
    for secret in [*SECRET.values(), *wrong.values(), ROCKETCHAT_USER]:
        assert secret not in written
    assert base64.b64encode(f"{READER}:{PASSWORD}".encode()).decode() not in written
    assert "Traceback" not in written
    assert f'"GET {daus}&coder_session_token=%5Bredacted%5D HTTP/1.1" 200' in written
    assert '"GET /reports/manifest.json?password=%5Bredacted%5D HTTP/1.1" 401' in written


@pytest.mark.parametrize(
    ("sent", "written"),
    [
        ("refresh=true&refresh=true", "refresh=true&refresh=true"),  # plain: as sent
        ("start=2026-03-02+00:00:00&x=%22", "start=2026-03-02+00:00:00&x=%22"),
        ("a=1&coder%5Fsession%5Ftoken=abc", "a=1&coder_session_token=%5Bredacted%5D"),
        ("api%5Fkey=abc", "api_key=%5Bredacted%5D"),
        ('x="y', "x=%22y"),  # a quote is never written as sent
    ],
)
def test_access_log_query(sent, written):
    assert redacted_query(sent) == written


def test_a_new_run_is_answered_by_a_new_session(served):
    m, client = served
    headers = sending("seatable", TOKENS["seatable"])
    path = REQUESTS["seatable"]
    assert client.get(path, headers=headers).json()["active_users"][0]["count"] == 1
    m.add("seatable_user_activity", [{"username": "b", "timestamp": "2024-05-01T11:00:00Z"}])
    m.build()
    # The old state answers while the new session opens beside it; then the new one does.
    deadline = time.monotonic() + 30
    while client.get(path, headers=headers).json()["active_users"][0]["count"] != 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_without_credentials_on_loopback_everything_answers(mini):
    m = mini()
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.build()
    client = TestClient(make_app(m.settings, m.wh, {}))
    assert client.get(REQUESTS["seatable"]).status_code == 200
    assert client.get("/nothing").status_code == 404


def test_serve_refuses_a_network_address_without_credentials(mini, tmp_path):
    m = mini()
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.build()
    refused = serve_command("--host", "0.0.0.0", "--warehouse", str(m.wh.root))
    _, stderr = refused.communicate(timeout=60)
    assert refused.returncode == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "coder, rocketchat, seatable, openl2m, dashboard would answer anyone" in stderr
    # Every product's token, but no dashboard credentials: refused still.
    products = serve_config(tmp_path, m.wh.root, {**SERVE_AUTH, "dashboard": None})
    refused = serve_command("--host", "0.0.0.0", "--config", str(products))
    _, stderr = refused.communicate(timeout=60)
    assert refused.returncode == 1
    assert "serve on 0.0.0.0: dashboard would answer anyone" in stderr
    log = tmp_path / "serve.log"
    with serving("--host", "0.0.0.0", "--insecure-no-auth", "--warehouse", str(m.wh.root), log=log):
        pass
    assert (
        "warning: serving coder, rocketchat, seatable, openl2m, dashboard on 0.0.0.0 without"
        in log.read_text()
    )


def test_settings_without_auth_are_the_default():
    assert Settings().serve.auth == ServeAuth()


def test_a_request_during_a_commit_sees_the_old_run_or_the_new(tmp_path):
    """Requests asked while a run commits (each new to the server): every answer is the
    whole old run's or the whole new run's, never the held arrays of one with the SQL of
    the other. The new run renames a user (the held users) and adds a half hour of use
    (the held rollup; the templates report's apps from SQL)."""
    from pipelines.serve import Sessions, _computed
    from tests import coder_fixture
    from tests.conftest import MiniWarehouse

    m = MiniWarehouse(tmp_path, Settings())
    coder_fixture.load(m)
    window = "start_time=2023-08-15T00:00:00Z&end_time=2023-08-16T00:00:00Z"
    targets = [
        ("api/v2/insights/user-activity", window),
        ("api/v2/insights/templates", f"{window}&interval=day"),
    ]
    now = datetime.fromisoformat("2023-08-20T00:00:00Z")

    def answers() -> dict[str, bytes]:
        con = storage.open_warehouse(m.wh)
        try:
            ctx = Context(con, now, m.settings)
            return {path: dumps(endpoints.call(ctx, f"{path}?{q}")[1]) for path, q in targets}
        finally:
            con.close()

    old = answers()
    sessions = Sessions(m.wh)
    seen: list[tuple[str, bytes]] = []
    done = threading.Event()

    def ask() -> None:
        n = 0
        while not done.is_set():
            for path, query in targets:
                n += 1
                pairs = parse_qsl(query)
                # a key of its own: each request is new to the server
                _, body = sessions.answer(
                    (path, n), now, lambda ctx, p=path, q=pairs: _computed(ctx, p, q), m.settings
                )
                seen.append((path, body))

    askers = [threading.Thread(target=ask) for _ in range(2)]
    for asker in askers:
        asker.start()
    try:
        m.add(
            "coder_users",
            [
                {
                    "id": coder_fixture.U1,
                    "username": "anna",
                    "avatar_url": "https://a/ann.png",
                    "created_at": coder_fixture.CREATED,
                    "updated_at": "2023-08-16T00:00:00Z",
                }
            ],
        )
        u2t1 = {"workspace": coder_fixture.W3, "agent_id": coder_fixture.A3}
        m.add(
            "coder_workspace_agent_stats",
            coder_fixture.every_minute(
                "2023-08-15T20:00:00Z",
                10,
                **u2t1,
                user=coder_fixture.U2,
                template=coder_fixture.T1,
                ssh=1,
            ),
        )
        m.build()
        new = answers()
        deadline = time.monotonic() + 60
        while not any(body == new[path] for path, body in seen[-4:]):
            if any(body not in (old[path], new[path]) for path, body in seen):
                break  # a mix: asserted below
            assert time.monotonic() < deadline, "the new run was never answered"
            time.sleep(0.05)
    finally:
        done.set()
        for asker in askers:
            asker.join()
    mixed = [(path, body) for path, body in seen if body not in (old[path], new[path])]
    assert not mixed
    assert all(old[path] != new[path] for path, _ in targets)
    assert {path for path, body in seen if body == old[path]} == {p for p, _ in targets}
    assert {path for path, body in seen if body == new[path]} == {p for p, _ in targets}


def test_only_answers_from_what_a_session_holds_skip_the_worker_thread():
    """serve answers on its event loop only what needs no query: SeaTable's active users
    and Coder's DAUs always, the settled answers as of their settled instant and later."""
    from datetime import UTC

    from pipelines.endpoints import rocketchat

    settled_at = datetime(2024, 6, 11, tzinfo=UTC)
    held = {rocketchat.SETTLED: rocketchat.SettledStatistics(settled_at, {})}
    before = datetime(2024, 6, 10, 23, 59, 59, tzinfo=UTC)
    assert endpoints.from_held("api/v1/statistics", held, settled_at)
    assert not endpoints.from_held("api/v1/statistics", held, before)
    assert not endpoints.from_held("api/stats", held, settled_at)  # not held
    assert endpoints.from_held("api/v2/insights/daus", {}, before)
    assert endpoints.from_held("api/v2.1/admin/statistics/active-users", {}, before)
    assert not endpoints.from_held("api/v2/insights/templates", held, settled_at)
    assert not endpoints.from_held("api/nothing", held, settled_at)
