"""The fast path against the judge. For every record kind, the contract's edge cases,
DuckDB's own leniencies and randomly corrupted lines: every line the fast path's statement
vouches for gets exactly the judge's verdict and values. Ingests with the fast path land
exactly the warehouse and the rejects of ingests where the judge sees every line, files
that do not fit (a bad line, a blank line, a byte order mark, a form feed, a broken gzip,
bytes that are not UTF-8) go to the judge alone, and clean files never reach it."""

from __future__ import annotations

import gzip
import random
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pytest

from pipelines import records, storage
from pipelines.extract import files, ingest, vouch
from pipelines.extract.validate import register_functions
from pipelines.generate import generate
from tests.test_extract import SAMPLE

# JSON texts per field type: wrong types, numbers as strings and strings as numbers,
# values at the edges of each type, mongoexport's wrappers, duplicate-prone shapes, and
# what DuckDB's read_json takes where the judge does not (strings into numbers, floats
# into integers, integers past 64 bits, exponents that cast to a small integer).
VALUES: dict[str, list[str]] = {
    "text": [
        "5",
        "5.5",
        "-0",
        "1e3",
        "1E5",
        "1e400",
        "-1e400",
        "18446744073709551615",
        "true",
        "false",
        "NaN",
        "-Infinity",
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
        '"\\u0041"',
        '"\\u0022"',
        '"null"',
        # an id's text that is JSON (its file is judged), and one that is not
        '"NaN"',
        '"-Infinity"',
        '"1e400"',
        '" true "',
        '"[1]"',
        '"{\\"a\\": 1}"',
        '"GENERAL"',
        '"6B1F0E1C-0000-4000-8000-00000000000A"',
    ],
    "int": [
        '"5"',
        '"-5"',
        "5.0",
        "-0.0",
        "true",
        "false",
        "1.5",
        "1e3",
        "1E3",
        "1E400",
        "1e-7",
        "1e20",
        "-0",
        "0",
        "[1]",
        "{}",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
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
        '"NaN"',
        "true",
        "false",
        "[1]",
        "5",
        "-0.0",
        "0.1",
        "1E5",
        "1e-7",
        "1e400",
        "-1e400",
        "1e-400",
        "NaN",
        "Infinity",
        "-Infinity",
        "4.9e-324",
        "18446744073709551616",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "0.30000000000000004",
        '{"$numberDouble": "1.5"}',
        '{"$numberInt": "2"}',
    ],
    "bool": ['"true"', '"false"', "1", "0", "0.0", "true", "false", '{"a": true}'],
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
        '"2024-05-01T10:00:00+02"',
        '"2024-05-01T10:00:00 +02:00"',
        '"0000-01-01T00:00:00Z"',
        '"0001-01-01T00:00:00+01:00"',
        '"9999-12-31T23:59:59.999999Z"',
        '"1969-12-31T23:59:59.999999Z"',
        '"2024-05-01T10:00:00.Z"',
        '"2024-5-1T10:00:00Z"',
        '" 2024-05-01T10:00:00Z"',
        '"2024-05-01T10:00:00Z "',
        '"\\u0662024-05-01T10:00:00Z"',
        '"\\u0032024-05-01T10:00:00Z"',
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
        '{"\\u0024date": "2024-05-01T10:00:00Z"}',
    ],
    "int_or_str": [
        "11",
        '"11"',
        "1.5",
        '"1.5"',
        "1e3",
        "1e-7",
        "true",
        '"x"',
        '"\\u0041"',
        "-0",
        "-1",
        "9223372036854775808",
        "18446744073709551615",
        "1E400",
        "[1]",
    ],
    "str_list": [
        '["a", 1]',
        '["a", null]',
        '"a"',
        "[]",
        "[true]",
        "[1.5]",
        '[["a"]]',
        '[{"a": 1}]',
        '["a", "b"]',
        '["5"]',
        '["\\u0041", "\\n"]',
        '["\\ud800"]',
        '["true", "[x"]',
    ],
    "json": ['{"a": 1}', "5", '"x"', "[1, 2.5, null]", '{"$numberLong": "5"}', '{"$date": "x"}'],
    "int_map": ['{"a": 1}', '{"a": 1.5}', '{"a": "1"}', "[]", "{}", '{"a": 1, "a": "x"}'],
    "user_ref": [
        '{"_id": 5}',
        '{"_id": null}',
        '{"username": "x"}',
        '{"_id": "x", "username": 5}',
        '"x"',
        '{"_id": "x", "username": null}',
        '{"_id": "x", "username": "\\u0041"}',
        '{"_id": "x", "extra": [1]}',
        '{"_id": "x", "_id": 5}',
        '{"_id": 5, "_id": "x"}',
        '{"_id": "5"}',
        '{"_id": "[x", "username": "true"}',
        '{"_id": true}',
        '{"_id": [1]}',
        '{"_id": {"a": "x"}}',
        '{"_id": "null"}',
        '{"_id": "-0"}',
        "{}",
    ],
}
VALUES["uuid"] = VALUES["str"] = VALUES["text"]


def good_record(kind: records.RecordKind, dates: str = "wrapped") -> dict:
    """A record every field of which the judge accepts; Rocket.Chat's timestamps in the
    form dates ("wrapped" as mongoexport writes them, or "plain" strings)."""
    good = {f.name: SAMPLE[f.type] for f in kind.fields}
    if kind.source == "rocketchat" and dates == "wrapped":
        good |= {
            f.name: {"$date": "2024-05-01T10:00:00.250Z"} for f in kind.fields if f.type == "ts"
        }
    return good


def edge_lines(
    kind: records.RecordKind, duplicates: bool = True, dates: str = "wrapped"
) -> list[str]:
    """The kind's good record (its dates in the form dates), then every field missing,
    null, and holding each value of VALUES (alone, and unless not duplicates as a duplicate
    key before and after a good value); then lines that are not JSON objects, or barely,
    and keys written otherwise."""
    good = good_record(kind, dates)
    text = orjson.dumps(good).decode()
    first = kind.fields[0].name
    escaped = f'"\\u{ord(first[0]):04x}{first[1:]}"'  # the first key, its first letter escaped
    lines = [text]
    for f in kind.fields:
        lines.append(orjson.dumps({k: v for k, v in good.items() if k != f.name}).decode())
        lines.append(orjson.dumps({**good, f.name: None}).decode())
        rest = orjson.dumps({k: v for k, v in good.items() if k != f.name}).decode()
        for value in VALUES[f.type]:
            lines.append(f'{{"{f.name}": {value}, {rest[1:]}')
            if duplicates or f.name == first:
                lines.append(f'{text[:-1]}, "{f.name}": {value}}}')
                lines.append(f'{{"{f.name}": {value}, {text[1:]}')
    lines += [
        "{not json", "[1, 2]", "5", '"x"', "null", "{}", "", "   ", "\t", "\r", text + "\r",
        "\ufeff" + text, "\x0b" + text, text + "\x0c", "\x0c", text + " x", text + text,
        text + " " + text, text[:-1] + ",}", text[: len(text) // 2], "  " + text + "  ",
        text.replace(":", " : "), text.replace(f'"{first}"', escaped, 1),
        text[:-1] + f", {escaped}: null}}", text[:-1] + ', "Extra": 1, "extra": "\x01"}',
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


def both_ways(tmp_path: Path, monkeypatch, raw: Path) -> list[str]:
    """Ingest raw with the fast path, then with the judge alone: same warehouse, rejects
    and counts. Returns the files the fast path left to the judge."""
    fast_wh = storage.Warehouse(tmp_path / "fast")
    progress: list[str] = []
    fast = ingest.ingest(fast_wh, raw, "r1", date(2024, 5, 2), progress=progress.append)
    with monkeypatch.context() as judge_only:
        judge_only.setattr(ingest, "plan_for", lambda kind: None)
        judged_wh = storage.Warehouse(tmp_path / "judged")
        judged = ingest.ingest(judged_wh, raw, "r1", date(2024, 5, 2))
    assert fast.reconciles and judged.reconciles
    counts = ("lines_read", "accepted", "rejected", "duplicates")
    assert [getattr(fast, c) for c in counts] == [getattr(judged, c) for c in counts]
    assert warehouse(fast_wh) == warehouse(judged_wh)
    return [m.split()[1] for m in progress if m.startswith("judging ")]


def assert_vouched_lines_judged_alike(
    tmp_path: Path, kind: records.RecordKind, lines: list[str], dates: str = "wrapped"
):
    """Each line, between two good ones (their dates in the form dates, which picks the
    statement's scan), as the fast path's statement reads it (the line
    a check refuses numbered negative) and as the judge does: every line the statement
    vouches for, the judge accepts with the same values. Lines read_json cannot read fail
    the statement (found one by one); blank lines and what the survey routes to the judge
    (a form feed, a vertical tab, a byte order mark that starts a file) are the ingest's
    (test_files_that_do_not_fit_go_to_the_judge_alone).
    Returns how many of the lines were vouched for."""
    plan = vouch.plan_for(kind)
    scan = plan.scans.get(dates) or plan.scans["plain"]  # (Coder's dates are plain)
    good = orjson.dumps(good_record(kind, dates)).decode()
    con = storage.connect()
    register_functions(con)
    readable = []
    for n, line in enumerate(lines):
        if not line.strip(" \t\r") or any(c in line for c in "\x0b\x0c\ufeff"):
            continue
        path = write_lines(tmp_path, kind, [line], f"line-{n}.ndjson")
        try:
            con.execute(
                f"select * from read_json('{path}', format = 'newline_delimited', "
                f"columns = {scan.columns})"
            ).fetchall()
        except duckdb.Error:  # the statement fails: the judge decides
            continue
        readable.append(line)
    batch = write_lines(tmp_path, kind, [x for line in readable for x in (good, line)], "all")
    assert plan.scan_for(str(batch)) is scan
    # Values compared as DuckDB writes them (years before 1, -0.0 and NaN included).
    as_text = "select columns(*)::varchar from"
    fast = con.execute(
        f"{as_text} ({plan.branch(0, str(batch), 'f', unfit='-ordinality')}) "
        "order by abs(_line::bigint)"
    )
    names = [d[0] for d in fast.description]
    fast_rows = [dict(zip(names, row, strict=True)) for row in fast.fetchall()]
    verdicts = []
    for block in files.read_blocks(batch):
        con.register("verdicts", ingest._judge(con, kind, block.lines(), "f"))
        judged = con.execute(f"{as_text} verdicts order by _line::bigint")
        columns = [d[0] for d in judged.description]
        verdicts += [dict(zip(columns, row, strict=True)) for row in judged.fetchall()]
    con.close()
    assert [abs(int(r["_line"])) for r in fast_rows] == [int(v["_line"]) for v in verdicts]
    vouched = 0
    for row, verdict in zip(fast_rows, verdicts, strict=True):
        number = int(row["_line"])
        if number > 0:
            line = readable[(number - 2) // 2] if number % 2 == 0 else good
            assert verdict["reason"] is None, (line, verdict["reason"])
            assert {k: verdict[k] for k in row} == row, line
            vouched += number % 2 == 0
    return vouched


@pytest.mark.parametrize(
    ("kind", "dates"),
    [(k, dates) for k in records.KINDS if (plan := vouch.plan_for(k)) for dates in plan.scans],
    ids=lambda x: x.table if isinstance(x, records.RecordKind) else x,
)
def test_every_line_vouched_for_gets_the_judges_values(tmp_path, kind, dates):
    """Each kind's edge cases, its timestamps in each form it reads (Rocket.Chat's wrapped
    by mongoexport, and plain strings)."""
    lines = edge_lines(kind, False, dates)
    vouched = assert_vouched_lines_judged_alike(tmp_path, kind, lines, dates)
    # Not a vacuous test: the good line, and each optional field missing or null.
    assert vouched >= 1 + 2 * sum(not f.required for f in kind.fields)


def test_kinds_with_free_json_are_judged_whole():
    judged = {k.table for k in records.KINDS if vouch.plan_for(k) is None}
    assert judged == {
        "coder_template_version_parameters",  # options: free JSON
        "coder_template_usage_stats",  # app_usage_mins: an object of integers
        "rocketchat_statistics",  # free JSON, and the instances collection's misfit
    }


def test_edge_cases_get_the_judges_verdict(tmp_path, monkeypatch):
    """Every kind's edge cases in one file each: each file is judged (it holds lines
    that do not fit); the ingest lands what the judge alone lands."""
    for kind in records.KINDS:
        write_lines(tmp_path / "raw", kind, edge_lines(kind), "edges.ndjson")
        if kind.source == "rocketchat":
            write_lines(tmp_path / "raw", kind, edge_lines(kind, dates="plain"), "plain.ndjson")
    both_ways(tmp_path, monkeypatch, tmp_path / "raw")


def test_files_that_do_not_fit_go_to_the_judge_alone(tmp_path, monkeypatch):
    """A table's files in one statement: those that do not fit leave it (a bad line, a
    blank line, a byte order mark, a form feed or vertical tab around a line, a cut or
    corrupt gzip, bytes that are not UTF-8) and are judged; the others are vouched for,
    an empty file and a last line without its line break too."""
    raw = tmp_path / "raw"
    kind = records.BY_TABLE["coder_workspace_agent_stats"]
    good = orjson.dumps(good_record(kind)).decode()
    lines = [good.replace('"id":"', f'"id":"{n}-', 1) for n in range(200)]
    body = "".join(line + "\n" for line in lines).encode()
    for name, data in {
        "a-clean.ndjson": body,
        "b-bad-line.ndjson": body + b'{"id": 5}\n',
        "c-blank-line.ndjson": body + b"\n" + body,
        "d-bom.ndjson": b"\xef\xbb\xbf" + body,
        "e-form-feed.ndjson": body + b"\x0c" + lines[0].encode() + b"\n",
        "f-vertical-tab.ndjson": body.replace(b"}\n", b"}\x0b\n", 1),
        "g-cut.ndjson.gz": gzip.compress(body, mtime=0)[:-30],
        "h-clean.ndjson.gz": gzip.compress(body, mtime=0) + gzip.compress(body, mtime=0),
        "i-not-utf8.ndjson": body + b'{"id": "\xff"}\n' + body,
        "j-empty.ndjson": b"",
        "k-no-last-break.ndjson": body.rstrip(b"\n"),
        "l-corrupt.ndjson.gz": gzip.compress(body, mtime=0)[:100] + b"x" * 20,
        "m-clean.jsonl": body,
    }.items():
        path = raw / kind.source / kind.kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    judged = both_ways(tmp_path, monkeypatch, raw)
    assert sorted(Path(f).name for f in judged) == [
        "b-bad-line.ndjson",
        "c-blank-line.ndjson",
        "d-bom.ndjson",
        "e-form-feed.ndjson",
        "f-vertical-tab.ndjson",
        "g-cut.ndjson.gz",
        "i-not-utf8.ndjson",
        "l-corrupt.ndjson.gz",
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomly_corrupted_files_get_the_judges_verdict(tmp_path, monkeypatch, seed):
    """A generated day of every source (both mongoexport modes), a line in twenty of
    every second file corrupted at random (bytes flipped, inserted, deleted, cut, lines
    joined): each corrupted line the fast path vouches for gets the judge's values, and
    the ingest lands what the judge alone lands."""
    monkeypatch.setattr(files, "BLOCK_BYTES", 64 << 10)
    rng = random.Random(seed)
    mode = "canonical" if seed == 2 else "relaxed"
    generate(tmp_path / "clean", 1, date(2024, 5, 1), "small", seed, mongo_json=mode)
    alphabet = list('{}[]":,\\ -+.eE0123456789tfnrul/aZ\t\r\x00\x7f\x0b\x0c') + [
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
    corrupted: dict[records.RecordKind, list[str]] = {}
    for n, path in enumerate(sorted((tmp_path / "clean").rglob("*.ndjson"))):
        lines = path.read_text().splitlines()
        kind = records.kind_for(*path.relative_to(tmp_path / "clean").parts[:2])
        for k in rng.sample(range(len(lines)), k=max(1, len(lines) // 20)) if n % 2 else []:
            line = list(lines[k])
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
            lines[k] = "".join(line)
            corrupted.setdefault(kind, []).extend(lines[k].split("\n"))
        target = tmp_path / "raw" / path.relative_to(tmp_path / "clean")
        target.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
        if n % 2 and rng.random() < 0.2:  # an invalid byte somewhere
            at = rng.randrange(len(body))
            body = body[:at] + b"\xc3\x28" + body[at:]
        target.write_bytes(body)
    for kind, lines in corrupted.items():
        if vouch.plan_for(kind):
            assert_vouched_lines_judged_alike(tmp_path / kind.table, kind, lines)
    both_ways(tmp_path, monkeypatch, tmp_path / "raw")


def test_clean_files_are_vouched_for_without_the_judge(tmp_path, monkeypatch):
    """A clean generated day: the judge sees only the files of the kinds it types alone
    (free JSON, maps of integers); strings that read as numbers (Coder's build parameter
    values, app ports) and integers where a string may stand (app session ids) are the
    fast path's."""
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
    assert set(judged) == {"coder_template_version_parameters", "rocketchat_statistics"}


def test_rocketchat_files_are_read_as_their_first_line_writes_dates(tmp_path, monkeypatch):
    """Rocket.Chat's timestamps as plain strings (the contract's form) or wrapped by
    mongoexport: a file in either form is vouched for (an optional timestamp null or
    missing, a room's creation time in `ts` alone, gzip too); a file mixing the forms, or
    holding a timestamp that is null where required, a number or without offset, is
    judged, with the judge's verdicts."""
    raw = tmp_path / "raw"
    messages, rooms = records.BY_TABLE["rocketchat_messages"], records.BY_TABLE["rocketchat_rooms"]

    def lines(kind: records.RecordKind, dates: str, name: str, n: int = 20) -> list[str]:
        good = good_record(kind, dates)
        out = []
        for i in range(n):
            record = {**good, "_id": f"{name}-{i}"}
            if i % 4 == 1:
                record["_deletedAt"] = None
            elif i % 4 == 2:
                del record["_deletedAt"]
            if kind is rooms and i % 2:
                del record["createdAt"]  # created at `ts`
            out.append(orjson.dumps(record).decode())
        return out

    def written(kind: records.RecordKind, name: str, body: list[str]) -> None:
        path = write_lines(raw, kind, body, name)
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(path.read_bytes(), mtime=0))

    def broken(dates: str, name: str, ts: str) -> list[str]:
        """A file in the form dates, its fourth line's `ts` written as ts ("" drops it)."""
        body = lines(messages, dates, name, 5)
        record = orjson.loads(body[3])
        body[3] = orjson.dumps({k: v for k, v in record.items() if k != "ts"}).decode()
        body[3] = body[3] if not ts else body[3][:-1] + f',"ts":{ts}}}'
        return body

    for name, body in {
        "a-plain.ndjson": lines(messages, "plain", "a"),
        "b-wrapped.ndjson": lines(messages, "wrapped", "b"),
        "c-plain.ndjson.gz": lines(messages, "plain", "c"),
        "d-plain-then-wrapped.ndjson": lines(messages, "plain", "d", 5)
        + lines(messages, "wrapped", "dw", 1),
        "e-wrapped-then-plain.ndjson": lines(messages, "wrapped", "e", 5)
        + lines(messages, "plain", "ep", 1),
        "f-null.ndjson": broken("plain", "f", "null"),
        "g-missing.ndjson": broken("plain", "g", ""),
        "h-number.ndjson": broken("plain", "h", "1714550400"),
        "i-no-offset.ndjson": broken("plain", "i", '"2024-05-01T10:00:00"'),
        "j-wrapped-no-offset.ndjson": broken("wrapped", "j", '{"$date":"2024-05-01T10:00:00"}'),
        "k-wrapped-number.ndjson": broken("wrapped", "k", "1714550400"),
        "l-null-first.ndjson": broken("plain", "l", "null")[3:] + lines(messages, "plain", "m"),
    }.items():
        written(messages, name, body)
    written(rooms, "a-plain.ndjson", lines(rooms, "plain", "r"))
    written(rooms, "b-wrapped.ndjson", lines(rooms, "wrapped", "s"))
    judged = both_ways(tmp_path, monkeypatch, raw)
    assert sorted(Path(f).name for f in judged) == [
        "d-plain-then-wrapped.ndjson",
        "e-wrapped-then-plain.ndjson",
        "f-null.ndjson",
        "g-missing.ndjson",
        "h-number.ndjson",
        "i-no-offset.ndjson",
        "j-wrapped-no-offset.ndjson",
        "k-wrapped-number.ndjson",
        "l-null-first.ndjson",
    ]
    con = storage.open_warehouse(storage.Warehouse(tmp_path / "fast"))
    rejected = con.execute("select file, line from rejects order by file").fetchall()
    con.close()
    assert [(Path(f).name[0], line) for f, line in rejected] == [
        *((x, 4) for x in "fghijk"),
        ("l", 1),
    ]


def test_a_snapshot_kind_with_a_file_that_does_not_fit(tmp_path, monkeypatch):
    """A snapshot kind's statement (its rows kept in a temp table while written) runs again
    without the file that does not fit, whose lines the judge adds: the same warehouse as
    the judge's alone."""
    raw = tmp_path / "raw"
    kind = records.BY_TABLE["rocketchat_users"]
    good = orjson.dumps(good_record(kind)).decode()
    lines = [good.replace('"_id":"', f'"_id":"{n}-', 1) for n in range(50)]
    write_lines(raw, kind, lines, "a.ndjson")
    write_lines(raw, kind, [*lines, '{"_id": 5}'], "b-bad-line.ndjson")
    assert [Path(f).name for f in both_ways(tmp_path, monkeypatch, raw)] == ["b-bad-line.ndjson"]
