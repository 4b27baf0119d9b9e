"""SIGKILL a real run at several points: the published state survives, the next run heals.

Each run happens in a child process driven by a small script that kills itself (SIGKILL,
no clean-up of any kind) at the chosen point.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import storage
from tests.conftest import assert_only_cataloged_files, write_raw

DRIVER = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from pipelines import pipeline, storage
from pipelines.config import ReportWindow, Settings

root, raw, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def die(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)

def progress(message):
    if kill_at != "never" and message.startswith(kill_at):
        die()

patched = {
    "commit": (storage.Catalog, "commit"),
    "swap": (storage, "swap_reports"),
    "duckdb": (storage, "rebuild_duckdb_file"),
}
if kill_at in patched:
    owner, name = patched[kill_at]
    setattr(owner, name, die)
settings = Settings(reports=[ReportWindow(
    endpoint="api/v2.1/admin/statistics/active-users/", name="may",
    params={"start": "2024-05-01 00:00:00", "end": "2024-05-07 00:00:00"})])
pipeline.run_nightly(settings, storage.Warehouse(root), raw,
                     datetime.fromisoformat("2024-05-08T00:00:00+00:00"), progress=progress)
"""

KILL_POINTS = [
    "reading seatable/user_activity/b",  # extract, second file
    "merging seatable_user_activity",  # merge into partitions
    "building fct_active_users_weekly",  # transform, after the daily fact
    "commit",  # everything written, nothing committed
    "swap",  # committed, reports not yet swapped
    "duckdb",  # reports swapped, usage.duckdb not yet rebuilt
]


def drive(root: Path, raw: Path, kill_at: str) -> int:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, str(root), str(raw), kill_at], timeout=120
    ).returncode


def state(root: Path) -> tuple:
    """What readers see: the published reports, the facts, usage.duckdb's answer."""
    wh = storage.Warehouse(root)
    reports = {
        p.relative_to(wh.reports).as_posix(): p.read_bytes()
        for p in sorted(wh.reports.rglob("*.json"))
        if p.name != "manifest.json"
    }
    con = storage.open_warehouse(wh)
    facts = con.execute("select * from fct_active_users_daily order by all").fetchall()
    con.close()
    db = duckdb.connect(str(wh.duckdb_file), read_only=True)
    via_file = db.execute("select count(*) from seatable_user_activity").fetchall()[0]
    db.close()
    return reports, facts, via_file


def day(user: str, n: int) -> dict:
    return {"username": user, "timestamp": f"2024-05-0{n}T10:00:00Z"}


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_at_any_point(tmp_path, kill_at):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", [day("a", 1), day("b", 2)], "a.ndjson")
    root = tmp_path / "wh"
    assert drive(root, raw, "never") == 0
    before = state(root)
    write_raw(raw, "seatable_user_activity", [day("c", 3)], "b.ndjson")
    write_raw(raw, "seatable_user_activity", [day("d", 4)], "c.ndjson")

    assert drive(root, raw, kill_at) == -signal.SIGKILL
    after_kill = state(root)
    if kill_at in ("swap", "duckdb"):
        assert after_kill[1] != before[1]  # committed: the new data is live
    else:
        assert after_kill == before  # not committed: readers see exactly the old state

    assert drive(root, raw, "never") == 0
    reference = tmp_path / "reference"
    assert drive(reference, raw, "never") == 0
    assert state(root) == state(reference)
    assert_only_cataloged_files(root)  # healed: the killed run's files are gone


def test_open_reader_does_not_block_a_run(tmp_path):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", [day("a", 1)], "a.ndjson")
    root = tmp_path / "wh"
    assert drive(root, raw, "never") == 0
    reader = duckdb.connect(str(storage.Warehouse(root).duckdb_file), read_only=True)
    try:
        write_raw(raw, "seatable_user_activity", [day("b", 2)], "b.ndjson")
        assert drive(root, raw, "never") == 0
        # The open reader keeps its snapshot; the files it names are still there.
        assert reader.execute("select count(*) from seatable_user_activity").fetchall()[0] == (1,)
    finally:
        reader.close()
    assert state(root)[2] == (2,)
