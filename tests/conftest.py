"""Shared fixtures: small warehouses built from hand-written records through the real path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from pipelines import endpoints, records, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context
from pipelines.extract.ingest import ingest
from pipelines.transform.runner import build_facts


def write_raw(raw: Path, table: str, rows: list[dict | str], name: str = "part.ndjson") -> Path:
    """Write rows (dicts, or verbatim lines) as one raw file of a record kind."""
    kind = records.BY_TABLE[table]
    path = raw / kind.source / kind.kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in rows]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def reports(root: Path) -> dict[str, bytes]:
    """The published report files of a warehouse (not the manifest), path -> bytes."""
    folder = storage.Warehouse(root).reports
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.json"))
        if p.name != "manifest.json"
    }


def query(root: Path, sql: str) -> list[tuple]:
    """Rows of one query over a warehouse's committed state."""
    con = storage.open_warehouse(storage.Warehouse(root))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


class MiniWarehouse:
    """A warehouse in tmp_path: add records, build, ask endpoints."""

    def __init__(self, root: Path, settings: Settings):
        self.wh = storage.Warehouse(root / "wh")
        self.raw = root / "raw"
        self.settings = settings
        self._files = 0

    def add(self, table: str, rows: list[dict | str]) -> Path:
        self._files += 1
        return write_raw(self.raw, table, rows, f"part-{self._files:04d}.ndjson")

    def build(self) -> None:
        run_id = f"test-{self._files:04d}"
        ingest(self.wh, self.raw, run_id, date(2024, 1, 1))
        build_facts(self.wh, self.settings, run_id=run_id)

    def call(self, target: str, now: datetime | str = "2030-01-01T00:00:00Z") -> tuple[int, dict]:
        if isinstance(now, str):
            now = datetime.fromisoformat(now)
        con = storage.open_warehouse(self.wh)
        try:
            return endpoints.call(Context(con, now.astimezone(UTC), self.settings), target)
        finally:
            con.close()


@pytest.fixture
def mini(tmp_path: Path) -> Callable[..., MiniWarehouse]:
    """mini(timezone="UTC", **settings) -> an empty MiniWarehouse in tmp_path."""

    def make(**overrides) -> MiniWarehouse:
        return MiniWarehouse(tmp_path, Settings(**overrides))

    return make


@pytest.fixture(scope="session")
def prefect_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One real Prefect server for the whole session; flow tests run their flows against it.

    Tests using it carry `@pytest.mark.xdist_group("prefect")` so one worker starts it once.
    """
    from pipelines import scheduling

    home = tmp_path_factory.mktemp("prefect-home")
    port = scheduling.free_port()
    proc = scheduling.start_server(home, port, home / "server.log")
    try:
        yield scheduling.server_env(home, port)
    finally:
        scheduling.stop_server(proc)


@pytest.fixture(scope="session")
def postgres() -> Iterator:
    """A real PostgreSQL server for the session (each xdist worker its own)."""
    from tests import postgres as pg

    yield from pg.server()
