"""`serve`: the endpoint functions over HTTP behind each product's own authentication, one
warehouse session per committed run, ETags, gzip; refusing to face a network unprotected."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

import orjson
import pytest
from fastapi.testclient import TestClient

from pipelines import auth, endpoints, storage
from pipelines.config import ProductAuth, Serve, Settings
from pipelines.endpoints.base import Context
from pipelines.publish import dumps
from pipelines.serve import make_app
from tests.servers import start_on_a_free_port
from tests.test_flows import ROOT

NOW = "2030-01-01T00:00:00Z"
TOKENS = {
    "coder": "coder-secret-token",
    "seatable": "seatable-secret-token",
    "openl2m": "openl2m-secret-token",
    "rocketchat": "rocketchat-secret-token",
}
ROCKETCHAT_USER = "rocketchat-admin-id"
# One endpoint of each product, and how a client of that product sends its token.
REQUESTS = {
    "coder": "/api/v2/insights/daus?tz_offset=0",
    "seatable": "/api/v2.1/admin/statistics/active-users/?start=2024-05-01+00:00:00&end=2024-05-01+00:00:00",
    "openl2m": "/api/stats/",
    "rocketchat": "/api/v1/statistics",
}


def sending(product: str, token: str) -> dict[str, str]:
    return {
        "coder": {"Coder-Session-Token": token},
        "seatable": {"Authorization": f"Token {token}"},
        "openl2m": {"Authorization": f"Token {token}"},
        "rocketchat": {"X-Auth-Token": token, "X-User-Id": ROCKETCHAT_USER},
    }[product]


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


@pytest.fixture
def served(mini, monkeypatch):
    """A small warehouse of all four products and its app, every product behind a token."""
    for product, token in TOKENS.items():
        monkeypatch.setenv(f"TEST_{product.upper()}_TOKEN", token)
    monkeypatch.setenv("TEST_ROCKETCHAT_USER", ROCKETCHAT_USER)
    tokens = {
        product: ProductAuth(
            token_env=f"TEST_{product.upper()}_TOKEN",
            user_id_env="TEST_ROCKETCHAT_USER" if product == "rocketchat" else None,
        )
        for product in TOKENS
    }
    m = mini(serve=Serve(auth=tokens))
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.add(
        "openl2m_log",
        [{"id": 1, "timestamp": "2029-12-31T23:30:00Z", "user_id": 3, "type": 5, "action": 95}],
    )
    m.build()
    return m, TestClient(make_app(m.settings, m.wh, auth.configured(m.settings)))


def report(m, target: str) -> bytes:
    con = storage.open_warehouse(m.wh)
    try:
        status, body = endpoints.call(Context(con, datetime.fromisoformat(NOW), m.settings), target)
    finally:
        con.close()
    assert status == 200
    return dumps(body)


@pytest.mark.parametrize("product", list(TOKENS))
def test_each_product_asks_for_its_own_token(served, product):
    m, client = served
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


def test_openl2m_names_its_scheme(served):
    _, client = served
    assert client.get("/api/stats/").headers["www-authenticate"] == "Token"


def test_coder_reads_its_token_wherever_coder_does(served):
    _, client = served
    path, token = REQUESTS["coder"], TOKENS["coder"]
    client.cookies.set("coder_session_token", token)
    assert client.get(path).status_code == 200
    client.cookies.clear()
    assert client.get(f"{path}&coder_session_token={token}").status_code == 200  # not a param
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_rocketchat_needs_the_user_of_the_token(served):
    _, client = served
    headers = {"X-Auth-Token": TOKENS["rocketchat"], "X-User-Id": "someone-else"}
    assert client.get(REQUESTS["rocketchat"], headers=headers).status_code == 401


def test_seatable_takes_bearer_too(served):
    _, client = served
    headers = {"Authorization": f"Bearer {TOKENS['seatable']}"}
    assert client.get(REQUESTS["seatable"], headers=headers).status_code == 200


def test_no_path_is_revealed_without_a_token(served):
    _, client = served
    unknown = client.get("/api/v2/insights/nothing-here")
    assert (unknown.status_code, unknown.json()) == REFUSED["coder"][0]
    assert client.get("/elsewhere").status_code == 401
    assert (
        client.get("/elsewhere", headers=sending("openl2m", TOKENS["openl2m"])).status_code == 404
    )
    known = client.get("/api/v2/insights/nothing-here", headers=sending("coder", TOKENS["coder"]))
    assert known.status_code == 404


def test_health_needs_no_token_and_holds_no_data(served):
    m, client = served
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["run_id"] == storage.Catalog.load(m.wh).run_id
    assert body["newest_day"]["seatable"] == "2024-05-01"
    assert body["newest_day"]["coder"] is None


def test_etag_answers_304_and_big_bodies_are_gzipped(served):
    _, client = served
    headers = sending("coder", TOKENS["coder"])
    first = client.get(REQUESTS["coder"], headers={**headers, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"  # 61 days of entries: over 1 kB
    again = client.get(
        REQUESTS["coder"], headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_published_reports_are_served_with_the_same_auth(served, tmp_path):
    m, client = served
    folder = storage.publish_reports_dir(m.wh, "r1")
    (folder / "api/stats").mkdir(parents=True)
    (folder / "api/stats/latest.json").write_text('{"database": {}}\n')
    (folder / "manifest.json").write_text("{}\n")
    storage.swap_reports(m.wh, folder)
    assert client.get("/reports/api/stats/latest.json").status_code == 401
    headers = sending("openl2m", TOKENS["openl2m"])
    assert client.get("/reports/api/stats/latest.json", headers=headers).json() == {"database": {}}
    assert client.get("/reports/manifest.json", headers=headers).status_code == 200
    assert client.get("/reports/../../etc/passwd", headers=headers).status_code == 404


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


def test_without_tokens_on_loopback_everything_answers(mini):
    m = mini()
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.build()
    client = TestClient(make_app(m.settings, m.wh, {}))
    assert client.get(REQUESTS["seatable"]).status_code == 200
    assert client.get("/nothing").status_code == 404


def serve_command(*args: str, env: dict | None = None, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`usage-warehouse serve` in a child process; its stderr piped, or to a file."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "serve", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def test_serve_refuses_a_network_address_without_tokens(mini):
    m = mini()
    m.add("seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00:00Z"}])
    m.build()
    refused = serve_command("--host", "0.0.0.0", "--warehouse", str(m.wh.root))
    _, stderr = refused.communicate(timeout=60)
    assert refused.returncode == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "coder, rocketchat, seatable, openl2m would answer anyone" in stderr
    log = m.wh.root.parent / "serve.log"
    started: list[subprocess.Popen] = []

    def start(port: int) -> None:
        with open(log, "w") as stderr:
            server = serve_command(
                "--host",
                "0.0.0.0",
                "--port",
                str(port),
                "--insecure-no-auth",
                "--warehouse",
                str(m.wh.root),
                stderr=stderr,
            )
        started.append(server)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as ok:
                    assert ok.status == 200
                    return
            except OSError:
                if server.poll() is not None:  # another process took the port first
                    raise RuntimeError(f"serve exited with {server.returncode}") from None
                assert time.monotonic() < deadline
                time.sleep(0.2)

    try:
        start_on_a_free_port(start, log)
    finally:
        for server in started:
            server.terminate()
            server.communicate(timeout=30)
    assert (
        "warning: serving coder, rocketchat, seatable, openl2m on 0.0.0.0 without"
        in log.read_text()
    )


def test_settings_without_auth_are_the_default():
    assert Settings().serve.auth == {}
