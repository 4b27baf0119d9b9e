"""SIGKILL a real run (and a real `forget`) at several points: the published state
survives, the next run heals (an erasure decided before the kill is completed).

Each run happens in a child process driven by a small script that kills itself (SIGKILL,
no clean-up of any kind) at the chosen point.
"""

from __future__ import annotations

import gzip
import os
import shutil
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


@pytest.fixture(scope="module")
def killable(tmp_path_factory) -> tuple[Path, Path, tuple, tuple]:
    """A warehouse of one run and its state; the raw tree with two files more, which each
    case's killed run reads; the state of a warehouse built from that tree uninterrupted."""
    base = tmp_path_factory.mktemp("killable")
    raw, root = base / "raw", base / "wh"
    write_raw(raw, "seatable_user_activity", [day("a", 1), day("b", 2)], "a.ndjson")
    assert drive(root, raw, "never") == 0
    before = state(root)
    write_raw(raw, "seatable_user_activity", [day("c", 3)], "b.ndjson")
    write_raw(raw, "seatable_user_activity", [day("d", 4)], "c.ndjson")
    assert drive(base / "reference", raw, "never") == 0
    return root, raw, before, state(base / "reference")


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_kill_at_any_point(tmp_path, killable, kill_at):
    first, raw, before, reference = killable
    root = tmp_path / "wh"
    shutil.copytree(first, root, symlinks=True)

    assert drive(root, raw, kill_at) == -signal.SIGKILL
    after_kill = state(root)
    if kill_at in ("swap", "duckdb"):
        assert after_kill[1] != before[1]  # committed: the new data is live
    else:
        assert after_kill == before  # not committed: readers see exactly the old state

    assert drive(root, raw, "never") == 0
    assert state(root) == reference
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


# ---------------------------------------------------------------- forget

FORGET_DRIVER = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from pipelines import pipeline, storage
from pipelines.config import ReportWindow, Settings
from pipelines import forget as erasure

root, command, kill_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
prefix, _, nth = kill_at.partition("#")
seen = 0

def progress(message):
    global seen
    if message.startswith(prefix):
        seen += 1
        if seen == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)

settings = Settings(reports=[ReportWindow(
    endpoint="api/v2.1/admin/statistics/active-users/", name="may",
    params={"start": "2024-05-01 00:00:00", "end": "2024-05-07 00:00:00"})],
    retention={"reports": 2})
wh = storage.Warehouse(root)
if command == "run":
    pipeline.run_nightly(settings, wh, None, datetime.fromisoformat("2024-05-08T00:00:00+00:00"), progress=progress)
else:
    try:
        erasure.forget(settings, wh, ["a@x.org"], progress=progress)
    except erasure.NotFound:
        sys.exit(3)
"""

FORGET_KILL_POINTS = [
    ("rewriting seatable/", "old"),  # the raw files, written beside themselves
    ("publishing the report set", "old"),  # records, facts, report sets written, undecided
    ("installing the catalog", "decided"),  # the journal written, nothing applied
    ("renaming#2", "decided"),  # one raw file renamed into place, not the other
]
KEY_ENV = {"USAGE_WAREHOUSE_PSEUDONYM_KEY": "a-test-key-of-enough-characters"}


def drive_forget(root: Path, command: str, kill_at: str = "never") -> int:
    return subprocess.run(
        [sys.executable, "-c", FORGET_DRIVER, str(root), command, kill_at],
        timeout=120,
        env={**os.environ, **KEY_ENV},
    ).returncode


def forget_state(root: Path) -> tuple:
    """What a reader sees, and the raw tree: every file's lines (gzip read), but the
    temporary dot files no ingest reads."""
    wh = storage.Warehouse(root)
    raw = {
        p.relative_to(wh.default_raw).as_posix(): gzip.decompress(p.read_bytes())
        if p.name.endswith(".gz")
        else p.read_bytes()
        for p in sorted(wh.default_raw.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
    return (*state(root), raw, wh.forgotten.exists())


@pytest.fixture(scope="module")
def forgettable(tmp_path_factory) -> tuple[Path, tuple, tuple]:
    """A warehouse of two runs holding a@x.org in two raw files (one gzip) and a script
    run; its state; the state after an uninterrupted forget."""
    base = tmp_path_factory.mktemp("forgettable") / "wh"
    raw = storage.Warehouse(base).default_raw
    write_raw(
        raw, "seatable_user_activity", [day("a@x.org", 1), day("b", 1)], "2024/05/01/a.ndjson"
    )
    assert drive_forget(base, "run") == 0
    path = write_raw(
        raw, "seatable_user_activity", [day("b", 2), day("a@x.org", 3)], "2024/05/03/b.ndjson"
    )
    path.with_name("b.ndjson.gz").write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    run = {"id": 7, "dtable_uuid": "d", "owner": "a@x.org", "script_name": "s.py",
           "started_at": "2024-05-03T10:00:00Z", "finished_at": "2024-05-03T10:00:05Z", "success": True}  # fmt: skip
    write_raw(raw, "seatable_script_runs", [run], "2024/05/03/c.ndjson")
    assert drive_forget(base, "run") == 0
    reference = base.parent / "reference"
    shutil.copytree(base, reference, symlinks=True)
    assert drive_forget(reference, "forget") == 0
    return base, forget_state(base), forget_state(reference)


@pytest.mark.parametrize(("kill_at", "after_kill"), FORGET_KILL_POINTS)
def test_kill_forget_at_any_point(tmp_path, forgettable, kill_at, after_kill):
    base, before, erased = forgettable
    root = tmp_path / "wh"
    shutil.copytree(base, root, symlinks=True)
    assert drive_forget(root, "forget", kill_at) == -signal.SIGKILL
    if after_kill == "old":  # not decided: readers and the raw tree see exactly the old state
        assert forget_state(root) == before
    else:
        assert storage.Warehouse(root).erasure_journal.exists()
    if kill_at == "rewriting seatable/":  # a run in between sweeps the raw files written aside
        assert drive_forget(root, "run") == 0
        assert not list(root.rglob("*.erasure")) and forget_state(root)[1:] == before[1:]
    # The next forget (or, once decided, the next run) completes it: the person is gone.
    command = "run" if kill_at == "renaming#2" else "forget"
    assert drive_forget(root, command) == 0
    assert forget_state(root)[1:] == erased[1:]
    if command == "forget":
        assert forget_state(root)[0] == erased[0]
    assert_only_cataloged_files(root)
    assert (
        not list(root.rglob("*.erasure")) and not storage.Warehouse(root).erasure_journal.exists()
    )
    assert b"a@x.org" not in b"".join(forget_state(root)[3].values())
