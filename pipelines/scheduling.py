"""A Prefect server on loopback, with its UI, for real scheduling (`schedule`, `trigger`)
and the flow tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pipelines import prefect_setup
from pipelines.config import Settings


class SchedulerUnreachable(RuntimeError):
    """No Prefect server answers where `schedule` would serve."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_log(home: Path) -> Path:
    """Where the Prefect server `schedule` starts writes its log."""
    return home / "server.log"


def server_env(home: Path, port: int) -> dict[str, str]:
    """Environment for the server and for every client talking to it."""
    env = {**prefect_setup.DEFAULTS, **os.environ}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_UI_URL=f"http://127.0.0.1:{port}",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


def start_server(home: Path, port: int, log: Path, timeout: float = 180) -> subprocess.Popen:
    """Start `prefect server start` (API and UI) and wait until its API answers."""
    env = server_env(home, port)
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    url = f"{env['PREFECT_API_URL']}/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise TimeoutError(f"prefect server did not answer on {url} within {timeout:.0f} s; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server, once the logs this process still queues for it are sent (Prefect
    would report failing to send them as the process exits)."""
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def banner(settings: Settings, api_url: str, home: Path, config: Path | None) -> str:
    """What `schedule` says once it serves: where to watch, how to trigger, where logs go."""
    ui = api_url.removesuffix("/api")
    port = ui.rsplit(":", 1)[1]
    config_option = f" --config {config}" if config else ""
    crons = ", ".join(f"{d.name} ({d.cron}, {settings.timezone})" for d in settings.deployments)
    return (
        f"serving {crons}\n"
        f"  watch runs, logs, and run one now (a deployment's Run button): {ui}/deployments\n"
        f"  trigger a run from a shell: usage-warehouse trigger --port {port}{config_option}\n"
        f"  the server's log: {server_log(home)}; the runs' logs: in the UI\n"
        "  Ctrl-C stops everything"
    )


def trigger(name: str, port: int, wait: bool) -> tuple[str, str]:
    """Create a run of deployment `name` ("flow/deployment") on the server at port, as the
    UI's Run button does; (its UI address, its state: SCHEDULED, or the final one)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5):
            pass
    except OSError:
        raise SchedulerUnreachable(
            f"no Prefect server answers on 127.0.0.1:{port}: start `usage-warehouse schedule`"
        ) from None
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        flow_run = run_deployment(name, timeout=None if wait else 0)
    except ObjectNotFound:
        raise SchedulerUnreachable(
            f"the Prefect server on 127.0.0.1:{port} does not serve {name}: is it this "
            "warehouse's `schedule`?"
        ) from None
    return f"http://127.0.0.1:{port}/runs/flow-run/{flow_run.id}", flow_run.state.type.value
