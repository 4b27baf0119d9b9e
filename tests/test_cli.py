"""The command line: report bodies and exit codes, --now parsing, config errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_report_prints_body(tmp_path):
    result = invoke(
        "report",
        "/api/v2.1/admin/statistics/active-users/?start=2024-01-01+00:00:00&end=2024-01-02+00:00:00",
        "--warehouse",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "active_users": [
            {"datetime": "2024-01-01T00:00:00+00:00", "count": 0},
            {"datetime": "2024-01-02T00:00:00+00:00", "count": 0},
        ]
    }


def test_report_error_body_on_stdout_status_on_stderr(tmp_path):
    result = invoke(
        "report", "api/v2.1/admin/statistics/active-users/?end=x", "--warehouse", str(tmp_path)
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error_msg": "Start time can not be empty"}
    assert "HTTP 400" in result.stderr


def test_unknown_endpoint_is_an_error(tmp_path):
    result = invoke("report", "api/nothing", "--warehouse", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown endpoint" in json.loads(result.stdout)["error"]


def test_now_needs_an_offset(tmp_path):
    result = invoke(
        "report",
        "api/v2.1/admin/statistics/active-users/",
        "--now",
        "2024-01-01T00:00:00",
        "--warehouse",
        str(tmp_path),
    )
    assert result.exit_code == 2
    assert "--now" in result.stderr


def test_config_error_names_the_key(tmp_path):
    config = tmp_path / "flows.yaml"
    config.write_text("timezone: Mars/Olympus\n")
    result = invoke("report", "api/x", "--config", str(config))
    assert result.exit_code == 1
    assert "timezone" in result.stderr and "Mars/Olympus" in result.stderr


def test_run_refuses_bad_range(tmp_path):
    result = invoke(
        "run", "--start", "2024-01-05", "--end", "2024-01-01", "--warehouse", str(tmp_path)
    )
    assert result.exit_code == 2


def test_sources_name_an_environment_variable_never_the_url(tmp_path, monkeypatch):
    from pipelines.config import ConfigError, load_settings

    config = tmp_path / "flows.yaml"
    config.write_text("sources:\n  coder: {dsn: 'postgresql://reader:secret@db/coder'}\n")
    result = invoke("collect", "coder", "--config", str(config))
    assert result.exit_code == 1
    assert "sources.coder.dsn" in result.stderr and "environment variable" in result.stderr
    config.write_text("sources:\n  coder: {dsn: CODER_TEST_URL}\n")  # `dsn` names it too
    configured = load_settings(config).sources["coder"]
    monkeypatch.delenv("CODER_TEST_URL", raising=False)
    with pytest.raises(ConfigError, match="sources.coder.dsn_env: environment variable"):
        configured.dsn("sources.coder")
    monkeypatch.setenv("CODER_TEST_URL", "postgresql://reader@db/coder")
    assert configured.dsn("sources.coder") == "postgresql://reader@db/coder"


def test_collect_knows_its_sources(tmp_path):
    result = invoke("collect", "rocketchat", "--warehouse", str(tmp_path))
    assert result.exit_code == 2 and "one of: coder" in result.stderr
    result = invoke("collect", "coder", "--warehouse", str(tmp_path), "--config", "/nonexistent")
    assert result.exit_code == 1 and "/nonexistent" in result.stderr
