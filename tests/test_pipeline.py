"""The nightly run without Prefect: incremental rebuilds, late data, re-runs, failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipelines import pipeline, storage
from pipelines.config import ReportWindow, Settings
from tests import coder_fixture as coder
from tests.conftest import assert_only_cataloged_files, query, reports, write_raw

NOW = datetime(2024, 5, 10, 6, 0, tzinfo=UTC)
WINDOW = ReportWindow(
    endpoint="api/v2.1/admin/statistics/active-users/",
    name="may",
    params={"start": "2024-05-01 00:00:00", "end": "{date} 00:00:00"},
)


def activity(user: str, ts: str) -> dict:
    return {"username": user, "timestamp": ts}


def settings(**kw) -> Settings:
    return Settings(reports=[WINDOW], **kw)


def run(root: Path, raw: Path, **kw) -> pipeline.RunSummary:
    return pipeline.run_nightly(settings(), storage.Warehouse(root), raw, NOW, **kw)


def facts(root: Path) -> list[tuple]:
    return query(
        root,
        "select 'd', source, activity_date, user_id, count_events "
        "from fct_active_users_daily union all "
        "select 'w', source, week_start_date, user_id, count_active_days "
        "from fct_active_users_weekly order by all",
    )


DAY1 = [activity("a", "2024-05-01T10:00:00Z"), activity("b", "2024-05-01T11:00:00Z")]
DAY5 = [activity("a", "2024-05-05T10:00:00Z")]
LATE = [activity("c", "2024-05-01T12:00:00Z"), activity("c", "2024-05-02T00:30:00Z")]


def test_late_data_gives_the_same_result_as_data_on_time(tmp_path):
    on_time = tmp_path / "raw-on-time"
    write_raw(on_time, "seatable_user_activity", DAY1, "d1.ndjson")
    write_raw(on_time, "seatable_user_activity", DAY5, "d5.ndjson")
    write_raw(on_time, "seatable_user_activity", LATE, "late.ndjson")
    run(tmp_path / "a", on_time)

    late = tmp_path / "raw-late"
    write_raw(late, "seatable_user_activity", DAY1, "d1.ndjson")
    write_raw(late, "seatable_user_activity", DAY5, "d5.ndjson")
    run(tmp_path / "b", late)
    write_raw(late, "seatable_user_activity", LATE, "late.ndjson")
    second = run(tmp_path / "b", late)
    # Only the partitions around the late days were rebuilt, not the whole history.
    assert second.days_rebuilt < 8
    assert facts(tmp_path / "a") == facts(tmp_path / "b")
    assert reports(tmp_path / "a") == reports(tmp_path / "b")
    body = orjson.loads(reports(tmp_path / "b")["api/v2.1/admin/statistics/active-users/may.json"])
    counts = [e["count"] for e in body["active_users"]]
    assert counts[:6] == [3, 1, 0, 0, 1, 0]


def test_rerun_and_backfill_are_byte_identical(tmp_path):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", DAY1 + DAY5)
    first = run(tmp_path / "wh", raw)
    before, before_facts = reports(tmp_path / "wh"), facts(tmp_path / "wh")
    again = run(tmp_path / "wh", raw)
    assert (again.files, again.lines_read, again.days_rebuilt) == (0, 0, 0)
    backfill = run(tmp_path / "wh", raw, rebuild=(date(2024, 5, 1), date(2024, 5, 5)))
    assert backfill.days_rebuilt > 0
    assert reports(tmp_path / "wh") == before and facts(tmp_path / "wh") == before_facts
    assert first.reconciles and first.accepted == 3


def test_failed_run_keeps_the_published_state(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", DAY1)
    run(tmp_path / "wh", raw)
    before, before_facts = reports(tmp_path / "wh"), facts(tmp_path / "wh")
    write_raw(raw, "seatable_user_activity", DAY5, "more.ndjson")

    def broken_publish(*_args):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run(tmp_path / "wh", raw, stages=pipeline.Stages(publish=broken_publish))
    assert reports(tmp_path / "wh") == before and facts(tmp_path / "wh") == before_facts
    con = storage.open_warehouse(storage.Warehouse(tmp_path / "wh"))
    statuses = con.execute("select status, message from runs order by run_id").fetchall()
    con.close()
    assert statuses == [("ok", ""), ("failed", "RuntimeError: disk full")]
    assert_only_cataloged_files(tmp_path / "wh")  # the failed run's files are swept
    # The next run picks the file up again and publishes it.
    recovered = run(tmp_path / "wh", raw)
    assert recovered.accepted == 1


def test_second_run_at_once_refuses(tmp_path):
    wh = storage.Warehouse(tmp_path / "wh")
    with wh.lock(), pytest.raises(storage.WarehouseBusy, match="another run"):
        run(tmp_path / "wh", tmp_path / "raw")


def test_checks_flag_rejects_future_times_and_show_in_status(tmp_path):
    raw = tmp_path / "raw"
    write_raw(
        raw,
        "seatable_user_activity",
        [activity("a", "2024-05-01T10:00:00Z"), activity("b", "2030-01-01T00:00:00Z"), "junk"],
    )
    summary = run(tmp_path / "wh", raw)
    found = {(w.check_name, w.subject) for w in summary.warnings}
    assert found == {
        ("reject_rate", "seatable/user_activity/part.ndjson"),
        ("future_timestamps", "seatable_user_activity"),
    }
    from pipelines import monitoring

    con = storage.open_warehouse(storage.Warehouse(tmp_path / "wh"))
    report = monitoring.status(con, 5)
    con.close()
    assert [r["status"] for r in report["recent runs"]] == ["ok"]
    assert {r["check_name"] for r in report["open warnings (latest successful run)"]} == {
        "reject_rate",
        "future_timestamps",
    }
    seatable = next(r for r in report["data freshness"] if r["source"] == "seatable")
    assert seatable["records"] == "2"


def test_a_source_that_lands_nothing_for_too_long_is_a_warning(tmp_path):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", [activity("a", "2024-05-09T10:00:00Z")])
    first = pipeline.run_nightly(settings(), storage.Warehouse(tmp_path / "wh"), raw, NOW)
    assert not [w for w in first.warnings if w.check_name == "source_silence"]
    later = NOW + timedelta(hours=49)  # flows.yaml checks.max_source_silence_hours: 48
    quiet = pipeline.run_nightly(settings(), storage.Warehouse(tmp_path / "wh"), raw, later)
    (warning,) = [w for w in quiet.warnings if w.check_name == "source_silence"]
    assert warning.subject == "seatable" and warning.threshold == 48
    assert warning.value >= 49 and "no new raw file since" in warning.detail


def test_a_run_that_lands_nothing_from_a_source_says_so_and_succeeds(tmp_path):
    raw, wh = tmp_path / "raw", storage.Warehouse(tmp_path / "wh")
    write_raw(raw, "seatable_user_activity", DAY1, "a.ndjson")
    first = pipeline.run_nightly(settings(), wh, raw, NOW)  # openl2m has never landed: no word
    assert [w for w in first.warnings if w.check_name == "source_landed_nothing"] == []
    write_raw(
        raw,
        "openl2m_log",
        [{"id": 1, "timestamp": "2024-05-05T09:00:00Z", "type": 0, "action": 1}],
        "a.ndjson",
    )
    write_raw(raw, "seatable_user_activity", DAY5, "b.ndjson")
    assert pipeline.run_nightly(settings(), wh, raw, NOW).silent_sources == []
    # The next export of openl2m is empty; seatable's holds only lines already landed.
    write_raw(raw, "openl2m_log", [], "b.ndjson")
    write_raw(raw, "seatable_user_activity", DAY5, "c.ndjson")
    quiet = pipeline.run_nightly(settings(), wh, raw, NOW)
    assert quiet.status == "ok" and quiet.silent_sources == ["seatable", "openl2m"]
    silent = [
        (w.subject, w.detail) for w in quiet.warnings if w.check_name == "source_landed_nothing"
    ]
    assert silent == [
        (
            source,
            f"this run landed no new {source} record; earlier runs did (an empty export, "
            "a collect that found nothing, a source gone silent?)",
        )
        for source in ("seatable", "openl2m")
    ]
    assert query(
        wh.root,
        "select subject from checks where check_name = 'source_landed_nothing' order by subject",
    ) == [("openl2m",), ("seatable",)]


def test_volume_check_flags_an_outlier_day(tmp_path):
    raw = tmp_path / "raw"
    # Two users a day for two weeks, then a Monday with forty.
    normal = [
        activity(f"u{i}", f"2024-04-{d:02d}T10:00:00Z") for d in range(1, 15) for i in range(2)
    ]
    spike = [activity(f"s{i}", "2024-04-15T10:00:00Z") for i in range(40)]
    write_raw(raw, "seatable_user_activity", normal + spike)
    summary = run(tmp_path / "wh", raw)
    assert [(w.check_name, w.subject) for w in summary.warnings] == [
        ("day_volume", "seatable_user_activity 2024-04-15")
    ]


def test_only_changed_reports_are_republished(tmp_path):
    raw = tmp_path / "raw"
    write_raw(raw, "seatable_user_activity", DAY1)
    first = run(tmp_path / "wh", raw)
    again = run(tmp_path / "wh", raw)
    assert (first.reports_written, again.reports_written, again.reports_unchanged) == (1, 0, 1)
    write_raw(raw, "seatable_user_activity", DAY5, "more.ndjson")
    assert run(tmp_path / "wh", raw).reports_written == 1


def workspace(ident: str, template: str, name: str, updated: str) -> dict:
    owner = coder.U1
    return {
        "id": ident,
        "owner_id": owner,
        "organization_id": coder.ORG1,
        "template_id": template,
        "name": name,
        "created_at": coder.CREATED,
        "updated_at": updated,
    }


def app_minutes(root: Path) -> list[tuple]:
    return query(
        root,
        "select minute_at, template_id, app_key from fct_coder_activity_minutes "
        "where app_key is not null order by all",
    )


def test_a_new_workspace_template_rebuilds_only_the_days_of_its_app_sessions(tmp_path):
    # W1's app session is on May 1, W2's on May 3. Later exports move W1 to template T2
    # and rename W2 (same template): May 1 +- 1 day is rebuilt, May 3 is not, and the
    # result equals a warehouse that had the last versions from the start.
    first = [
        workspace(coder.W1, coder.T1, "w1", "2024-04-30T00:00:00Z"),
        workspace(coder.W2, coder.T1, "w2", "2024-04-30T00:00:00Z"),
    ]
    later = [
        workspace(coder.W1, coder.T2, "w1", "2024-05-06T00:00:00Z"),
        workspace(coder.W2, coder.T1, "renamed", "2024-05-06T00:00:00Z"),
    ]
    sessions = [
        coder.app(coder.U1, coder.W1, coder.A1, "2024-05-01T10:00:00Z", "2024-05-01T10:02:00Z"),
        coder.app(coder.U1, coder.W2, coder.A2, "2024-05-03T10:00:00Z", "2024-05-03T10:01:00Z"),
    ]
    raw = tmp_path / "raw"
    write_raw(raw, "coder_workspaces", first, "a.ndjson")
    write_raw(raw, "coder_workspace_app_stats", sessions, "a.ndjson")
    run(tmp_path / "incremental", raw)
    write_raw(raw, "coder_workspaces", later, "b.ndjson")
    second = run(tmp_path / "incremental", raw)
    run(tmp_path / "whole", raw)

    got = app_minutes(tmp_path / "incremental")
    assert got == app_minutes(tmp_path / "whole")
    assert {(m.day, t) for m, t, _ in got} == {(1, coder.T2), (3, coder.T1)}
    live = storage.Catalog.load(storage.Warehouse(tmp_path / "incremental"))
    rebuilt = {
        day
        for day in live.partitions("fct_coder_activity_minutes")
        if second.run_id in live.file("fct_coder_activity_minutes", day).name
    }
    assert rebuilt == {"2024-05-01"}
