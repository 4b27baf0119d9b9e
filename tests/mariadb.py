"""A real MariaDB server for the tests, started and stopped by them.

When the tests run as root the server runs as `nobody`, in a fresh folder of its own under
the system temp folder (pytest's folders are private to root), with its data and socket
there and a loopback port. root connects through the socket without a password (the
loaders); TCP needs a password (so a wrong password is a real failure). Settings trade
durability for speed: a server starts in a second or two and is killed when done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pymysql
import pytest
from pymysql.constants import CLIENT

from tests.servers import private_folder, start_on_a_free_port

SUPERUSER_PASSWORD = "test-superuser-password"
# Small, fast and throw-away: no binary log, no flush at commit, little memory.
OPTIONS = (
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=16M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--skip-name-resolve",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci",
)


def binary(name: str) -> str:
    """A MariaDB program: on PATH, or in /usr/sbin (Debian's server, off a user's PATH)."""
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
    if found is None:
        pytest.fail(f"MariaDB's {name} is not installed: `make test` installs it")
    return found


class Server:
    """One running server; dsn() builds connection URLs for it, admin() connects as root."""

    def __init__(self) -> None:
        self.folder, self.owner = private_folder("usage-warehouse-mariadb-")
        self.socket = self.folder / "mariadb.sock"
        data = self.folder / "data"
        subprocess.run(
            [
                binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *OPTIONS,
            ],
            capture_output=True,
            check=True,
            cwd=self.folder,
            timeout=120,
            **self._as_owner(),
        )
        self.log = self.folder / "server.log"
        self.port = start_on_a_free_port(self._start, self.log)
        with self.admin() as conn, conn.cursor() as cursor:
            cursor.execute(
                "create or replace user 'root'@'127.0.0.1' identified by %s", (SUPERUSER_PASSWORD,)
            )
            cursor.execute("grant all on *.* to 'root'@'127.0.0.1' with grant option")

    def _start(self, port: int) -> None:
        self.process = subprocess.Popen(
            [
                binary("mariadbd"),
                "--no-defaults",
                f"--datadir={self.folder / 'data'}",
                f"--socket={self.socket}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.folder / 'mariadb.pid'}",
                f"--log-error={self.log}",
                *OPTIONS,
            ],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **self._as_owner(),
        )
        self._wait()

    def _as_owner(self) -> dict:
        owner = self.owner
        return {"user": owner.pw_uid, "group": owner.pw_gid} if owner else {}

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.admin().close()
                return
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.log.read_text() if self.log.exists() else ""
                    raise RuntimeError(f"mariadbd did not start: {log[-2000:]}") from None
                time.sleep(0.05)

    def admin(self, database: str | None = None) -> pymysql.Connection:
        """root over the socket, autocommit, several statements a call allowed."""
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            database=database,
            charset="utf8mb4",
            autocommit=True,
            client_flag=CLIENT.MULTI_STATEMENTS,
        )

    def execute(self, sql: str, params: tuple | dict | None = None, database: str | None = None):
        """Run SQL as root (several statements when no params); returns the last rows."""
        with self.admin(database) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            while cursor.nextset():
                rows = cursor.fetchall()
            return rows

    def dsn(self, database: str = "", user: str = "root", password: str | None = None) -> str:
        secret = SUPERUSER_PASSWORD if password is None else password
        return f"mysql://{user}:{secret}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self.process.kill()  # its data is thrown away: no clean shutdown needed
            self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def server() -> Iterator[Server]:
    running = Server()
    try:
        yield running
    finally:
        running.stop()
