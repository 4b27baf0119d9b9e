"""What the tests' servers share: a folder of their own that the server's user owns (the
database servers of tests/postgres.py and tests/mariadb.py), and a loopback port that is
really theirs (those and the shared Prefect server of conftest.py)."""

from __future__ import annotations

import os
import pwd
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipelines.scheduling import free_port

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
