"""`schedule` as a user relies on it, on a fresh warehouse and a fresh Prefect home: the cron
fires runs nobody triggered and they land in the warehouse; the printed UI address shows
them in Chromium; `trigger` starts one by hand; a run cancelled from the UI's API is
recorded as interrupted; Ctrl-C stops every process `schedule` started.

One test, ~2.5 minutes: a Prefect server's first start migrates its database, and an
every-minute cron needs two minute boundaries to fire twice.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from pipelines.scheduling import free_port
from tests.browser import chromium
from tests.conftest import query, write_raw

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
WINDOW = {
    "endpoint": "api/v2.1/admin/statistics/active-users/",
    "name": "may",
    "params": {"start": "2024-05-01 00:00:00", "end": "2024-05-07 00:00:00"},
}

pytestmark = pytest.mark.long  # conftest starts the long tests first


def wait_for(what: str, check, timeout: float, every: float = 1.0):
    """check()'s first truthy answer, polled; a failure naming what never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answer := check():
            return answer
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


def processes_with(marker: str) -> list[int]:
    """The processes whose environment holds marker (what `schedule` started carries its
    PREFECT_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile, or not ours to read
                pass
    return found


def runs(wh: Path) -> list[tuple]:
    if not (wh / "parquet/_catalog/current.json").exists():
        return []
    return query(wh, "select status, message from runs order by run_id")


def between_runs(api: httpx.Client) -> bool:
    """No flow run in flight, and the every-minute cron not due within 15 s."""
    try:
        flow_runs = api.post("/flow_runs/filter", json={}).json()
    except httpx.HTTPError:
        return True  # the server is gone: nothing can be in flight
    in_flight = [r for r in flow_runs if r["state_type"] in ("PENDING", "RUNNING", "CANCELLING")]
    return not in_flight and 2 < time.time() % 60 < 45


def test_schedule_fires_runs_shows_them_and_stops_everything(tmp_path):
    raw, wh, stuck_wh = tmp_path / "raw", tmp_path / "wh", tmp_path / "wh-stuck"
    write_raw(raw, "seatable_user_activity", [{"username": "a", "timestamp": "2024-05-01T10:00Z"}])
    # A source that accepts the connection and never answers: a run to cancel mid-way.
    silent = socket.create_server(("127.0.0.1", 0))
    (tmp_path / "stuck.yaml").write_text(
        yaml.safe_dump(
            {
                "warehouse": str(stuck_wh),
                "raw": str(raw),
                "sources": {"coder": {"dsn_env": "STUCK_DSN"}},
                "reports": [WINDOW],
            }
        )
    )
    (tmp_path / "flows.yaml").write_text(
        yaml.safe_dump(
            {
                "warehouse": "wh",
                "raw": "raw",
                "deployments": [
                    {"name": "nightly", "flow": "nightly", "cron": "* * * * *"},
                    {
                        "name": "stuck",
                        "flow": "nightly",
                        "cron": "0 0 1 1 *",
                        "parameters": {"config": str(tmp_path / "stuck.yaml")},
                    },
                ],
                "reports": [WINDOW],
            }
        )
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "HOME": str(home),
        "STUCK_DSN": f"postgresql://reader:secret@127.0.0.1:{silent.getsockname()[1]}/coder",
    }
    port = free_port()
    out = tmp_path / "schedule.out"
    command = [sys.executable, "-m", "pipelines", "schedule", "--port", str(port)]
    with open(out, "wb") as sink:
        # Its own process group, as a shell's foreground job: Ctrl-C reaches the group.
        schedule = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=sink, stderr=sink, start_new_session=True
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=10)
    prefect_home = f"PREFECT_HOME={wh / '.prefect'}"
    try:
        banner = wait_for(
            "the banner with the UI address",
            lambda: re.search(r"(http://127\.0\.0\.1:\d+)/deployments", out.read_text()),
            180,
        )
        ui = banner.group(1)
        assert f"usage-warehouse trigger --port {port}" in out.read_text()

        # Runs of the every-minute cron, nobody triggering them, land in the warehouse. The
        # second comes a minute after the first: the UI and the cancelled run are checked
        # meanwhile (neither touches the cron's warehouse), the hand-made run after it.
        def completed_runs(enough: int) -> list[dict]:
            flow_runs = api.post("/flow_runs/filter", json={"sort": "START_TIME_ASC"}).json()
            done = [r for r in flow_runs if r["state_type"] == "COMPLETED"]
            return done if len(done) >= enough else []

        first = wait_for("a scheduled run completed", lambda: completed_runs(1), 200, 2)

        def trigger(*args: str, timeout: float) -> subprocess.CompletedProcess:
            """`usage-warehouse trigger --port <port>` as the banner prints it, with args."""
            return subprocess.run(
                [sys.executable, "-m", "pipelines", "trigger", "--port", str(port), *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )

        # The printed address shows that run in Prefect's UI.
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{ui}/runs")
            page.wait_for_selector(f"text={first[0]['name']}", timeout=60_000)
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "prefect-ui-runs.png"))

        # A run cancelled mid-collect (the UI's Cancel) is recorded as interrupted.
        started = trigger("--deployment", "stuck", timeout=120)
        assert started.returncode == 0, started.stderr
        run_id = started.stderr.strip().rsplit("/", 1)[1]
        wait_for(
            "the stuck run running",
            lambda: api.get(f"/flow_runs/{run_id}").json()["state_type"] == "RUNNING",
            90,
        )
        time.sleep(3)  # into its collect, waiting on the silent server
        cancelling = {"state": {"type": "CANCELLING", "name": "Cancelling"}, "force": True}
        assert api.post(f"/flow_runs/{run_id}/set_state", json=cancelling).status_code < 300
        wait_for(
            "the stuck run cancelled",
            lambda: api.get(f"/flow_runs/{run_id}").json()["state_type"] == "CANCELLED",
            90,
        )
        assert wait_for("its row in runs", lambda: runs(stuck_wh), 30) == [
            ("interrupted", "interrupted by SIGTERM")
        ]

        completed = wait_for("two scheduled runs completed", lambda: completed_runs(2), 200, 2)
        assert all(r["auto_scheduled"] for r in completed)  # created by the scheduler
        assert completed[0]["id"] == first[0]["id"]  # the one the UI showed
        assert runs(wh)[:2] == [("ok", ""), ("ok", "")]

        # `trigger`, as the banner prints it, starts a run by hand.
        triggered = trigger("--wait", timeout=180)
        assert triggered.returncode == 0, triggered.stderr
        assert re.search(rf"run COMPLETED: {ui}/runs/flow-run/[0-9a-f-]+", triggered.stderr)
    finally:
        # Ctrl-C between runs: a run in flight gets the terminal's SIGINT too, and Prefect's
        # engine may print a traceback for it (known, see docs/operating.md).
        wait_for("a quiet moment between runs", lambda: between_runs(api), 75)
        os.killpg(schedule.pid, signal.SIGINT)  # Ctrl-C
        try:
            schedule.wait(timeout=60)
            time.sleep(2)  # a process that would outlive it has had time to end
            left = processes_with(prefect_home)
        finally:
            silent.close()
            for pid in processes_with(prefect_home):  # never leave the machine busy
                os.kill(pid, signal.SIGKILL)
    said = out.read_text()
    assert schedule.returncode == 0, said[-3000:]
    assert said.rstrip().endswith(
        "stopped: the scheduler, its Prefect server and the runs it started"
    )
    assert "Traceback" not in said, said[said.find("Traceback") - 300 :][:4000]
    assert left == []
    assert list(home.iterdir()) == []  # nothing in the home folder (no ~/.prefect)
