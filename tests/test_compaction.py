"""A fact's settled days packed in one file a month (its settled days so far, or blocks of
seven days): which days share a file, and that packing changes no answer, in order or late."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipelines import pipeline, storage
from pipelines.config import ReportWindow, Settings
from pipelines.storage.compaction import storage_unit
from tests.conftest import assert_only_cataloged_files, query, reports, write_raw

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "newest", "window", "so_far", "in_blocks"),
    [
        # newest 02-13, window 0: settled up to 02-06, so January is whole; February's
        # settled days so far are one file; in blocks, its first block (1st-7th) ends on
        # the 7th, after 02-06: its days stay apart.
        ("2026-01-05", "2026-02-13", 0, ("2026-01-01", "2026-01-31"), ("2026-01-01", "2026-01-31")),
        ("2026-02-03", "2026-02-13", 0, ("2026-02-01", "2026-02-06"), ("2026-02-03", "2026-02-03")),
        ("2026-02-03", "2026-02-14", 0, ("2026-02-01", "2026-02-07"), ("2026-02-01", "2026-02-07")),
        # a window of 1 settles a day later
        ("2026-02-03", "2026-02-14", 1, ("2026-02-01", "2026-02-06"), ("2026-02-03", "2026-02-03")),
        # a month's last block ends with it, so it settles as the whole month does
        ("2026-01-30", "2026-02-06", 0, ("2026-01-01", "2026-01-30"), ("2026-01-30", "2026-01-30")),
        ("2026-01-30", "2026-02-07", 0, ("2026-01-01", "2026-01-31"), ("2026-01-01", "2026-01-31")),
        ("2026-02-16", "2026-03-06", 0, ("2026-02-01", "2026-02-27"), ("2026-02-15", "2026-02-21")),
        ("2026-02-22", "2026-03-06", 0, ("2026-02-01", "2026-02-27"), ("2026-02-22", "2026-02-22")),
        ("2026-02-22", "2026-03-07", 0, ("2026-02-01", "2026-02-28"), ("2026-02-01", "2026-02-28")),
        # the newest days are always their own
        ("2026-02-13", "2026-02-13", 0, ("2026-02-13", "2026-02-13"), ("2026-02-13", "2026-02-13")),
    ],
)
def test_which_days_share_a_file(day, newest, window, so_far, in_blocks):
    for blocks, unit in ((False, so_far), (True, in_blocks)):
        assert storage_unit(D(day), D(newest), window, blocks) == (D(unit[0]), D(unit[1]))


WINDOW = ReportWindow(
    endpoint="api/v2.1/admin/statistics/active-users/",
    name="winter",
    params={"start": "2026-01-15 00:00:00", "end": "{date} 00:00:00"},
)


def days(first: str, last: str) -> list[date]:
    return [D(first) + timedelta(days=n) for n in range((D(last) - D(first)).days + 1)]


def activity(first: str, last: str) -> list[dict]:
    """Each day: user a and a user of that day alone, at noon."""
    return [
        {"username": user, "timestamp": f"{day}T12:00:00Z"}
        for day in days(first, last)
        for user in ("a", f"u{day:%m%d}")
    ]


def run(root: Path, raw: Path, now: str) -> pipeline.RunSummary:
    at = datetime.fromisoformat(now).replace(tzinfo=UTC)
    return pipeline.run_nightly(Settings(reports=[WINDOW]), storage.Warehouse(root), raw, at)


def daily(root: Path) -> list[tuple]:
    return query(
        root,
        "select activity_date, count(*), list(user_id order by user_id) "
        "from fct_active_users_daily group by all order by all",
    )


def files(root: Path) -> dict[str, str]:
    """Day -> the folder of the file that holds it, of fct_active_users_daily."""
    catalog = storage.Catalog.load(storage.Warehouse(root))
    table = "fct_active_users_daily"
    return {day: catalog.file(table, day).parent.name for day in catalog.partitions(table)}


def written_by(root: Path, run_id: str) -> set[str]:
    catalog = storage.Catalog.load(storage.Warehouse(root))
    table = "fct_active_users_daily"
    return {d for d in catalog.partitions(table) if run_id in catalog.file(table, d).name}


def files_read(root: Path, first_day: str) -> int:
    """How many Parquet reads DuckDB plans for the fact's days from first_day on: one for
    the day files, and one more when the packed files may hold some of those days."""
    con = storage.open_warehouse(storage.Warehouse(root))
    try:
        plan = con.execute(
            "explain select count(*) from fct_active_users_daily where activity_date >= $day",
            {"day": D(first_day)},
        ).fetchall()[0][1]
    finally:
        con.close()
    return plan.count("Read Parquet")


def same_as_a_whole_build(root: Path, raw: Path, now: str, tmp_path: Path) -> None:
    whole = tmp_path / f"whole-{now[:10]}"
    run(whole, raw, now)
    assert daily(root) == daily(whole)
    assert files(root) == files(whole)
    assert reports(root) == reports(whole)


def test_packed_days_answer_as_day_files_in_order_and_late(tmp_path):
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    write_raw(raw, "seatable_user_activity", activity("2026-01-20", "2026-02-03"), "a.ndjson")
    run(wh, raw, "2026-02-04T06:00:00")
    # Newest 02-03, window 1: settled up to 01-26, so January's settled days so far
    # (01-20..01-26) are one file; the later days keep a file each.
    held = files(wh)
    assert {held[str(d)] for d in days("2026-01-20", "2026-01-26")} == {
        "activity_date=2026-01-01..2026-01-26"
    }
    assert held["2026-01-27"] == "activity_date=2026-01-27"
    assert len(set(held.values())) == 1 + 8
    same_as_a_whole_build(wh, raw, "2026-02-04T06:00:00", tmp_path)

    write_raw(raw, "seatable_user_activity", activity("2026-02-04", "2026-02-12"), "b.ndjson")
    second = run(wh, raw, "2026-02-13T06:00:00")
    # Newest 02-12: settled up to 02-04, so January (its file so far and its day files)
    # is one file now, and February's settled days so far (02-01..02-04) another.
    held = files(wh)
    assert {held[str(d)] for d in days("2026-01-20", "2026-01-31")} == {
        "activity_date=2026-01-01..2026-01-31"
    }
    assert {held[str(d)] for d in days("2026-02-01", "2026-02-04")} == {
        "activity_date=2026-02-01..2026-02-04"
    }
    assert [held[str(d)] for d in days("2026-02-05", "2026-02-12")] == [
        f"activity_date={d}" for d in days("2026-02-05", "2026-02-12")
    ]
    assert written_by(wh, second.run_id) == {
        *map(str, days("2026-01-20", "2026-01-31")),  # packed anew, rows unchanged
        *map(str, days("2026-02-01", "2026-02-02")),  # likewise, into February's file
        *map(str, days("2026-02-03", "2026-02-12")),  # the new days and the window's one
    }
    same_as_a_whole_build(wh, raw, "2026-02-13T06:00:00", tmp_path)

    # A late user on a packed day: its window (01-21..01-23) is in January's file, which
    # is written again; no February file is.
    late = [{"username": "late", "timestamp": "2026-01-22T12:00:00Z"}]
    write_raw(raw, "seatable_user_activity", late, "c.ndjson")
    third = run(wh, raw, "2026-02-13T07:00:00")
    assert written_by(wh, third.run_id) == set(map(str, days("2026-01-20", "2026-01-31")))
    assert (D("2026-01-22"), 3, ["a", "late", "u0122"]) in daily(wh)
    assert daily(wh) == [
        (
            day,
            3 if str(day) == "2026-01-22" else 2,
            sorted(["a", f"u{day:%m%d}", *(["late"] if str(day) == "2026-01-22" else [])]),
        )
        for day in days("2026-01-20", "2026-02-12")
    ]
    same_as_a_whole_build(wh, raw, "2026-02-13T07:00:00", tmp_path)
    assert_only_cataloged_files(wh)


def test_a_query_of_later_days_leaves_the_packed_files_unopened(tmp_path):
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    write_raw(raw, "seatable_user_activity", activity("2025-12-25", "2026-02-12"), "a.ndjson")
    run(wh, raw, "2026-02-13T06:00:00")
    assert {files(wh)[d] for d in ("2025-12-31", "2026-01-31")} == {
        "activity_date=2025-12-01..2025-12-31",
        "activity_date=2026-01-01..2026-01-31",
    }
    # February's days after its settled ones (02-01..02-04): the day files alone (DuckDB
    # drops the packed files by the days their folders name, unopened); a settled day of
    # February: the packed files too.
    assert files(wh)["2026-02-04"] == "activity_date=2026-02-01..2026-02-04"
    assert files_read(wh, "2026-02-05") == 1
    assert files_read(wh, "2026-02-04") == 2
