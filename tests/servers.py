"""What the tests' servers share: a folder of their own that the server's user owns (the
database servers of tests/postgres.py and tests/mariadb.py), a loopback port that is
really theirs (those, the shared Prefect server of conftest.py and `usage-warehouse
serve`), and `serve` itself, running with every scope's credentials."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from pipelines.scheduling import free_port

ROOT = Path(__file__).resolve().parent.parent

PORT_ATTEMPTS = 5


def private_folder(prefix: str) -> tuple[Path, pwd.struct_passwd | None]:
    """A fresh folder under the system temp folder, and the user the server runs as: when
    the tests run as root, `nobody`, who owns the folder (pytest's folders are private to
    root, and PostgreSQL refuses to run as root); else None (the tests' own user)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    if owner:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    return folder, owner


def start_on_a_free_port(start: Callable[[int], None], log: Path) -> int:
    """start(port) on a free loopback port; returns the port. A port free when asked may
    be taken before the server binds it (every client's outgoing connection draws from
    the same range): when start fails and the server's log says so (PostgreSQL and MariaDB:
    "Address already in use"; Prefect: "Port N is already in use"), it starts again on
    another, a few times."""
    attempts = PORT_ATTEMPTS
    while True:
        port = free_port()
        log.unlink(missing_ok=True)
        try:
            start(port)
            return port
        except RuntimeError:
            attempts -= 1
            taken = log.exists() and "already in use" in log.read_text(errors="replace")
            if not attempts or not taken:
                raise


# flows.yaml serve.auth naming a variable for every scope (the names docs/serve.md shows),
# and the secrets those variables hold while a test's `serve` runs.
SERVE_AUTH = {
    "coder": {"token_env": "USAGE_WAREHOUSE_CODER_TOKEN"},
    "seatable": {"token_env": "USAGE_WAREHOUSE_SEATABLE_TOKEN"},
    "openl2m": {"token_env": "USAGE_WAREHOUSE_OPENL2M_TOKEN"},
    "rocketchat": {
        "token_env": "USAGE_WAREHOUSE_ROCKETCHAT_TOKEN",
        "user_id_env": "USAGE_WAREHOUSE_ROCKETCHAT_USER_ID",
    },
    "dashboard": {
        "user_env": "USAGE_WAREHOUSE_DASHBOARD_USER",
        "password_env": "USAGE_WAREHOUSE_DASHBOARD_PASSWORD",
    },
}
SERVE_SECRETS = {
    "USAGE_WAREHOUSE_CODER_TOKEN": "coder-secret-token",
    "USAGE_WAREHOUSE_SEATABLE_TOKEN": "seatable-secret-token",
    "USAGE_WAREHOUSE_OPENL2M_TOKEN": "openl2m-secret-token",
    "USAGE_WAREHOUSE_ROCKETCHAT_TOKEN": "rocketchat-secret-token",
    "USAGE_WAREHOUSE_ROCKETCHAT_USER_ID": "rocketchat-admin-id",
    "USAGE_WAREHOUSE_DASHBOARD_USER": "reader",
    "USAGE_WAREHOUSE_DASHBOARD_PASSWORD": "dashboard-secret-password",
}


def serve_config(folder: Path, warehouse: Path, auth: dict | None = None) -> Path:
    """A flows.yaml in folder for `serve` of a warehouse, asking for every scope's
    credentials (or those of `auth`)."""
    config = folder / "serve.yaml"
    content = {"warehouse": str(warehouse), "serve": {"auth": SERVE_AUTH if auth is None else auth}}
    config.write_text(yaml.safe_dump(content))
    return config


def serve_command(*args: str, env: dict | None = None, log=subprocess.PIPE) -> subprocess.Popen:
    """`usage-warehouse serve ARGS` in a child process with the secrets in its
    environment; its output (the access and error log) piped, or into a file."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "serve", *args],
        cwd=ROOT,
        env={**os.environ, **SERVE_SECRETS, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT if log is not subprocess.PIPE else subprocess.PIPE,
        text=True,
    )


@contextmanager
def serving(*args: str, log: Path) -> Iterator[str]:
    """`usage-warehouse serve ARGS` on a free loopback port (unless ARGS name a --host)
    until the block ends, its output into `log`; yields its base URL."""
    started: list[subprocess.Popen] = []
    ports: list[int] = []

    def start(port: int) -> None:
        with open(log, "w") as output:
            server = serve_command(*args, "--port", str(port), log=output)
        started.append(server)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    ports.append(port)
                    return
            except OSError:
                if server.poll() is not None:  # another process took the port first
                    raise RuntimeError(f"serve exited with {server.returncode}") from None
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

    try:
        start_on_a_free_port(start, log)
        yield f"http://127.0.0.1:{ports[-1]}"
    finally:
        for server in started:
            server.terminate()
            server.wait(timeout=30)
