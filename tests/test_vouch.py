"""The fast path against the judge: for every record kind, the contract's edge cases and
randomly corrupted files, an ingest with the fast path (and its fallback) lands exactly
the warehouse and the rejects of an ingest where the judge (the strict validation
statement) sees every line; and clean lines are vouched for without the judge."""

from __future__ import annotations

import gzip
import random
from datetime import date
from pathlib import Path

import orjson
import pytest

from pipelines import records, storage
from pipelines.extract import files, ingest, vouch
from pipelines.generate import generate
from tests.test_extract import SAMPLE

# JSON texts per field type: wrong types, numbers as strings and strings as numbers,
# values at the edges of each type, mongoexport's wrappers, duplicate-prone shapes.
VALUES: dict[str, list[str]] = {
    "text": [
        "5",
        "5.5",
        "-0",
        "1e3",
        "1e400",
        "true",
        "false",
        '{"a": 1}',
        "[1]",
        "[]",
        "{}",
        '"5"',
        '"-1.5e3"',
        '"true"',
        '"false"',
        '"[x"',
        '"{x"',
        '""',
        '" 5"',
        '"a\\u0000b"',
        '"\\ud800"',
        '"x\\udc00"',
        '"\\ud83d\\ude00"',
        '"\\u00e9\\n\\"\\\\\\/\\t"',
        '"null"',
    ],
    "int": [
        '"5"',
        "5.0",
        "true",
        "1.5",
        "1e3",
        "-0",
        "[1]",
        "{}",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1e400",
        "NaN",
        '{"$numberInt": "5"}',
        '{"$numberLong": "9000000000"}',
        '{"$numberInt": "1.5"}',
        '{"$numberDouble": "12"}',
    ],
    "float": [
        '"1.5"',
        "true",
        "[1]",
        "5",
        "-0.0",
        "0.1",
        "1e400",
        "-1e400",
        "1e-400",
        "NaN",
        "Infinity",
        "-Infinity",
        "4.9e-324",
        "18446744073709551616",
        "1.7976931348623157e308",
        "0.30000000000000004",
        '{"$numberDouble": "1.5"}',
        '{"$numberInt": "2"}',
    ],
    "bool": ['"true"', "1", "0", "true", "false", '{"a": true}'],
    "ts": [
        "1714550400",
        '"2024-05-01T10:00:00"',
        '"2024-05-32T10:00:00Z"',
        '"2024-02-30T00:00:00Z"',
        '"2024-02-29T00:00:00Z"',
        '"2023-02-29T00:00:00Z"',
        '"2024-05-01 10:00:00+02:00"',
        '"2024-05-01t10:00:00z"',
        '"2024-05-01T24:00:00Z"',
        '"2024-05-01T23:59:60Z"',
        '"2024-05-01T10:00:00.1234567891Z"',
        '"2024-05-01T10:00:00.9999999Z"',
        '"2024-05-01T10:00:00+25:00"',
        '"2024-05-01T10:00:00+05:61"',
        '"2024-05-01T10:00:00-00:00"',
        '"0000-01-01T00:00:00Z"',
        '"0001-01-01T00:00:00+01:00"',
        '"9999-12-31T23:59:59.999999Z"',
        '"1969-12-31T23:59:59.999999Z"',
        '"2024-05-01T10:00:00.Z"',
        '"2024-5-1T10:00:00Z"',
        '" 2024-05-01T10:00:00Z"',
        '"2024-05-01T10:00:00Z "',
        '"\\u0662024-05-01T10:00:00Z"',
        '{"$date": "2024-05-01T10:00:00.250Z"}',
        '{"$date": "2024-05-01T10:00:00"}',
        '{"$date": {"$numberLong": "1714557600250"}}',
        '{"$date": {"$numberLong": "-5"}}',
        '{"$date": 1714557600250}',
        '{"$date": "bad"}',
        '{"$date": null}',
        "{}",
        '{"$date": "2024-05-01T10:00:00Z", "other": [1]}',
        '{"$date": "2024-05-01T10:00:00Z", "$date": 5}',
        '{"$date": 5, "$date": "2024-05-01T10:00:00Z"}',
    ],
    "int_or_str": ["11", '"11"', "1.5", "true", '"x"', "-0", "9223372036854775808", "[1]"],
    "str_list": [
        '["a", 1]',
        '["a", null]',
        '"a"',
        "[]",
        '[["a"]]',
        '[{"a": 1}]',
        '["a", "b"]',
        '["5"]',
        '["\\ud800"]',
        '["true", "[x"]',
    ],
    "json": ['{"a": 1}', "5", '"x"', "[1, 2.5, null]", '{"$numberLong": "5"}', '{"$date": "x"}'],
    "int_map": ['{"a": 1}', '{"a": 1.5}', '{"a": "1"}', "[]", "{}", '{"a": 1, "a": "x"}'],
    "user_ref": [
        '{"_id": 5}',
        '{"username": "x"}',
        '{"_id": "x", "username": 5}',
        '"x"',
        '{"_id": "x", "username": null}',
        '{"_id": "x", "extra": [1]}',
        '{"_id": "x", "_id": 5}',
        '{"_id": 5, "_id": "x"}',
        '{"_id": "5"}',
        '{"_id": "[x", "username": "true"}',
        "{}",
    ],
}
VALUES["uuid"] = VALUES["str"] = VALUES["text"]


def good_record(kind: records.RecordKind) -> dict:
    good = {f.name: SAMPLE[f.type] for f in kind.fields}
    if kind.source == "rocketchat":  # as mongoexport writes dates
        good |= {
            f.name: {"$date": "2024-05-01T10:00:00.250Z"} for f in kind.fields if f.type == "ts"
        }
    return good


def edge_lines(kind: records.RecordKind) -> list[str]:
    """The kind's good record, then every field missing, null, and holding each value of
    VALUES (alone, and as a duplicate key before and after a good value); then lines that
    are not JSON objects, or barely."""
    good = good_record(kind)
    text = orjson.dumps(good).decode()
    lines = [text]
    for f in kind.fields:
        lines.append(orjson.dumps({k: v for k, v in good.items() if k != f.name}).decode())
        lines.append(orjson.dumps({**good, f.name: None}).decode())
        rest = orjson.dumps({k: v for k, v in good.items() if k != f.name}).decode()
        for value in VALUES[f.type]:
            lines.append(f'{{"{f.name}": {value}, {rest[1:]}')
            lines.append(f'{text[:-1]}, "{f.name}": {value}}}')
            lines.append(f'{{"{f.name}": {value}, {text[1:]}')
    lines += [
        "{not json", "[1, 2]", "5", '"x"', "null", "{}", "", "   ", "\t", text + "\r",
        "\ufeff" + text, text + " x", text + text, text + " " + text, text[:-1] + ",}",
        text[: len(text) // 2], "  " + text + "  ", text.replace(":", " : "),
        text[:-1] + ', "\\ud800": 1}', text[:-1] + ', "extra": {"deep": [[[[1]]]], "n": NaN}}',
        text[:-1] + ', "extra": ' + "[" * 2000 + "]" * 2000 + "}",
    ]  # fmt: skip
    return lines


def write_lines(raw: Path, kind: records.RecordKind, lines: list[str], name: str) -> Path:
    path = raw / kind.source / kind.kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass"))
    return path


def warehouse(wh: storage.Warehouse) -> dict[str, list]:
    """Every landed row of every table and every reject, in a canonical order (repr keeps
    -0.0 apart from 0.0, and NaN equal to itself)."""
    con = storage.open_warehouse(wh)
    try:
        tables = {
            kind.table: con.execute(f"select * from {kind.table}").fetchall()
            for kind in records.KINDS
        }
        tables["rejects"] = con.execute(
            "select source, kind, file, line, reason, raw from rejects"
        ).fetchall()
    finally:
        con.close()
    return {table: sorted(map(repr, rows)) for table, rows in tables.items()}


def both_ways(tmp_path: Path, monkeypatch, raw: Path) -> None:
    """Ingest raw with the fast path, then with the judge alone: same warehouse, rejects
    and counts."""
    fast_wh = storage.Warehouse(tmp_path / "fast")
    fast = ingest.ingest(fast_wh, raw, "r1", date(2024, 5, 2))
    with monkeypatch.context() as judge_only:
        judge_only.setattr(ingest, "plan_for", lambda kind: None)
        judged_wh = storage.Warehouse(tmp_path / "judged")
        judged = ingest.ingest(judged_wh, raw, "r1", date(2024, 5, 2))
    assert fast.reconciles and judged.reconciles
    counts = ("lines_read", "accepted", "rejected", "duplicates")
    assert [getattr(fast, c) for c in counts] == [getattr(judged, c) for c in counts]
    assert warehouse(fast_wh) == warehouse(judged_wh)


@pytest.mark.parametrize("kind", records.KINDS, ids=lambda k: k.table)
def test_edge_cases_get_the_judges_verdict(tmp_path, monkeypatch, kind):
    write_lines(tmp_path / "raw", kind, edge_lines(kind), "edges.ndjson")
    both_ways(tmp_path, monkeypatch, tmp_path / "raw")


def test_edge_cases_read_in_pieces(tmp_path, monkeypatch):
    """Small blocks and pieces: lines that fail a read are found by halving."""
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(files, "READ_BYTES", 1000)
    monkeypatch.setattr(vouch, "LEAF_LINES", 2)
    for kind in records.KINDS:
        good = orjson.dumps(good_record(kind)).decode()
        edges = edge_lines(kind)
        write_lines(tmp_path / "raw", kind, [good] * 50 + edges + [good] * 50, "a.ndjson")
    both_ways(tmp_path, monkeypatch, tmp_path / "raw")


def test_broken_files_get_the_judges_verdict(tmp_path, monkeypatch):
    """Not UTF-8 from a line on; a truncated gzip; a gzip cut in a line."""
    raw = tmp_path / "raw"
    kind = records.BY_TABLE["coder_workspace_agent_stats"]
    good = orjson.dumps(good_record(kind)).decode().encode()
    bad_byte = write_lines(raw, kind, [], "bad.ndjson")
    bad_byte.write_bytes(good + b"\n" + good[:20] + b"\xff" + good[20:] + b"\n" + good + b"\n")
    whole = gzip.compress((good + b"\n") * 500, mtime=0)
    (bad_byte.parent / "cut.ndjson.gz").write_bytes(whole[: len(whole) // 2])
    (bad_byte.parent / "good.ndjson.gz").write_bytes(whole)
    both_ways(tmp_path, monkeypatch, raw)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomly_corrupted_files_get_the_judges_verdict(tmp_path, monkeypatch, seed):
    """A generated day of every source (both mongoexport modes), with a share of its lines
    corrupted at random: bytes flipped, inserted, deleted, cut, lines joined."""
    monkeypatch.setattr(files, "BLOCK_BYTES", 64 << 10)
    monkeypatch.setattr(vouch, "LEAF_LINES", 8)
    rng = random.Random(seed)
    mode = "canonical" if seed == 2 else "relaxed"
    generate(tmp_path / "clean", 1, date(2024, 5, 1), "small", seed, mongo_json=mode)
    alphabet = list('{}[]":,\\ -+.eE0123456789tfnrul/aZ\t\r\x00\x7f') + [
        "\\u",
        "\\ud800",
        "\\udc00",
        "true",
        "null",
        "NaN",
        "\u00a0",
        "\ufeff",
        "é",
        "😀",
        "\n",
    ]
    for path in sorted((tmp_path / "clean").rglob("*.ndjson")):
        lines = path.read_text().splitlines()
        for n in rng.sample(range(len(lines)), k=max(1, len(lines) // 20)):
            line = list(lines[n])
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(line) + 1)
                match rng.randrange(4):
                    case 0 if line:
                        line[min(at, len(line) - 1)] = rng.choice(alphabet)
                    case 1:
                        line.insert(at, rng.choice(alphabet))
                    case 2 if line:
                        del line[min(at, len(line) - 1)]
                    case _:
                        line = line[:at]
            lines[n] = "".join(line)
        target = tmp_path / "raw" / path.relative_to(tmp_path / "clean")
        target.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:  # an invalid byte somewhere
            at = rng.randrange(len(body))
            body = body[:at] + b"\xc3\x28" + body[at:]
        target.write_bytes(body)
    both_ways(tmp_path, monkeypatch, tmp_path / "raw")


def test_clean_lines_are_vouched_for_without_the_judge(tmp_path, monkeypatch):
    """A clean generated day: the judge sees only the lines of the kinds it types alone
    (free JSON), integers where a string may stand (Coder's app session ids) and strings
    that read as numbers (build parameter values)."""
    generate(tmp_path / "raw", 2, date(2024, 5, 1), "small", 1)
    judged: dict[str, int] = {}
    judge = ingest._judge

    def counting(con, kind, lines, file):
        judged[kind.table] = judged.get(kind.table, 0) + len(lines)
        return judge(con, kind, lines, file)

    monkeypatch.setattr(ingest, "_judge", counting)
    result = ingest.ingest(
        storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", "r1", date(2024, 5, 3)
    )
    assert result.rejected == 0 and result.lines_read > 5_000
    assert set(judged) == {
        "coder_template_version_parameters",  # options: free JSON
        "coder_workspace_app_stats",  # id: an integer
        "coder_workspace_build_parameters",  # value: "2", as Polars reads the number 2
        "rocketchat_statistics",  # free JSON
    }


def test_a_bad_line_leaves_only_its_piece_to_the_judge(tmp_path, monkeypatch):
    """One line that fails the read among 1,000: halving finds it; the judge sees the
    piece holding it (at most LEAF_LINES lines) and the line's verdict stands."""
    monkeypatch.setattr(vouch, "LEAF_LINES", 4)
    kind = records.BY_TABLE["openl2m_log"]
    good = [
        orjson.dumps(
            {"id": n, "timestamp": "2024-05-01T10:00:00Z", "type": 0, "action": 1}
        ).decode()
        for n in range(1000)
    ]
    good[617] = good[617].replace('"type":0', '"type":"0"')
    write_lines(tmp_path / "raw", kind, good, "log.ndjson")
    judged: list[int] = []
    judge = ingest._judge

    def counting(con, kind, lines, file):
        judged.extend(lines["_line"].to_pylist())
        return judge(con, kind, lines, file)

    monkeypatch.setattr(ingest, "_judge", counting)
    wh = storage.Warehouse(tmp_path / "wh")
    result = ingest.ingest(wh, tmp_path / "raw", "r1", date(2024, 5, 2))
    assert (result.accepted, result.rejected) == (999, 1)
    assert 618 in judged and len(judged) <= 4
    con = storage.open_warehouse(wh)
    assert con.execute("select line, reason from rejects").fetchall() == [
        (618, "field 'type': expected an integer")
    ]
    con.close()
