"""The command line: report bodies and exit codes, --now parsing, and failing loudly: a
missing folder or file, a bad flows.yaml key, each one line naming what is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.config import ConfigError, load_settings
from tests.conftest import write_raw

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
ACTIVE = "api/v2.1/admin/statistics/active-users/"


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A warehouse with one committed run."""
    from pipelines import pipeline, storage
    from pipelines.config import Settings

    root = tmp_path_factory.mktemp("cli")
    write_raw(
        root / "raw",
        "seatable_user_activity",
        [{"username": "a", "timestamp": "2024-01-01T10:00:00Z"}],
    )
    pipeline.run_nightly(Settings(), storage.Warehouse(root / "wh"), root / "raw")
    return root / "wh"


def one_line_error(result, *parts: str) -> None:
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in parts:
        assert part in message, message


def test_report_prints_body(warehouse):
    result = invoke(
        "report",
        f"/{ACTIVE}?start=2024-01-01+00:00:00&end=2024-01-02+00:00:00",
        "--warehouse",
        str(warehouse),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "active_users": [
            {"datetime": "2024-01-01T00:00:00+00:00", "count": 1},
            {"datetime": "2024-01-02T00:00:00+00:00", "count": 0},
        ]
    }


def test_report_follows_the_rocketchat_statistics_setting(warehouse, tmp_path):
    config = tmp_path / "flows.yaml"
    config.write_text("rocketchat_statistics: current\n")
    args = ["--config", str(config), "--warehouse", str(warehouse)]
    result = invoke("report", "api/v1/statistics", *args)
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["success"] is True and "statistics" not in body
    assert (body["totalUsers"], body["totalDiscussionsMessages"]) == (0, 0)


def test_report_error_body_on_stdout_status_on_stderr(warehouse):
    result = invoke("report", f"{ACTIVE}?end=x", "--warehouse", str(warehouse))
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error_msg": "Start time can not be empty"}
    assert "HTTP 400" in result.stderr


def test_unknown_endpoint_is_an_error(warehouse):
    result = invoke("report", "api/nothing", "--warehouse", str(warehouse))
    assert result.exit_code == 2
    assert "unknown endpoint" in json.loads(result.stdout)["error"]


def test_now_needs_an_offset(warehouse):
    result = invoke("report", ACTIVE, "--now", "2024-01-01T00:00:00", "--warehouse", str(warehouse))
    assert result.exit_code == 2
    assert "--now" in result.stderr


@pytest.mark.parametrize("command", ["report", "status", "serve"])
def test_a_missing_or_empty_warehouse_is_an_error(tmp_path, command):
    args = [ACTIVE] if command == "report" else []
    one_line_error(
        invoke(command, *args, "--warehouse", str(tmp_path / "nowhere")),
        str(tmp_path / "nowhere"),
        "does not exist",
    )
    one_line_error(invoke(command, *args, "--warehouse", str(tmp_path)), "no completed run")


def test_run_on_a_missing_or_empty_raw_folder_is_an_error(tmp_path):
    one_line_error(
        invoke("run", "--raw", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "wh")),
        f"raw folder {tmp_path / 'nowhere'} does not exist",
    )
    (tmp_path / "raw").mkdir()
    one_line_error(
        invoke("run", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "wh")),
        "holds none of coder/",
    )
    assert not (tmp_path / "wh").exists()  # found before any work starts


def test_a_missing_config_file_is_an_error(tmp_path):
    one_line_error(invoke("report", ACTIVE, "--config", str(tmp_path / "x.yaml")), "x.yaml")
    elsewhere = subprocess.run(
        [sys.executable, "-m", "pipelines", "status"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert elsewhere.returncode == 1
    assert f"{tmp_path}/flows.yaml: no such config file" in elsewhere.stderr


@pytest.mark.parametrize(
    "content, key",
    [
        ("timezone: Mars/Olympus\n", "timezone: unknown IANA time zone 'Mars/Olympus'"),
        (
            "deployments: [{name: n, cron: '99 2 * * *'}]\n",
            "deployments[0].cron: '99 2 * * *' is not a cron expression",
        ),
        (
            "reports: [{endpoint: api/stats/, name: x, params: {a: '{dat-6}'}}]\n",
            "reports[0].params: a: unknown date token {dat-6}",
        ),
        (
            "reports: [{endpoint: api/v2/insights/daus, name: x, params: {tz_offset: 'x'}}]\n",
            "reports[0] (api/v2/insights/daus 'x'): HTTP 400",
        ),
        ("reports: [{endpoint: api/nothing, name: x}]\n", "reports[0] (api/nothing 'x'): HTTP 404"),
        (
            "reports: [{endpoint: api/stats/, name: ../../x}]\n",
            "reports[0].name: '../../x' is not a file name",
        ),
        (
            "reports: [{endpoint: api/stats/../v2/insights/daus, name: x}]\n",
            "reports[0] (api/stats/../v2/insights/daus 'x'): HTTP 404",
        ),
        ("serve: {auth: {rocketchat: {token_env: T}}}\n", "serve.auth.rocketchat: user_id_env"),
        ("sources: {coder: {dsn_env: 'postgres://u:hunter2@h/db'}}\n", "sources.coder.dsn_env"),
        ("rocketchat_statistics: latest\n", "rocketchat_statistics: Input should be 'seed' or"),
    ],
)
def test_config_errors_name_the_file_and_key_before_any_work(tmp_path, content, key):
    config = tmp_path / "custom.yaml"
    config.write_text(content)
    (tmp_path / "raw" / "coder").mkdir(parents=True)
    result = invoke("run", "--config", str(config), "--raw", str(tmp_path / "raw"))
    one_line_error(result, str(config), key)
    assert "hunter2" not in result.stderr
    assert not (tmp_path / "warehouse").exists()  # found before any work starts


def test_run_refuses_bad_range(tmp_path):
    result = invoke(
        "run", "--start", "2024-01-05", "--end", "2024-01-01", "--warehouse", str(tmp_path)
    )
    assert result.exit_code == 2


def test_sources_name_an_environment_variable_never_the_url(monkeypatch):
    config = ROOT / "flows.yaml"
    settings = load_settings(config).model_copy()
    from pipelines.config import Source

    configured = Source.model_validate({"dsn": "CODER_TEST_URL"})  # `dsn` names it too
    monkeypatch.delenv("CODER_TEST_URL", raising=False)
    with pytest.raises(ConfigError, match="sources.coder.dsn_env: environment variable"):
        configured.dsn("sources.coder")
    monkeypatch.setenv("CODER_TEST_URL", "postgresql://reader@db/coder")
    assert configured.dsn("sources.coder") == "postgresql://reader@db/coder"
    assert settings.sources == {}


def test_collect_knows_its_sources(tmp_path):
    result = invoke("collect", "rocketchat", "--warehouse", str(tmp_path))
    assert result.exit_code == 2 and "one of: coder" in result.stderr
    result = invoke("collect", "coder", "--warehouse", str(tmp_path), "--config", "/nonexistent")
    assert result.exit_code == 1 and "/nonexistent" in result.stderr


def test_status_fits_80_columns(warehouse):
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", "status", "--warehouse", str(warehouse)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "recent runs" in result.stdout


def test_help_speaks_to_users():
    result = invoke("--help")
    assert "Coder, Rocket.Chat, SeaTable and OpenL2M" in result.stdout
    assert "parsing and printing" not in result.stdout
