"""Operating a warehouse from the command line: a run stopped by Ctrl-C or SIGTERM is recorded
and changes nothing; a past --now never replaces the live reports; windows are checked as of
the run's now; `reset` starts over; a backup restores; the service unit is valid."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines import storage
from tests.conftest import query, write_raw

ROOT = Path(__file__).resolve().parent.parent
WINDOW = {
    "endpoint": "api/v2.1/admin/statistics/active-users/",
    "name": "may",
    "params": {"start": "2024-05-01 00:00:00", "end": "2024-05-07 00:00:00"},
}
NOW = "2024-05-08T06:00:00Z"


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line_error(result: subprocess.CompletedProcess, *parts: str) -> str:
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for part in parts:
        assert part in message, message
    return message


def published(wh: Path) -> dict[str, bytes]:
    """The published reports (not the manifest, nor the dashboard, which name the run)."""
    return {
        p.relative_to(wh / "reports").as_posix(): p.read_bytes()
        for p in sorted((wh / "reports").rglob("*.json"))
        if p.name != "manifest.json"
    }


@pytest.fixture(scope="module")
def first_site(tmp_path_factory) -> Path:
    """A folder with flows.yaml (warehouse wh, raw tree raw) and one committed run, made
    once for the module (the run takes a process start): each test changes a copy."""
    folder = tmp_path_factory.mktemp("site")
    config = {"warehouse": "wh", "raw": "raw", "reports": [WINDOW]}
    (folder / "flows.yaml").write_text(yaml.safe_dump(config))
    days = [{"username": f"u{n}", "timestamp": f"2024-05-0{n}T10:00:00Z"} for n in range(1, 6)]
    write_raw(folder / "raw", "seatable_user_activity", days, "a.ndjson")
    write_raw(folder / "raw", "openl2m_log", [], "a.ndjson")
    first = cli(folder, "run", "--now", NOW)
    assert first.returncode == 0, first.stderr
    return folder


@pytest.fixture
def site(first_site: Path, tmp_path: Path) -> Path:
    """The test's own copy of first_site (the warehouse is relocatable: its links and
    catalogs name relative paths)."""
    shutil.copytree(first_site, tmp_path / "site", symlinks=True)
    return tmp_path / "site"


@pytest.mark.parametrize(
    ("sent", "at", "code"),
    [(signal.SIGINT, "reading", 130), (signal.SIGTERM, "building", 143)],
)
def test_a_stopped_run_is_recorded_as_interrupted_and_changes_nothing(site, sent, at, code):
    wh = site / "wh"
    before = published(wh)
    catalog = storage.Catalog.load(storage.Warehouse(wh)).tables
    rows = [{"username": f"n{i}", "timestamp": "2024-05-06T10:00:00Z"} for i in range(20_000)]
    write_raw(site / "raw", "seatable_user_activity", rows, "b.ndjson")
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", "--now", NOW],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said = []
    for line in run.stderr:  # progress lines: stop it mid-way
        said.append(line)
        if line.startswith(at):
            run.send_signal(sent)
            break
    said += run.stderr.readlines()
    assert run.wait(timeout=60) == code, "".join(said)
    by = signal.Signals(sent).name
    assert said[-1] == (
        f"error: run interrupted by {by}: recorded as interrupted, the warehouse is as it was "
        "before the run\n"
    )
    assert not any("Traceback" in line for line in said), "".join(said)
    assert published(wh) == before
    # Only the run's own row is new: the runs and ingested files of the catalog are its.
    after = storage.Catalog.load(storage.Warehouse(wh)).tables
    assert {t: f for t, f in after.items() if t != "runs"} == {
        t: f for t, f in catalog.items() if t != "runs"
    }
    assert query(wh, "select status, message from runs order by run_id")[-1] == (
        "interrupted",
        f"interrupted by {by}",
    )
    status = cli(site, "status")
    assert "interrupted" in status.stdout
    # The next run does what the stopped one would have done.
    again = cli(site, "run", "--now", NOW)
    assert again.returncode == 0, again.stderr
    assert "20,000 read = 20,000 accepted" in again.stdout


def test_a_past_now_is_refused_unless_asked_and_never_replaces_the_live_reports(site):
    wh = site / "wh"
    live = published(wh)
    link = os.readlink(wh / "reports")
    refused = cli(site, "run", "--now", "2024-05-03T00:00:00Z")
    one_line_error(
        refused, "2024-05-03T00:00:00+00:00", "2024-05-08T06:00:00+00:00", "--as-of-past"
    )
    past = cli(site, "run", "--now", "2024-05-03T00:00:00Z", "--as-of-past")
    assert past.returncode == 0, past.stderr
    assert published(wh) == live and os.readlink(wh / "reports") == link
    (past_run,) = query(wh, "select run_id from runs where as_of < '2024-05-08' and status = 'ok'")
    folder = wh / ".reports" / past_run[0]
    assert "reports (not live)" in past.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["now"] == "2024-05-03T00:00:00+00:00"
    assert (folder / "api/v2.1/admin/statistics/active-users/may.json").is_file()
    # Kept beside the live set by later runs; the same instant as the live one is no past.
    assert cli(site, "run", "--now", NOW).returncode == 0
    later = cli(site, "run", "--now", "2024-05-09T06:00:00Z")
    assert later.returncode == 0, later.stderr
    assert folder.is_dir() and os.readlink(wh / "reports") != link


def test_windows_are_checked_as_of_the_runs_now(site):
    # Coder refuses an end in the future: tokens resolve against --now, and so does the check.
    coder = {"endpoint": "api/v2/insights/user-activity", "name": "week"}
    tokens = {"start_time": "{utc_date-7}T00:00:00Z", "end_time": "{utc_date}T00:00:00Z"}
    fixed = {"start_time": "2024-05-01T00:00:00Z", "end_time": "2024-05-10T00:00:00Z"}
    config = yaml.safe_load((site / "flows.yaml").read_text())
    config["reports"] = [WINDOW, {**coder, "params": tokens}]
    (site / "flows.yaml").write_text(yaml.safe_dump(config))
    assert cli(site, "run", "--now", "2024-05-09T06:00:00Z").returncode == 0
    config["reports"] = [WINDOW, {**coder, "params": fixed}]
    (site / "flows.yaml").write_text(yaml.safe_dump(config))
    one_line_error(
        cli(site, "run", "--now", "2024-05-09T06:00:00Z"),
        "flows.yaml: reports[1] (api/v2/insights/user-activity 'week'): HTTP 400",
        "must not be in the future",
    )


def test_reset_removes_everything_derived_and_keeps_the_raw_tree(site):
    wh = site / "wh"
    before = published(wh)
    # What a collect and a Prefect server leave (their contents do not matter to reset).
    (wh / "collect").mkdir()
    (wh / "collect/coder.json").write_text('{"workspace_agent_stats": "2024-05-07T00:00:00Z"}')
    (wh / ".prefect").mkdir()
    (wh / ".prefect/prefect.db").write_bytes(b"x" * 100)
    asked = cli(site, "reset")  # no terminal to confirm on
    one_line_error(asked, "reset would remove", "give --yes")
    assert (wh / "parquet").is_dir()
    with storage.Warehouse(wh).lock():
        one_line_error(cli(site, "reset", "--yes"), "another run is using")
    done = cli(site, "reset", "--yes")
    assert done.returncode == 0, done.stderr
    for name in ("parquet", "usage.duckdb", "reports", ".reports", "collect", ".prefect", ".lock"):
        assert f"removed {wh / name} (" in done.stderr
        assert not (wh / name).exists()
    assert f"kept the raw tree {site / 'raw'}" in done.stderr
    assert sorted(p.name for p in wh.iterdir()) == []
    # Starting over from the raw tree gives the same reports.
    assert cli(site, "run", "--now", NOW).returncode == 0
    assert published(wh) == before
    gone = cli(site, "reset", "--yes", "--include-raw")
    assert gone.returncode == 0 and not (site / "raw").exists()
    assert cli(site, "reset", "--yes").stderr.startswith("nothing to remove")


def test_a_backup_taken_under_the_lock_restores_elsewhere_and_runs_on(site, tmp_path_factory):
    # README, Operating it: `flock <warehouse>/.lock cp -a <warehouse> <backup>` waits for a
    # run to end and copies a consistent warehouse; restoring is copying it back, anywhere.
    wh = site / "wh"
    backup = tmp_path_factory.mktemp("backup") / "wh"
    copied = subprocess.run(["flock", str(wh / ".lock"), "cp", "-a", str(wh), str(backup)])
    assert copied.returncode == 0
    new = [{"username": "late", "timestamp": "2024-05-06T10:00:00Z"}]
    write_raw(site / "raw", "seatable_user_activity", new, "b.ndjson")
    assert cli(site, "run", "--now", NOW).returncode == 0
    expected = published(wh)
    shutil.rmtree(wh)  # the disk is lost
    restored = site / "restored"
    subprocess.run(["cp", "-a", str(backup), str(restored)], check=True)
    again = cli(site, "run", "--now", NOW, "--warehouse", str(restored))
    assert again.returncode == 0, again.stderr
    assert "1 read = 1 accepted" in again.stdout  # the run after the backup, done again
    assert published(restored) == expected
    assert query(restored, "select count(*) from seatable_user_activity") == [(6,)]


def test_the_service_unit_is_valid(tmp_path):
    unit = (ROOT / "deploy/usage-warehouse.service").read_text()
    assert "ExecStart=/opt/usage-warehouse/.venv/bin/usage-warehouse schedule" in unit
    assert "KillSignal=SIGINT" in unit  # what `schedule` stops cleanly on
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    # Verified where this checkout is: the unit names a program that must exist.
    here = unit.replace("/opt/usage-warehouse/.venv", str(Path(sys.executable).parent.parent))
    here = here.replace("WorkingDirectory=/opt/usage-warehouse", f"WorkingDirectory={ROOT}")
    (tmp_path / "usage-warehouse.service").write_text(here)
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "usage-warehouse.service")],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr


def test_forget_needs_no_configured_key_and_reset_keeps_the_forgotten(site):
    # Without privacy.key_env's variable, the forgotten list keeps a key of its own.
    wh = site / "wh"
    erased = cli(site, "forget", "--user", "u2", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert (wh / "forgotten.key").stat().st_mode & 0o777 == 0o600
    assert json.loads((wh / "forgotten.json").read_text())["key_env"] is None
    assert "u2" not in (wh / "forgotten.json").read_text()
    again = [{"username": "u2", "timestamp": "2024-05-06T10:00:00Z"}]
    write_raw(site / "raw", "seatable_user_activity", again, "b.ndjson")
    later = cli(site, "run", "--now", NOW)
    assert later.returncode == 0, later.stderr
    squashed = " ".join(later.stdout.replace("│", " ").split())  # the summary's cells wrap
    assert "1 read = 0 accepted + 0 rejected + 0 duplicate + 1 forgotten" in squashed
    reset = cli(site, "reset", "--yes")
    assert reset.returncode == 0 and "kept " + str(wh / "forgotten.json") in reset.stderr
    rebuilt = cli(site, "run", "--now", NOW)
    assert rebuilt.returncode == 0, rebuilt.stderr
    users = query(wh, "select distinct username from seatable_user_activity order by 1")
    assert users == [("u1",), ("u3",), ("u4",), ("u5",)]
