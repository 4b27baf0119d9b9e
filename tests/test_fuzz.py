"""`serve` fuzzed like the products' own APIs are: Schemathesis reads the OpenAPI
description serve publishes and sends a fixed number of generated requests per route to
a live serve on loopback (every scope behind its credentials), checking that no answer is
a 5xx, none breaks its declared schema, status or headers, none is a 200 without the
route's credentials, and every request its schema forbids is refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.servers import SERVE_SECRETS

EXAMPLES = 20  # per route and phase: about 900 requests, some 20 seconds
SEED = 1  # the same requests every run: a failure reproduces
# Schemathesis authenticates each route with the schemes its description names.
AUTH = f"""
[auth.openapi.CoderSessionToken]
api_key = "{SERVE_SECRETS["USAGE_WAREHOUSE_CODER_TOKEN"]}"
[auth.openapi.RocketChatAuthToken]
api_key = "{SERVE_SECRETS["USAGE_WAREHOUSE_ROCKETCHAT_TOKEN"]}"
[auth.openapi.RocketChatUserId]
api_key = "{SERVE_SECRETS["USAGE_WAREHOUSE_ROCKETCHAT_USER_ID"]}"
[auth.openapi.SeaTableToken]
api_key = "Token {SERVE_SECRETS["USAGE_WAREHOUSE_SEATABLE_TOKEN"]}"
[auth.openapi.OpenL2MToken]
api_key = "Token {SERVE_SECRETS["USAGE_WAREHOUSE_OPENL2M_TOKEN"]}"
[auth.openapi.DashboardBasic]
username = "{SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_USER"]}"
password = "{SERVE_SECRETS["USAGE_WAREHOUSE_DASHBOARD_PASSWORD"]}"
"""
CHECKS = """
[checks]
enabled = true
# A request its schema allows may still be refused: JSON Schema cannot say "a clock of
# 00:00:00", "not in the future" or "a day that exists" (2026-02-30).
positive_data_acceptance.enabled = false

[[operations]]
include-tag = "seatable"
# Schemathesis wants 401 for a missing Authorization header; SeaTable answers 403, as
# Django REST framework does for a token class without a WWW-Authenticate scheme.
checks.missing_required_header.enabled = false
"""


def test_schemathesis_finds_nothing(live_serve, tmp_path):
    base, log = live_serve
    config = tmp_path / "schemathesis.toml"
    config.write_text(AUTH + CHECKS)
    fuzzed = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{base}/openapi.json",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fuzzed.returncode == 0, fuzzed.stdout[-6000:]
    assert re.search(r"Tested: +11\b", fuzzed.stdout), fuzzed.stdout[-2000:]
    written = log.read_text()
    assert "Traceback" not in written
    assert not re.search(r'HTTP/1\.1" 5\d\d', written)
