"""flows.yaml resolves; the command line runs the nightly run end to end (no Prefect). The
schedule and its runs through Prefect: tests/test_schedule.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from pipelines import endpoints, prefect_setup, storage
from pipelines.config import load_settings
from tests.conftest import write_raw

ROOT = Path(__file__).resolve().parent.parent


def test_flows_yaml_loads_and_every_deployment_resolves():
    from pipelines.flows import FLOWS  # imports prefect: slow, so only here

    settings = load_settings(ROOT / "flows.yaml")
    assert settings.deployments, "flows.yaml declares no deployment"
    for deployment in settings.deployments:
        assert deployment.flow in FLOWS
        assert len(deployment.cron.split()) == 5
    for window in settings.reports:
        assert endpoints.normalise_path(window.endpoint) in endpoints.ENDPOINTS, window


def test_prefect_state_goes_beside_a_warehouse_not_made_yet(tmp_path, monkeypatch):
    # Prefect makes its home folder but not the folders above it.
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"})
    wh = storage.Warehouse(tmp_path / "new" / "wh")
    prefect_setup.configure(wh)
    assert os.environ["PREFECT_HOME"] == str(wh.prefect_home)
    assert wh.prefect_home.is_dir()


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def published(wh: Path) -> dict[str, bytes]:
    return {
        p.relative_to(wh / "reports").as_posix(): p.read_bytes()
        for p in sorted((wh / "reports").rglob("*.json"))
        if p.name != "manifest.json"
    }


def test_cli_run_publishes_and_reruns_identically(tmp_path):
    raw = tmp_path / "raw"
    write_raw(
        raw,
        "seatable_user_activity",
        [
            {"username": "a", "timestamp": "2024-05-01T10:00:00Z"},
            {"username": "b", "timestamp": "2024-05-02T10:00:00Z"},
            "not json",
        ],
    )
    wh = tmp_path / "wh"
    args = ("run", "--raw", str(raw), "--warehouse", str(wh), "--now", "2024-05-02T06:00:00Z")
    # Nothing lands in the home folder.
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "HOME": str(home)
    }
    first = cli(env, *args)
    assert list(home.iterdir()) == []
    assert first.returncode == 0, first.stderr
    assert "3 read = 2 accepted + 1 rejected + 0 duplicate" in first.stdout
    manifest = json.loads((wh / "reports" / "manifest.json").read_text())
    files = {entry["file"] for entry in manifest["reports"]}
    assert "api/v2.1/admin/statistics/active-users/last-7-days.json" in files
    assert set(published(wh)) == files
    week = json.loads(published(wh)["api/v2.1/admin/statistics/active-users/last-7-days.json"])
    assert week["active_users"][-2:] == [
        {"datetime": "2024-05-01T00:00:00+00:00", "count": 1},
        {"datetime": "2024-05-02T00:00:00+00:00", "count": 1},
    ]
    before = published(wh)
    second = cli(env, *args)
    assert second.returncode == 0, second.stderr
    assert "0 read = 0 accepted" in second.stdout
    assert published(wh) == before
    report = cli(
        env,
        "report",
        "api/v2.1/admin/statistics/active-users/?start=2024-05-01+00:00:00&end=2024-05-01+00:00:00",
        "--warehouse",
        str(wh),
    )
    assert json.loads(report.stdout) == {
        "active_users": [{"datetime": "2024-05-01T00:00:00+00:00", "count": 1}]
    }


def test_flows_yaml_is_valid_yaml_with_the_documented_keys():
    data = yaml.safe_load((ROOT / "flows.yaml").read_text())
    assert {"warehouse", "timezone", "deployments", "reports"} <= set(data)


GOLDEN = ROOT / "tests" / "golden" / "e2e"


def test_generated_tree_end_to_end_matches_goldens(tmp_path):
    """generate -> run (CLI) -> every published report equals its golden file.

    Goldens change only on purpose: UPDATE_GOLDEN=1 pytest tests/test_flows.py rewrites them.
    """
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    made = cli(
        dict(os.environ),
        "generate",
        "--out",
        str(raw),
        "--days",
        "10",
        "--start",
        "2026-03-02",
        "--seed",
        "3",
    )
    assert made.returncode == 0, made.stderr
    args = ("run", "--raw", str(raw), "--warehouse", str(wh), "--now", "2026-03-12T06:00:00Z")
    assert cli(dict(os.environ), *args).returncode == 0
    reports = published(wh)
    assert len(reports) == 17
    if os.environ.get("UPDATE_GOLDEN"):
        for name, data in reports.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    goldens = {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in sorted(GOLDEN.rglob("*.json"))
    }
    assert reports == goldens
