"""Extract: validation of every record kind, rejects, dedupe, snapshots, the file manifest."""

from __future__ import annotations

import gzip
import os
import zlib
from datetime import date
from pathlib import Path

import pytest
import xxhash

from pipelines import records, storage
from pipelines.extract import files, land
from pipelines.extract.ingest import ingest
from tests.conftest import write_raw

SAMPLE = {
    "uuid": "6b1f0e1c-0000-4000-8000-000000000001",
    "str": "text",
    "int": 7,
    "float": 1.5,
    "bool": True,
    "ts": "2024-05-01T10:00:00.123456789+02:00",
    "int_or_str": 11,
    "str_list": ["a", "b"],
    "json": {"nested": [1, 2]},
    "int_map": {"code-server": 3, "[terminal]": 1},
    "user_ref": {"_id": "u1", "username": "ann"},
}
WRONG = {
    "uuid": 5,
    "str": 5,
    "int": 1.5,
    "float": "1.5",
    "bool": "true",
    "ts": 1714550400,
    "int_or_str": 1.5,
    "str_list": [1],
    "json": None,  # any value is a JSON value; see required check instead
    "int_map": {"code-server": 1.5},
    "user_ref": {"username": "no id"},
}


def good_record(kind: records.RecordKind) -> dict:
    return {f.name: SAMPLE[f.type] for f in kind.fields}


def run(tmp_path: Path, run_id: str = "r1"):
    wh = storage.Warehouse(tmp_path / "wh")
    return wh, ingest(wh, tmp_path / "raw", run_id, date(2024, 5, 2))


def table(wh: storage.Warehouse, sql: str) -> list[tuple]:
    con = storage.open_warehouse(wh)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("kind", records.KINDS, ids=lambda k: k.table)
def test_every_kind_validates(tmp_path, kind):
    good = good_record(kind)
    required = next(f for f in kind.fields if f.required and not f.fallback)
    typed = next(f for f in kind.fields if f.type != "json")
    lines = [
        good,
        {k: v for k, v in good.items() if k != required.name},
        {**good, typed.name: WRONG[typed.type]},
        "{not json",
        "[1, 2]",
    ]
    ts_field = next((f for f in kind.fields if f.type == "ts"), None)
    if ts_field:
        lines.append({**good, ts_field.name: "2024-05-01T10:00:00"})  # no offset
        lines.append({**good, ts_field.name: "2024-05-32T10:00:00Z"})
    write_raw(tmp_path / "raw", kind.table, lines)
    wh, result = run(tmp_path)
    assert (result.lines_read, result.accepted, result.rejected) == (len(lines), 1, len(lines) - 1)
    assert result.reconciles
    reasons = [r for (r,) in table(wh, "select reason from rejects order by line")]
    assert reasons[0] == f"missing required field {required.name!r}"
    assert reasons[1].startswith(f"field {typed.name!r}: expected")
    assert reasons[2:4] == ["not JSON", "not a JSON object"]
    if ts_field:
        assert (
            reasons[4:]
            == [f"field {ts_field.name!r}: expected an RFC 3339 timestamp with an offset"] * 2
        )
    (count,) = table(wh, f"select count(*) from {kind.table}")[0]
    assert count == 1


def test_rejects_keep_file_line_and_raw(tmp_path):
    write_raw(
        tmp_path / "raw",
        "seatable_user_activity",
        ['{"username": "a", "timestamp": "2024-05-01T00:00:00Z"}', "", "oops"],
    )
    wh, result = run(tmp_path)
    assert result.lines_read == 2  # the blank line is skipped, not read
    assert table(wh, "select source, kind, file, line, reason, raw from rejects") == [
        ("seatable", "user_activity", "seatable/user_activity/part.ndjson", 3, "not JSON", "oops")
    ]


def test_unknown_fields_kept_out_without_reject(tmp_path):
    write_raw(
        tmp_path / "raw",
        "openl2m_counters",
        [{"name": "changes", "value": 3, "at": "2024-05-01T00:00:00Z", "extra": {"x": 1}}],
    )
    _, result = run(tmp_path)
    assert (result.accepted, result.rejected) == (1, 0)


def test_defaults_for_missing_optional_fields(tmp_path):
    kind = records.BY_TABLE["coder_workspace_agent_stats"]
    rec = {f.name: SAMPLE[f.type] for f in kind.fields if f.required}
    write_raw(tmp_path / "raw", kind.table, [rec])
    wh, _ = run(tmp_path)
    assert table(
        wh, "select connection_median_latency_ms, rx_bytes from coder_workspace_agent_stats"
    ) == [(-1.0, None)]


def test_mongo_dates(tmp_path):
    base = {"_id": "m", "rid": "r", "u": {"_id": "u1"}}
    write_raw(
        tmp_path / "raw",
        "rocketchat_messages",
        [
            {**base, "_id": "m1", "ts": {"$date": "2024-05-01T10:00:00.250Z"}},
            {**base, "_id": "m2", "ts": {"$date": {"$numberLong": "1714557600250"}}},
            {**base, "_id": "m3", "ts": {"$date": "yesterday"}},
        ],
    )
    wh, result = run(tmp_path)
    assert result.rejected == 1
    got = table(
        wh, "select _id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%g') from rocketchat_messages order by 1"
    )
    assert got == [("m1", "2024-05-01T10:00:00.250"), ("m2", "2024-05-01T10:00:00.250")]


def test_truncated_gzip_keeps_lines_before_the_break(tmp_path):
    lines = [f'{{"username": "u{i}", "timestamp": "2024-05-01T00:00:0{i}Z"}}' for i in range(5)]
    blob = gzip.compress(("\n".join(lines) + "\n").encode() * 200, mtime=0)
    path = tmp_path / "raw" / "seatable" / "user_activity" / "cut.ndjson.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(blob[: len(blob) // 2])
    wh, result = run(tmp_path)
    assert result.rejected == 1 and result.accepted == 5 and result.reconciles
    (reason,) = table(wh, "select reason from rejects")[0]
    assert reason.startswith("truncated gzip")


def test_not_utf8_rejects_from_the_break(tmp_path):
    path = tmp_path / "raw" / "seatable" / "user_activity" / "bad.jsonl"
    path.parent.mkdir(parents=True)
    good = b'{"username": "a", "timestamp": "2024-05-01T00:00:00Z"}\n'
    path.write_bytes(good + b'{"username": "\xff", "timestamp": "2024-05-01T00:00:00Z"}\n' + good)
    wh, result = run(tmp_path)
    assert (result.lines_read, result.accepted, result.rejected) == (3, 1, 2)
    assert [line for (line,) in table(wh, "select line from rejects order by line")] == [2, 3]


@pytest.mark.parametrize("compressed", [False, True])
def test_lines_straddling_blocks_are_read_whole_and_numbered(tmp_path, monkeypatch, compressed):
    # Tiny blocks: most lines cross a block boundary; the last line has no line break.
    monkeypatch.setattr(files, "BLOCK_BYTES", 7)
    monkeypatch.setattr(files, "READ_BYTES", 5)
    texts = [f'{{"n": {i}, "pad": "{"x" * (i % 9)}"}}' for i in range(40)]
    body = ("\n".join(texts[:30]) + "\n\xff\n" + "\n".join(texts[30:])).encode("latin-1")
    path = tmp_path / ("f.ndjson.gz" if compressed else "f.ndjson")
    path.write_bytes(gzip.compress(body, mtime=0) if compressed else body)
    rows = [r for block in files.read_blocks(path) for r in block.lines().to_pylist()]
    assert [r["_line"] for r in rows] == list(range(1, 42))
    assert [r["raw"].rstrip("\n") for r in rows[:30]] == texts[:30]
    assert all(r["broken"] is None for r in rows[:30])
    offset = len("\n".join(texts[:30])) + 1
    assert rows[30]["broken"] == (
        f"not UTF-8 (invalid start byte at byte {offset}); rest of file rejected"
    )
    assert {r["broken"] for r in rows[30:]} == {rows[30]["broken"]}
    assert rows[-1]["raw"] == texts[-1]


LINE = b'{"a":1}\n'  # 8 bytes: a survey step in the test below


@pytest.mark.parametrize(
    ("body", "lines", "unfit"),
    [
        (LINE * 3, 3, None),  # a line break as each step's last byte
        (b'{"a":12}\n' + LINE, 2, None),  # ... as a step's first byte
        (LINE + b'{"b":22}', 2, None),  # no last line break, the file a whole number of steps
        (b'{"a":1}\x0b\n', 1, "a vertical tab or form feed"),  # a step's last byte
        (LINE + b"\x0c" + LINE, 2, "a vertical tab or form feed"),  # the next step's first
        (LINE * 2 + b"\x0b", 3, "a vertical tab or form feed"),  # the file's last byte
        (b"\xef\xbb\xbf" + LINE, 1, "a byte order mark"),
        (LINE + b"\xef\xbb\xbf" + LINE, 2, None),  # read_json skips one at the start only
        (b"", 0, None),
    ],
)
@pytest.mark.parametrize("compressed", [False, True])
def test_survey_across_its_steps(tmp_path, monkeypatch, body, lines, unfit, compressed):
    """The survey takes a file in small steps (8 bytes here): line breaks and the bytes it
    looks for are found on either side of a step's edge, and the fingerprint is that of the
    whole file."""
    monkeypatch.setattr(files, "SURVEY_BYTES", 8)
    data = gzip.compress(body, mtime=0) if compressed else body
    path = tmp_path / ("f.ndjson.gz" if compressed else "f.ndjson")
    path.write_bytes(data)
    seen = files.Fingerprint()
    assert files.survey(path, seen) == files.Survey(lines, unfit)
    assert seen.text == f"xxh3_64:{xxhash.xxh3_64_hexdigest(data)}:{len(data)}"


def test_a_manifest_of_crc32_fingerprints_still_knows_a_touched_file(tmp_path, monkeypatch):
    """Manifests written before XXH3 hold CRC-32 fingerprints: a touched file is compared
    in that scheme and skipped; one edited to the same size is read again."""
    rec = {"name": "changes", "value": 1, "at": "2024-05-01T00:00:00Z"}
    path = write_raw(tmp_path / "raw", "openl2m_counters", [rec])
    with monkeypatch.context() as older:
        older.setattr(files, "SCHEME", "crc32")  # the manifest an older version wrote
        wh, _ = run(tmp_path)
    data = path.read_bytes()
    stored = f"crc32:{zlib.crc32(data):08x}:{len(data)}"
    assert table(wh, "select fingerprint from ingested_files") == [(stored,)]
    os.utime(path, ns=(1, 1))  # touched, same bytes
    _, touched = run(tmp_path, "r2")
    assert (touched.files, touched.skipped) == ([], 1)
    path.write_bytes(data.replace(b'"value":1', b'"value":2'))
    os.utime(path, ns=(2, 2))
    _, changed = run(tmp_path, "r3")
    assert [f.status for f in changed.files] == ["changed"]
    assert table(wh, "select value from openl2m_counters") == [(2,)]
    new = f"xxh3_64:{xxhash.xxh3_64_hexdigest(path.read_bytes())}:{len(data)}"
    assert table(wh, "select fingerprint from ingested_files") == [(new,)]


def test_duplicates_latest_copy_wins_across_files_and_runs(tmp_path):
    raw = tmp_path / "raw"
    rec = {"id": 1, "timestamp": "2024-05-01T10:00:00Z", "type": 0, "action": 0}
    write_raw(raw, "openl2m_log", [rec, {**rec, "description": "second"}], "a.ndjson")
    write_raw(raw, "openl2m_log", [{**rec, "description": "third"}], "b.ndjson")
    wh, result = run(tmp_path)
    assert (result.lines_read, result.accepted, result.duplicates) == (3, 1, 2)
    assert table(wh, "select description from openl2m_log") == [("third",)]
    write_raw(raw, "openl2m_log", [{**rec, "description": "later run"}], "c.ndjson")
    wh, result = run(tmp_path, "r2")
    assert (result.lines_read, result.accepted, result.duplicates) == (1, 0, 1)
    assert table(wh, "select description from openl2m_log") == [("later run",)]


@pytest.mark.parametrize("sorted_in_memory", [land.SORTED_IN_MEMORY, 0])
def test_same_event_key_on_two_days_is_two_records(tmp_path, monkeypatch, sorted_in_memory):
    # Rows of several days: the identity holds the day. Sorted by NumPy or grouped by
    # DuckDB (past SORTED_IN_MEMORY rows), the same copies lose.
    monkeypatch.setattr(land, "SORTED_IN_MEMORY", sorted_in_memory)
    rec = {"id": 1, "timestamp": "2024-05-01T10:00:00Z", "type": 0, "action": 0}
    later = rec | {"timestamp": "2024-05-02T10:00:00Z"}
    write_raw(tmp_path / "raw", "openl2m_log", [rec, later, rec | {"description": "last"}])
    wh, result = run(tmp_path)
    assert (result.accepted, result.duplicates) == (2, 1)
    assert table(wh, "select day, description from openl2m_log order by day") == [
        (date(2024, 5, 1), "last"),
        (date(2024, 5, 2), None),
    ]


def test_snapshot_version_read_again_in_a_later_run(tmp_path):
    # The identity check of a snapshot kind reads the run's rows from a temp table and the
    # live file of each day they touch: a version landed by an earlier run is a duplicate.
    user = {"username": "a@x", "updated_at": "2024-05-01T00:00:00Z"}
    write_raw(tmp_path / "raw", "seatable_users", [user | {"nickname": "A"}], "a.ndjson")
    run(tmp_path)
    later = user | {"nickname": "C", "updated_at": "2024-05-01T08:00:00Z"}
    write_raw(tmp_path / "raw", "seatable_users", [user | {"nickname": "A2"}, later], "b.ndjson")
    wh, result = run(tmp_path, "r2")
    assert (result.accepted, result.duplicates) == (1, 1)
    assert table(wh, "select nickname from seatable_users order by updated_at") == [
        ("A2",),
        ("C",),
    ]


def test_live_app_session_latest_end_wins(tmp_path):
    kind = records.BY_TABLE["coder_workspace_app_stats"]
    rec = good_record(kind) | {"session_started_at": "2024-05-01T10:00:00Z"}
    write_raw(
        tmp_path / "raw",
        kind.table,
        [
            rec | {"session_ended_at": "2024-05-01T10:05:00Z"},
            rec | {"session_ended_at": "2024-05-01T10:09:00Z"},
            rec | {"session_ended_at": "2024-05-01T10:07:00Z"},  # read last, but ends earlier
        ],
    )
    wh, _ = run(tmp_path)
    assert table(
        wh, "select strftime(session_ended_at, '%H:%M') from coder_workspace_app_stats"
    ) == [("10:09",)]


def test_snapshot_versions_kept(tmp_path):
    user = {"username": "a@x", "updated_at": "2024-05-01T00:00:00Z"}
    write_raw(
        tmp_path / "raw",
        "seatable_users",
        [
            user | {"nickname": "A"},
            user | {"nickname": "A2"},  # same version time: one version, read last wins
            user | {"nickname": "B", "updated_at": "2024-05-03T00:00:00Z"},
        ],
    )
    wh, result = run(tmp_path)
    assert (result.accepted, result.duplicates) == (2, 1)
    assert table(wh, "select nickname, day from seatable_users order by updated_at") == [
        ("A2", date(2024, 5, 1)),
        ("B", date(2024, 5, 3)),
    ]
    assert storage.Catalog.load(wh).partitions("seatable_users") == ["2024-05-01", "2024-05-03"]


def test_a_snapshot_kind_packs_its_settled_months(tmp_path):
    # A month that ended a week before the table's newest day keeps its versions in one
    # file (the day inside); later days keep a file each. The view and the catalog read
    # them as days; a later run's versions of a packed month (a copy, a new version) and of
    # a month settled since write its file again, with the days it held.
    def user(name: str, at: str, nickname: str) -> dict:
        return {"username": name, "updated_at": at, "nickname": nickname}

    t = "seatable_users"
    raw = tmp_path / "raw"
    first = [
        user("a@x", "2024-03-05T10:00:00Z", "A1"),
        user("a@x", "2024-03-20T10:00:00Z", "A2"),
        user("b@x", "2024-04-30T23:00:00Z", "B1"),  # April ended 8 days before the newest
        user("b@x", "2024-05-01T10:00:00Z", "B2"),
        user("c@x", "2024-05-09T10:00:00Z", "C1"),
    ]
    write_raw(raw, t, first, "a.ndjson")
    wh, result = run(tmp_path)
    catalog = storage.Catalog.load(wh)
    assert catalog.partitions(t) == [
        "2024-03-05", "2024-03-20", "2024-04-30", "2024-05-01", "2024-05-09"
    ]  # fmt: skip
    assert [p.parent.name for p in catalog.files(t)] == [
        "day=2024-03-01..2024-03-31", "day=2024-04-01..2024-04-30", "day=2024-05-01",
        "day=2024-05-09",
    ]  # fmt: skip
    assert result.touched[t] == set(catalog.partitions(t))
    rows = "select nickname, day from seatable_users order by updated_at"
    assert table(wh, rows) == [
        (r["nickname"], date.fromisoformat(r["updated_at"][:10])) for r in first
    ]
    assert table(wh, "select nickname from seatable_users where day = '2024-03-20'") == [("A2",)]
    # a session bound to some days of the table (a versioned staging model's rebuild)
    con = storage.open_warehouse(wh, tables=[t], partitions={t: {"2024-03-20", "2024-05-09"}})
    try:
        some = con.execute("select nickname from seatable_users order by updated_at").fetchall()
    finally:
        con.close()
    assert some == [("A2",), ("C1",)]

    later = [
        user("a@x", "2024-03-20T10:00:00Z", "A2 again"),  # a copy: read last, it wins
        user("a@x", "2024-03-25T10:00:00Z", "A3"),
        user("e@x", "2024-05-10T10:00:00Z", "E1"),  # May has settled: its days pack
        user("d@x", "2024-06-20T10:00:00Z", "D1"),
    ]
    write_raw(raw, t, later, "b.ndjson")
    wh, result = run(tmp_path, "r2")
    assert (result.accepted, result.duplicates) == (3, 1)
    assert result.touched[t] == {"2024-03-20", "2024-03-25", "2024-05-10", "2024-06-20"}
    catalog = storage.Catalog.load(wh)
    assert [p.parent.name for p in catalog.files(t)] == [
        "day=2024-03-01..2024-03-31", "day=2024-04-01..2024-04-30", "day=2024-05-01..2024-05-31",
        "day=2024-06-20",
    ]  # fmt: skip
    assert (
        catalog.file(t, "2024-05-01")
        == catalog.file(t, "2024-05-09")
        == catalog.file(t, "2024-05-10")
    )
    assert table(wh, "select nickname from seatable_users order by updated_at") == [
        ("A1",), ("A2 again",), ("A3",), ("B1",), ("B2",), ("C1",), ("E1",), ("D1",)
    ]  # fmt: skip
    assert table(
        wh, "select count(*) from seatable_users where day between '2024-05-01' and '2024-05-09'"
    ) == [(2,)]


def test_manifest_skips_seen_files_and_rereads_changed_ones(tmp_path):
    raw = tmp_path / "raw"
    rec = {"name": "changes", "value": 1, "at": "2024-05-01T00:00:00Z"}
    path = write_raw(raw, "openl2m_counters", [rec])
    wh, first = run(tmp_path)
    assert [f.status for f in first.files] == ["new"]
    _, again = run(tmp_path, "r2")
    assert (again.files, again.skipped, again.lines_read) == ([], 1, 0)
    os.utime(path, ns=(1, 1))  # touched, same bytes: still skipped
    _, touched = run(tmp_path, "r3")
    assert touched.files == []
    write_raw(raw, "openl2m_counters", [rec | {"value": 5}])
    _, changed = run(tmp_path, "r4")
    assert [f.status for f in changed.files] == ["changed"]
    assert table(wh, "select value from openl2m_counters") == [(5,)]
    assert table(wh, "select count(*) from ingested_files") == [(1,)]


def test_run_killed_before_commit_leaves_previous_state(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    rec = {"id": 1, "timestamp": "2024-05-01T10:00:00Z", "type": 0, "action": 0}
    write_raw(raw, "openl2m_log", [rec], "a.ndjson")
    wh, _ = run(tmp_path)
    live = storage.Catalog.load(wh).file("openl2m_log", "2024-05-01")
    before = live.read_bytes()
    write_raw(raw, "openl2m_log", [rec | {"id": 2}], "b.ndjson")

    def crash(*_args, **_kwargs):
        raise OSError("killed")

    monkeypatch.setattr(storage.Catalog, "commit", crash)
    with pytest.raises(OSError):
        run(tmp_path, "r2")
    monkeypatch.undo()
    # The committed catalog still names the old file, unchanged, and the views read it.
    assert storage.Catalog.load(wh).file("openl2m_log", "2024-05-01") == live
    assert live.read_bytes() == before
    assert table(wh, "select list(id) from openl2m_log") == [([1],)]
    _, result = run(tmp_path, "r3")
    assert result.accepted == 1
    assert table(wh, "select list(id order by id) from openl2m_log") == [([1, 2],)]
    # Files no catalog names any more (the killed run's) are collected.
    names = sorted(p.name for p in (wh.table_dir("openl2m_log") / "day=2024-05-01").iterdir())
    assert names == ["r1.parquet", "r3.parquet"]


def test_ignored_files_reported(tmp_path):
    raw = tmp_path / "raw"
    (raw / "coder" / "users").mkdir(parents=True)
    (raw / "coder" / "users" / "notes.txt").write_text("x")
    (raw / "coder" / "nonsense").mkdir()
    (raw / "coder" / "nonsense" / "a.ndjson").write_text("{}\n")
    _, result = run(tmp_path)
    assert result.ignored == ["coder/nonsense/a.ndjson", "coder/users/notes.txt"]


def test_files_outside_every_source_folder_are_named(tmp_path):
    (tmp_path / "coder" / "users").mkdir(parents=True)
    (tmp_path / "coder" / "users" / "u.ndjson").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "old" / "coder").mkdir(parents=True)
    (tmp_path / "old" / "coder" / "u.ndjson").write_text("{}\n")
    assert files.stray(tmp_path) == ["notes.txt", "old/coder/u.ndjson"]
