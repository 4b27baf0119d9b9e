"""Retention: a run drops the raw files, record partitions and report sets older than
flows.yaml keeps, after the facts are built; the facts of the dropped days stay final."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipelines import monitoring, pipeline, records, storage
from pipelines.config import ConfigError, Settings
from pipelines.extract.files import discover
from pipelines.generate import generate
from pipelines.publish import check_windows
from pipelines.retention.policy import landed_day
from pipelines.sqlcatalog import models
from pipelines.transform import floors
from tests.conftest import ROOT, query, reports, write_raw

START, DAYS = date(2024, 1, 1), 120
NOW = datetime(2024, 4, 30, 6, 0, tzinfo=UTC)  # the morning after the tree's last day
RAW_FROM, RECORDS_FROM = date(2024, 3, 31), date(2024, 3, 1)  # 30 and 60 days before


def settings(**retention) -> Settings:
    """The repository's flows.yaml (its windows); OpenL2M's log window cut to 30 days, so
    60 days of records hold what its stats read."""
    data = storage_settings()
    return Settings.model_validate({**data, "log_max_age_days": 30, "retention": retention})


def storage_settings() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "flows.yaml").read_text())


def thin_tree(raw: Path) -> Path:
    """120 generated days, in fewer files (the ingest's cost goes with the files): Coder's
    agent reports cut to their first 100 a day (the rest is most of the bytes), an event
    kind's week in one file in its first day's folder, a snapshot kind's days in one file
    outside the dated folders (the raw retention keeps it)."""
    generate(raw, DAYS, START, "small", 5)
    for path in (raw / "coder" / "workspace_agent_stats").rglob("*.ndjson"):
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:100]))
    for kind in records.KINDS:
        folder = raw / kind.source / kind.kind
        weeks: dict[Path, list[Path]] = {}
        for path in sorted(folder.rglob("*.ndjson")):
            day = landed_day(path.relative_to(raw).as_posix())
            monday = day - timedelta(days=day.weekday())
            into = (
                folder / "all.ndjson"
                if kind.sort == "snapshot"
                else folder / f"{monday:%Y/%m/%d}/week.ndjson"
            )
            weeks.setdefault(into, []).append(path)
        for into, days in weeks.items():
            data = b"".join(p.read_bytes() for p in days)
            for path in days:
                path.unlink()
            into.parent.mkdir(parents=True, exist_ok=True)
            into.write_bytes(data)
    for folder in sorted(raw.rglob("*"), reverse=True):  # the day folders left empty
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return raw


def facts(root: Path) -> dict[str, list[tuple]]:
    """Every fact's rows, each led by its partition day."""
    con = storage.open_warehouse(storage.Warehouse(root))
    try:
        return {
            m.name: con.execute(
                f"select {m.partition}::date, * from {m.name} order by all"
            ).fetchall()
            for m in models().values()
            if m.is_dated and m.layer == "facts"
        }
    finally:
        con.close()


def partitions(root: Path) -> dict[str, list[str]]:
    catalog = storage.Catalog.load(storage.Warehouse(root))
    return {k.table: catalog.partitions(k.table) for k in records.KINDS if k.partitioned}


def test_retention_keeps_exactly_its_days_and_the_facts_of_the_days_it_dropped(tmp_path):
    raw, root = thin_tree(tmp_path / "raw"), tmp_path / "wh"
    tree = {f.relative for f in discover(raw).files}
    wh = storage.Warehouse(root)
    pipeline.run_nightly(settings(), wh, raw, NOW)
    everything, before, published = partitions(root), facts(root), reports(root)
    keep = settings(raw="30d", records="60d", reports=2)
    summary = pipeline.run_nightly(keep, wh, raw, NOW)

    # Records: event kinds keep the days from 60 days before the run's date, exactly.
    left = partitions(root)
    for kind in filter(lambda k: k.partitioned, records.KINDS):
        if kind.sort == "event":
            assert left[kind.table] == [d for d in everything[kind.table] if d >= str(RECORDS_FROM)]
            assert everything[kind.table][:1] < [str(RECORDS_FROM)], kind.table
        else:  # snapshot kinds keep every version
            assert left[kind.table] == everything[kind.table]
    assert query(root, "select min(day) from stg_openl2m_log") == [(RECORDS_FROM,)]
    # Raw: the files of dated folders before 30 days, nothing else.
    expected = {f for f in tree if landed_day(f) is None or landed_day(f) >= RAW_FROM}
    assert {f.relative for f in discover(raw).files} == expected != tree
    assert not (raw / "coder" / "workspace_agent_stats" / "2024" / "01").exists()
    # The facts were built before the drop: every day of them stays, and every window
    # answers as it did.
    assert facts(root) == before
    assert reports(root) == published
    # The drops are recorded in the run and shown by status.
    assert {d.layer for d in summary.dropped} == {"raw", "records"}
    con = storage.open_warehouse(wh)
    shown = monitoring.status(con, 10)["dropped by retention and erasures"]
    con.close()
    assert {row["layer"] for row in shown} == {"raw", "records"}
    assert all(row["through"] < str(RECORDS_FROM) for row in shown if row["layer"] == "records")

    # A backfill of the whole range rebuilds the days its records still hold, to the same
    # numbers, and keeps the days before each fact's floor as they were built.
    pipeline.run_nightly(keep, wh, raw, NOW, rebuild=(START, NOW.date()))
    assert facts(root) == before
    catalog = storage.Catalog.load(wh)
    for name in before:  # records from 03-01, plus the windows of the model and its inputs
        assert RECORDS_FROM <= floors.floor(catalog, name) < RECORDS_FROM + timedelta(days=5)
    # Late data: a day before the floor is not counted again; a recent day is.
    late = [
        {"username": "late@example.com", "timestamp": "2024-01-15T10:00:00Z"},
        {"username": "late@example.com", "timestamp": "2024-04-20T10:00:00Z"},
    ]
    write_raw(raw, "seatable_user_activity", late, "2024/04/29/late.ndjson")
    pipeline.run_nightly(keep, wh, raw, NOW + timedelta(hours=1))
    assert query(
        root, "select activity_date from fct_active_users_daily where user_id = 'late@example.com'"
    ) == [(date(2024, 4, 20),)]
    for name, rows in facts(root).items():
        final = floors.floor(catalog, name)
        assert [r for r in rows if r[0] < final] == [r for r in before[name] if r[0] < final]
    assert len(storage.report_sets(wh)) == 2  # this run's and the one before


@pytest.mark.parametrize(
    ("retention", "key", "reader"),
    [
        ({"records": "60d"}, "retention.records: 60d drops openl2m records", "api/stats/"),
        ({"openl2m": {"records": "100d"}}, "retention.openl2m.records", "api/stats/"),
        (
            {"facts": "400d"},
            "retention.facts: 400d drops rocketchat facts",
            "keep at least forever",
        ),
        ({"coder": {"facts": "20d"}}, "retention.coder.facts", "api/v2/insights/daus"),
    ],
)
def test_a_retention_that_starves_a_window_is_refused_at_load(retention, key, reader):
    data = {**storage_settings(), "retention": retention}
    with pytest.raises(ConfigError) as refused:
        check_windows(Settings.model_validate(data), Path("flows.yaml"), NOW)
    message = str(refused.value)
    assert message.startswith(f"flows.yaml: {key}") and reader in message
    assert "\n" not in message
