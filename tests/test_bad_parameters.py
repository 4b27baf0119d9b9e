"""Every bad parameter is refused with a 400 and the product's own error body on one line,
never a traceback, wherever it is asked: `serve`, `report` and a flows.yaml window. The
answers are written out by hand from each product's rules (docs/serve.md, the README's
deviations); the values at the edges of what is accepted are answered."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.config import Settings
from pipelines.serve import make_app
from pipelines.storage import Warehouse
from tests.conftest import GENERATED_NOW

ONE = "Query parameter has invalid value."
MANY = "Query parameters have invalid values."
DATE_FORMAT = "must be a valid date format (2006-01-02T15:04:05Z07:00)"
WINDOW = "start_time=2026-03-02T00:00:00Z&end_time=2026-03-09T00:00:00Z"
METRICS = "api/private/metrics/activity?start=2026-03-02T00:00:00Z&end=2026-03-09T00:00:00Z"
ACTIVE = "api/v2.1/admin/statistics/active-users/"
SCRIPTS = "api/v2.1/admin/statistics/scripts-running/"
INT64_MAX = 2**63 - 1


def coder(message: str, field: str, detail: str) -> dict:
    return {"message": message, "validations": [{"field": field, "detail": detail}]}


def metrics(name: str, detail: str) -> dict:
    return {"message": f'Invalid query parameter "{name}".', "detail": detail}


INTERVAL = 'must be "N day", "N week", "N month" or "N year", N from 1 to 100000.'
BAD = [  # (request, the product's error body)
    (
        "api/v2/insights/daus?tz_offset=99",
        coder(ONE, "tz_offset", 'Query param "tz_offset" must be between -12 and 14, got 99'),
    ),
    (
        "api/v2/insights/daus?tz_offset=-13",
        coder(ONE, "tz_offset", 'Query param "tz_offset" must be between -12 and 14, got -13'),
    ),
    (
        f"api/v2/insights/daus?tz_offset={INT64_MAX + 1}",
        coder(
            MANY,
            "tz_offset",
            'Query param "tz_offset" must be a valid integer: strconv.Atoi: parsing '
            f'"{INT64_MAX + 1}": value out of range',
        ),
    ),
    (
        "api/v2/insights/daus?tz_offset=1.5",
        coder(
            MANY,
            "tz_offset",
            'Query param "tz_offset" must be a valid integer: strconv.Atoi: parsing "1.5": '
            "invalid syntax",
        ),
    ),
    (
        "api/v2/insights/templates?start_time=2026-03-02&end_time=2026-03-09T00:00:00Z",
        coder(
            ONE,
            "start_time",
            f'Query param "start_time" {DATE_FORMAT}: parsing time "2026-03-02" as '
            '"2006-01-02T15:04:05Z07:00": cannot parse "" as "T"',
        ),
    ),
    (
        "api/v2/insights/user-activity?start_time=1969-12-31T00:00:00Z"
        "&end_time=2026-03-09T00:00:00Z",
        coder(
            ONE, "start_time", 'Query param "start_time" must not be before 1970-01-01T00:00:00Z'
        ),
    ),
    (
        "api/v2/insights/user-latency?start_time=2026-03-09T00:00:00Z"
        "&end_time=2026-03-02T00:00:00Z",
        coder(ONE, "end_time", 'Query param "end_time" must be after than "start_time"'),
    ),
    (
        f"api/v2/insights/templates?{WINDOW}&interval=month",
        coder(ONE, "interval", "must be one of [day week]"),
    ),
    (
        f"api/v2/insights/templates?{WINDOW}&sections=everything",
        coder(ONE, "sections", "must be one of [interval_reports report]"),
    ),
    (f"{METRICS}&interval=0+day", metrics("interval", INTERVAL)),
    (f"{METRICS}&interval=100001+day", metrics("interval", INTERVAL)),
    (f"{METRICS}&interval={'9' * 5000}+week", metrics("interval", INTERVAL)),
    (
        "api/private/metrics/activity?start=2100-01-01T00:00:00Z&end=2100-01-02T00:00:00Z",
        metrics(
            "start",
            '"start" must be between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z, '
            'got "2100-01-01T00:00:00Z".',
        ),
    ),
    (
        "api/private/metrics/activity?start=2026-03-09T00:00:00Z&end=2026-03-02T00:00:00Z",
        metrics("end", '"end" must not be before "start".'),
    ),
    (
        f"{METRICS}&category=everything",
        metrics("category", "must be one of any, app, ide, login, tunnel, web terminal."),
    ),
    (
        f"{ACTIVE}?start=2026-02-30+00:00:00&end=2026-03-02+00:00:00",
        {"error_msg": "Start time 2026-02-30 00:00:00 invalid"},
    ),
    (
        f"{ACTIVE}?start=1969-12-31+00:00:00&end=2026-03-02+00:00:00",
        {"error_msg": "Start time 1969-12-31 00:00:00 invalid"},
    ),
    (
        f"{ACTIVE}?start=2026-03-02+00:00:00&end=2100-01-01+00:00:00",
        {"error_msg": "End time 2100-01-01 00:00:00 invalid"},
    ),
    (f"{SCRIPTS}?per_page=-1", {"error_msg": "per_page invalid."}),
    (f"{SCRIPTS}?per_page={INT64_MAX + 1}", {"error_msg": "per_page invalid."}),
    (f"{SCRIPTS}?page=0", {"error_msg": "page invalid."}),
    (f"{SCRIPTS}?page={INT64_MAX + 1}", {"error_msg": "page invalid."}),
    (f"{SCRIPTS}?order_by=name", {"error_msg": "order_by invalid."}),
    (f"{SCRIPTS}?is_user=maybe", {"error_msg": "is_user invalid."}),
    (f"{SCRIPTS}?month=202613", {"error_msg": "month invalid."}),
    (f"{SCRIPTS}?month=210001", {"error_msg": "month invalid."}),
    ("api/v1/statistics?refresh=maybe", {"success": False, "error": "Invalid query parameters"}),
]
ACCEPTED = [  # the edges of what is answered
    "api/v2/insights/daus?tz_offset=14",
    "api/v2/insights/daus?tz_offset=-12",
    f"{SCRIPTS}?per_page={INT64_MAX}&page={INT64_MAX}",
    f"{SCRIPTS}?per_page={'9' * 5000}",  # not an integer Python reads: the defaults
    f"{SCRIPTS}?month=209912",
    f"{METRICS}&interval=100000+year",
    f"{ACTIVE}?start=1970-01-01+00:00:00&end=1970-01-02+00:00:00",
]
runner = CliRunner()


def one_line(content: bytes) -> dict:
    assert content.endswith(b"\n") and content.count(b"\n") == 1, content
    return orjson.loads(content)


@pytest.fixture(scope="module")
def client(generated):
    return TestClient(make_app(Settings(), Warehouse(generated), {}, GENERATED_NOW))


@pytest.mark.parametrize("target, body", BAD)
def test_serve_answers_400_and_the_error_on_one_line(client, target, body):
    answer = client.get(f"/{target}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert one_line(answer.content) == body


# `report` and a flows.yaml window ask the same endpoint functions as serve: one of each
# product's error bodies.
EACH_BODY = [BAD[0], BAD[6], BAD[9], BAD[18], BAD[-1]]


@pytest.mark.parametrize("target, body", EACH_BODY)
def test_report_prints_the_error_on_one_line(generated, target, body):
    now = GENERATED_NOW.isoformat()
    result = runner.invoke(app, ["report", target, "--warehouse", str(generated), "--now", now])
    assert result.exit_code == 2, result.output
    assert one_line(result.stdout_bytes) == body
    assert result.stderr.strip() == "HTTP 400"


@pytest.mark.parametrize("target, body", EACH_BODY)
def test_a_flows_yaml_window_names_itself_and_the_error(tmp_path, target, body):
    parts = urlsplit(target)
    window = {"endpoint": parts.path, "name": "bad", "params": dict(parse_qsl(parts.query))}
    config = tmp_path / "flows.yaml"
    config.write_text(yaml.safe_dump({"reports": [window]}))
    (tmp_path / "raw" / "coder").mkdir(parents=True)
    result = runner.invoke(app, ["run", "--config", str(config), "--raw", str(tmp_path / "raw")])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.splitlines() == [message]
    expected = f"{config}: reports[0] ({parts.path} 'bad'): HTTP 400 {orjson.dumps(body).decode()}"
    assert message == f"error: {expected}"


@pytest.mark.parametrize("target", ACCEPTED)
def test_the_edges_are_answered(client, target):
    assert client.get(f"/{target}").status_code == 200


def test_now_outside_the_years_a_request_may_name_is_refused(generated):
    for now in ("2100-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"):
        args = ["report", "api/stats/", "--warehouse", str(generated), "--now", now]
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"error: --now '{now}' is not between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z"
        )
