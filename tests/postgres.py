"""A real PostgreSQL server for the tests, started and stopped by them.

PostgreSQL refuses to run as root: when the tests run as root the server runs as `nobody`,
in a fresh folder of its own under the system temp folder (pytest's folders are private to
root). It listens on a socket in that folder and on a loopback port; local connections
are trusted, TCP ones need a password (so a wrong password is a real failure).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator

import psycopg
import pytest

from tests.servers import private_folder, start_on_a_free_port

SUPERUSER_PASSWORD = "test-superuser-password"


def binary(name: str) -> str:
    """A PostgreSQL program: on PATH, else the newest of Debian's /usr/lib/postgresql."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is not installed: `make test` installs it")
    return found


class Server:
    """One running server; dsn() builds connection URLs for it."""

    def __init__(self) -> None:
        self.folder, self.owner = private_folder("usage-warehouse-pg-")
        (self.folder / "pwfile").write_text(SUPERUSER_PASSWORD + "\n")
        if self.owner:
            os.chown(self.folder / "pwfile", self.owner.pw_uid, self.owner.pw_gid)
        self._run(
            binary("initdb"),
            "-D",
            str(self.folder / "data"),
            "-U",
            "postgres",
            "--pwfile",
            str(self.folder / "pwfile"),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.port = start_on_a_free_port(self._start, self.folder / "server.log")

    def _start(self, port: int) -> None:
        options = (
            f"-k {self.folder} -h 127.0.0.1 -p {port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            binary("pg_ctl"),
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def _run(self, *args: str) -> None:
        owner = self.owner
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            cwd=self.folder,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            timeout=120,
        )
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}")

    def dsn(
        self, database: str = "postgres", user: str = "postgres", password: str | None = None
    ) -> str:
        secret = SUPERUSER_PASSWORD if password is None else password
        return f"postgresql://{user}:{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, schema: str = "") -> str:
        """A new empty database (with the given SQL run in it); its superuser URL."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}"')
            conn.execute(f'create database "{name}"')
        dsn = self.dsn(name)
        if schema:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(schema)
        return dsn

    def stop(self) -> None:
        try:
            self._run(binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class Database:
    """A product's database in the test server, by its superuser URL."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def execute(self, sql: str, params: dict | None = None) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql, params)


def server() -> Iterator[Server]:
    running = Server()
    try:
        yield running
    finally:
        running.stop()
