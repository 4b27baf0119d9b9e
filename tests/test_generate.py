"""The sample data generator: deterministic, day by day independent, complete, and clean
through the real ingest."""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import orjson
import pytest

from pipelines import records
from pipelines.extract.ingest import ingest
from pipelines.generate import generate
from pipelines.generate.common import Output
from pipelines.storage import Warehouse

START = date(2026, 3, 2)  # a Monday


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def lines(root: Path, source: str, kind: str) -> list[dict]:
    return [
        orjson.loads(line)
        for path in sorted((root / source / kind).rglob("*.ndjson"))
        for line in path.read_bytes().splitlines()
    ]


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven small days, shared by the tests that only read them."""
    root = tmp_path_factory.mktemp("week")
    generate(root, 7, START, "small", 1)
    return root


def test_same_arguments_same_bytes_other_seed_other_bytes(tmp_path):
    generate(tmp_path / "a", 3, START, "small", 5)
    generate(tmp_path / "b", 3, START, "small", 5)
    generate(tmp_path / "c", 3, START, "small", 6)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    other = tree(tmp_path / "c")
    assert all(other[name] != data for name, data in tree(tmp_path / "a").items() if name in other)


def test_adding_days_changes_no_earlier_day(tmp_path):
    generate(tmp_path / "short", 2, START, "small", 5)
    generate(tmp_path / "long", 5, START, "small", 5)
    short, long = tree(tmp_path / "short"), tree(tmp_path / "long")
    assert short and all(long[name] == data for name, data in short.items())
    assert len(long) > len(short)


# Coder's own rollup is not generated: the generated tree holds the raw stats of every day,
# which the rollup only summarises (tests/coder_pg.py builds it in PostgreSQL instead).
NOT_GENERATED = {"coder_template_usage_stats"}


def test_every_kind_has_lines_in_its_day_folders(week):
    for kind in records.KINDS:
        if kind.table in NOT_GENERATED:
            continue
        folder = week / kind.source / kind.kind
        files = sorted(folder.rglob("*.ndjson"))
        assert files, kind.table
        for file in files:
            year, month, day = file.parent.relative_to(folder).parts
            assert file.name == f"{kind.kind}-{year}{month}{day}.ndjson"
        assert lines(week, kind.source, kind.kind), kind.table


def test_every_line_ingests_and_only_deliberate_copies_repeat_a_key(tmp_path):
    raw = tmp_path / "raw"
    summary = generate(raw, 3, START, "small", 2)
    result = ingest(Warehouse(tmp_path / "wh"), raw, "run1", START)
    assert result.rejected == 0 and result.reconciles and not result.ignored
    assert result.lines_read == summary.records
    # The only repeated keys: live app sessions re-exported the next day, and users seen
    # more than once a day in SeaTable (the key is username and day).
    sessions = Counter(
        (r["agent_id"], r["session_id"]) for r in lines(raw, "coder", "workspace_app_stats")
    )
    seatable = Counter(
        (r["username"], r["timestamp"][:10]) for r in lines(raw, "seatable", "user_activity")
    )
    live = sum(n - 1 for n in sessions.values())
    assert live > 0
    assert result.duplicates == live + sum(n - 1 for n in seatable.values())


def test_gzip_files_ingest_the_same_records(tmp_path):
    plain = generate(tmp_path / "plain", 2, START, "small", 1)
    zipped = generate(tmp_path / "zipped", 2, START, "small", 1, gzip=True)
    files = sorted((tmp_path / "zipped").rglob("*"))
    assert all(p.name.endswith(".ndjson.gz") for p in files if p.is_file())
    assert all(p.read_bytes()[4:8] == b"\0\0\0\0" for p in files if p.is_file())  # mtime 0
    assert zipped.records == plain.records and zipped.per_kind == plain.per_kind
    result = ingest(Warehouse(tmp_path / "wh"), tmp_path / "zipped", "run1", START)
    assert (result.lines_read, result.rejected) == (plain.records, 0)
    unzipped = {
        name.removesuffix(".gz"): gzip.decompress(data)
        for name, data in tree(tmp_path / "zipped").items()
    }
    assert unzipped == tree(tmp_path / "plain")


def test_builds_start_and_stop_with_consecutive_numbers(week):
    builds = defaultdict(list)
    for b in lines(week, "coder", "workspace_builds"):
        builds[b["workspace_id"]].append((b["build_number"], b["transition"], b["created_at"]))
    assert builds
    for history in builds.values():
        history.sort()
        numbers = [n for n, _, _ in history]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert [at for _, _, at in history] == sorted(at for _, _, at in history)
        transitions = [t for _, t, _ in history if t != "delete"]
        # Starts and stops alternate (a history may begin with last night's stop).
        assert all(a != b for a, b in zip(transitions, transitions[1:], strict=False))


def test_live_sessions_grow_and_agents_report_every_30_seconds(week):
    copies = defaultdict(list)
    for s in lines(week, "coder", "workspace_app_stats"):
        copies[(s["agent_id"], s["session_id"])].append(s)
    live = [c for c in copies.values() if len(c) > 1]
    assert live
    assert all(c[0]["session_ended_at"] < c[1]["session_ended_at"] for c in live)
    reports = defaultdict(list)
    for r in lines(week, "coder", "workspace_agent_stats"):
        assert r["connection_count"] > 0
        reports[r["agent_id"]].append(r["created_at"])
    assert all(len(set(t[-5:] for t in times)) == 1 for times in reports.values())  # same ms


def test_rocketchat_writes_mongoexports_relaxed_form_by_default(week):
    stamps = [m["ts"] for m in lines(week, "rocketchat", "messages")]
    assert all(isinstance(s["$date"], str) and s["$date"].endswith("Z") for s in stamps)
    statistics = lines(week, "rocketchat", "statistics")
    assert len({s["uniqueId"] for s in statistics}) == 1 and len(statistics) == 7
    assert isinstance(statistics[0]["instanceCount"], int)


def test_rocketchat_canonical_form_wraps_dates_and_numbers(tmp_path):
    generate(tmp_path, 1, START, "small", 2, mongo_json="canonical")
    message = next(m for m in lines(tmp_path, "rocketchat", "messages") if "tcount" in m)
    assert set(message["ts"]["$date"]) == {"$numberLong"}
    assert set(message["tcount"]) == {"$numberInt"}
    (statistics,) = lines(tmp_path, "rocketchat", "statistics")
    assert set(statistics["os"]["totalmem"]) == {"$numberLong"}
    assert set(statistics["os"]["loadavg"][0]) == {"$numberDouble"}
    assert isinstance(statistics["installedAt"], str)  # a string in Rocket.Chat too


def test_weekends_are_quiet(week):
    per_day = Counter(r["created_at"][:10] for r in lines(week, "coder", "workspace_agent_stats"))
    weekdays = [n for day, n in per_day.items() if date.fromisoformat(day).weekday() < 5]
    weekend = [n for day, n in per_day.items() if date.fromisoformat(day).weekday() >= 5]
    assert max(weekend) < min(weekdays)


def test_big_kinds_can_be_split_into_numbered_files(tmp_path):
    out = Output(tmp_path, gzip=False)
    out.lines("coder", "workspace_agent_stats", START, ['{"a":1}'], part=3)
    out.close_day()
    assert list(tree(tmp_path)) == [
        "coder/workspace_agent_stats/2026/03/02/workspace_agent_stats-20260302-03.ndjson"
    ]


@pytest.mark.parametrize(
    ("days", "scale", "message"), [(0, "small", "--days"), (1, "huge", "unknown scale 'huge'")]
)
def test_bad_arguments(tmp_path, days, scale, message):
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, days, START, scale)
