"""The sample data generator: deterministic, complete, and clean through the real ingest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines import records
from pipelines.extract.ingest import ingest
from pipelines.generate import generate
from pipelines.storage import Warehouse

START = date(2026, 3, 2)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    generate(tmp_path / "a", 3, START, "small", 5)
    generate(tmp_path / "b", 3, START, "small", 5)
    generate(tmp_path / "c", 3, START, "small", 6)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")


def test_days_are_generated_independently(tmp_path):
    generate(tmp_path / "short", 2, START, "small", 5)
    generate(tmp_path / "long", 4, START, "small", 5)
    short, long = tree(tmp_path / "short"), tree(tmp_path / "long")
    # Adding days changes no earlier day (the last day alone adds re-exported live sessions).
    shared = [name for name in short if "-live" not in name]
    assert shared and all(long[name] == short[name] for name in shared)


def test_every_kind_is_written_and_ingests_without_a_reject(tmp_path):
    summary = generate(tmp_path / "raw", 7, START, "small", 1)
    assert {k.table for k in records.KINDS} <= {k for k, n in summary.per_kind.items() if n}
    result = ingest(Warehouse(tmp_path / "wh"), tmp_path / "raw", "r1", START)
    assert result.rejected == 0 and result.reconciles
    assert result.lines_read == summary.records


def test_gzip_gives_the_same_records(tmp_path):
    plain = generate(tmp_path / "plain", 2, START, "small", 1)
    zipped = generate(tmp_path / "zipped", 2, START, "small", 1, gzip=True)
    assert all(p.name.endswith(".ndjson.gz") for p in (tmp_path / "zipped").rglob("*.gz"))
    result = ingest(Warehouse(tmp_path / "wh"), tmp_path / "zipped", "r1", START)
    assert (result.lines_read, result.rejected) == (plain.records, 0)
    assert zipped.records == plain.records


@pytest.mark.parametrize(
    ("args", "message"), [((0, None, "small"), "--days"), ((1, None, "huge"), "scale")]
)
def test_bad_arguments(tmp_path, args, message):
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, *args)
