"""The staging layer: what each SQL model reads, who may read raw record tables, and
snapshot versions kept with their validity, closed one range at a time."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines import pipeline, records, sqlcatalog, storage
from pipelines.config import Settings
from pipelines.endpoints.base import open_session
from pipelines.extract.ingest import ingest
from pipelines.sqlcatalog import declared_inputs, macros, models, reads
from pipelines.storage.internal import INTERNAL
from tests.conftest import query, write_raw

LAYERS = ("staging", "facts", "reports", "checks")
START = date(2024, 4, 1)
DAYS = 30
NOW = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
ORG = "00000000-0000-0000-0000-0000000000aa"


def sql_files(*layers: str) -> list[Path]:
    return [p for layer in layers for p in sqlcatalog.sql_files(layer)]


def test_every_header_names_exactly_the_tables_its_body_reads():
    for path in sql_files(*LAYERS):
        sql = path.read_text()
        assert set(declared_inputs(sql)) == reads(sql), path.name
    assert {m.name: m.reads for m in macros().values()} == {
        "active_users_rolling": ("fct_active_users_daily",),
        "as_of": None,
        "current_versions": None,
        "coder_usage": ("fct_coder_usage_30m",),
        "coder_rollup_codes": ("fct_coder_usage_30m",),
        "coder_held_builds": ("stg_coder_workspace_builds", "stg_coder_template_versions"),
        "day_counts": None,
        "last_change": None,
        "pg_percentile_at": (),
        "pg_percentile_sorted": (),
        "pg_percentile_cont": (),
        "rocketchat_message_counts": None,
        "utc_day": (),
        "local_day": (),
    }


def test_only_a_model_no_report_reads_is_written_unsorted(tmp_path):
    fact = tmp_path / "facts" / "fct_example.sql"
    fact.parent.mkdir()
    body = "-- partition: d\n-- window: 0 days\n{}select current_date as d\n"
    fact.write_text(body.format("-- unsorted: read whole by models alone\n"))
    assert not sqlcatalog.Model.parse(fact).sorted
    fact.write_text(body.format(""))
    assert sqlcatalog.Model.parse(fact).sorted
    # Row groups in key order bound the windows a report reads: only what no report
    # reads, directly or through a view, goes unsorted.
    read = set().union(*(reads(p.read_text()) for p in sqlcatalog.sql_files("reports")))
    beneath = set(sqlcatalog.tables_beneath(read, lambda _table: True))
    unsorted = {name for name, model in models().items() if not model.sorted}
    assert unsorted == {"fct_coder_activity_minutes"}
    assert not unsorted & beneath


def test_the_records_per_day_cover_every_event_kind():
    """The day-volume check reads fct_record_days: each event kind, under its own name."""
    events = [k.table for k in records.KINDS if k.sort == "event" and k.partitioned]
    sql = models()["fct_record_days"].sql
    assert set(models()["fct_record_days"].inputs) == {f"stg_{t}" for t in events}
    assert re.findall(r"day_counts\('stg_(\w+)', \w+\)", sql) == events


def test_privacy_headers_name_real_columns():
    """`-- person:` names columns of the model (forget removes the rows naming a person
    from the partitions it cannot build again); a model of several products says each
    row's product (`-- source:`, for retention); a model with a user column declares it."""
    from pipelines.retention.drop import sources_of

    empty = storage.Catalog(storage.Warehouse("."))  # no files: every view typed and empty
    con = storage.open_warehouse(empty.wh, empty)
    try:
        for model in models().values():
            if not model.is_dated:
                continue
            columns = {row[0] for row in con.execute(f"describe {model.name}").fetchall()}
            assert set(model.person) <= columns, model.name
            if len(sources_of(model.name)) > 1:
                assert model.source_of_row, model.name
            named = {"user_id", "owner", "login_user_id", "username", "workspace_id"} & columns
            assert named <= set(model.person), model.name
    finally:
        con.close()


def test_a_table_in_a_comment_or_a_string_is_no_input():
    sql = "-- from coder_users\nselect 'from coder_users' as x from stg_coder_users"
    assert reads(sql) == {"stg_coder_users"}
    assert reads("select * from as_of(stg_rocketchat_rooms, $now)") == {"stg_rocketchat_rooms"}
    assert reads("with a as (select 1) select * from a") == set()


def test_only_staging_models_read_raw_record_tables():
    raw = {kind.table for kind in records.KINDS}
    for path in sql_files("facts", "reports", "checks"):
        assert not reads(path.read_text()) & raw, path.name
    for model in models().values():
        if model.layer == "staging":
            assert len(model.inputs) == 1 and model.inputs[0] in raw, model.name


def test_no_sql_file_picks_the_latest_version_itself():
    for path in sql_files(*LAYERS, "macros"):
        assert not re.search(r"row_number\s*\(", path.read_text()), path.name


def test_every_snapshot_kind_with_a_time_is_kept_as_versions_of_its_key():
    for kind in records.KINDS:
        if kind.sort == "snapshot" and kind.time is not None:
            model = models()[f"stg_{kind.table}"]
            assert model.versions_of is not None, model.name
            assert len(model.versions_of) == len(kind.key), model.name


# ---------------------------------------------------------------- a late snapshot change


def at(day: int, hour: int = 9) -> str:
    return f"{START + timedelta(days=day)}T{hour:02d}:00:00Z"


def mongo(time: str) -> dict:
    """A time as mongoexport writes Rocket.Chat's (the ingest's fast path reads this form;
    a file of plain strings goes to the judge line by line)."""
    return {"$date": time}


def room(ident: str, day: int, **extra) -> dict:
    return {
        "_id": ident,
        "t": "c",
        "createdAt": mongo(at(0, 8)),
        "_updatedAt": mongo(at(day)),
        **extra,
    }


def template(ident: str, day: int, name: str) -> dict:
    return {
        "id": ident,
        "organization_id": ORG,
        "name": name,
        "created_at": at(0, 8),
        "updated_at": at(day),
    }


ROOMS = [f"room-{n}" for n in range(6)]
TEMPLATES = [f"00000000-0000-0000-0000-00000000000{n}" for n in range(3)]


def history(raw: Path) -> None:
    """A month of versions: every room changes every third day, every template weekly,
    each day's versions in that day's file."""
    for day in range(DAYS - 1):
        folder = f"{START + timedelta(days=day):%Y/%m/%d}"
        changed = [room(r, day, msgs=day) for n, r in enumerate(ROOMS) if day % 3 == n % 3]
        write_raw(raw, "rocketchat_rooms", changed, f"{folder}/rooms.ndjson")
        if day % 7 == 0:
            renamed = [template(t, day, f"t{n}-week{day // 7}") for n, t in enumerate(TEMPLATES)]
            write_raw(raw, "coder_templates", renamed, f"{folder}/templates.ndjson")


def run(root: Path, raw: Path) -> pipeline.RunSummary:
    summary = pipeline.run_nightly(Settings(reports=[]), storage.Warehouse(root), raw, NOW)
    assert summary.status == "ok", summary.message
    return summary


def versions(root: Path, table: str, key: str) -> set[tuple]:
    return set(query(root, f"select {key}, valid_from, valid_to, valid_to_date from {table}"))


def written_by(root: Path, run_id: str) -> dict[str, set[str]]:
    """The partitions of each record table and model whose live file the run wrote."""
    catalog = storage.Catalog.load(storage.Warehouse(root))
    bookkeeping = {table.name for table in INTERNAL}
    return {
        table: found
        for table in catalog.tables
        if table not in bookkeeping
        and (
            found := {k for k in catalog.partitions(table) if run_id in catalog.file(table, k).name}
        )
    }


def test_a_late_snapshot_change_closes_one_range_and_rewrites_only_its_partitions(tmp_path):
    raw, incremental = tmp_path / "raw", tmp_path / "incremental"
    history(raw)
    run(incremental, raw)
    rooms_before = versions(incremental, "stg_rocketchat_rooms", "room_id")
    templates_before = versions(incremental, "stg_coder_templates", "template_id")

    # On the last day room-1 is deleted and template 0 renamed.
    last = f"{START + timedelta(days=DAYS - 1):%Y/%m/%d}"
    deleted = room("room-1", DAYS - 1, msgs=99, _deletedAt=mongo(at(DAYS - 1)))
    write_raw(raw, "rocketchat_rooms", [deleted], f"{last}/rooms.ndjson")
    write_raw(
        raw, "coder_templates", [template(TEMPLATES[0], DAYS - 1, "renamed")], f"{last}/t.ndjson"
    )
    second = run(incremental, raw)

    closing_day = str(START + timedelta(days=DAYS - 1))
    instant = datetime.fromisoformat(at(DAYS - 1).replace("Z", "+00:00"))
    for table, key, ident, before in (
        ("stg_rocketchat_rooms", "room_id", "room-1", rooms_before),
        ("stg_coder_templates", "template_id", TEMPLATES[0], templates_before),
    ):
        after = versions(incremental, table, key)
        (closed,) = before - after  # one range, the entity's current one, now closed
        assert closed[0] == ident and closed[2] is None
        assert after - before == {
            (ident, closed[1], instant, date.fromisoformat(closing_day)),
            (ident, instant, None, date(9999, 12, 31)),
        }
    # Only the day the ranges closed and the current versions' partition were written;
    # no fact reads these snapshots, so no fact was rebuilt.
    assert written_by(incremental, second.run_id) == {
        "stg_rocketchat_rooms": {closing_day, "9999-12-31"},
        "stg_coder_templates": {closing_day, "9999-12-31"},
        "rocketchat_rooms": {closing_day},
        "coder_templates": {closing_day},
    }

    # As of any instant, the versions answer as one build from every file does.
    whole = tmp_path / "whole"
    run(whole, raw)
    for table, key in (("stg_rocketchat_rooms", "room_id"), ("stg_coder_templates", "template_id")):
        assert versions(incremental, table, key) == versions(whole, table, key)
    live_rooms = (
        "select count(*) from as_of(stg_rocketchat_rooms, $1::timestamptz) where deleted_at is null"
    )
    for root in (incremental, whole):
        con = storage.open_warehouse(storage.Warehouse(root))
        try:
            assert con.execute(live_rooms, [NOW]).fetchall() == [(len(ROOMS) - 1,)]
            assert con.execute(live_rooms, [instant - timedelta(seconds=1)]).fetchall() == [
                (len(ROOMS),)
            ]
            names = "select name from as_of(stg_coder_templates, $1::timestamptz) where template_id = $2"
            assert con.execute(names, [NOW, TEMPLATES[0]]).fetchall() == [("renamed",)]
            assert con.execute(names, [instant - timedelta(days=2), TEMPLATES[0]]).fetchall() == [
                ("t0-week3",)  # day 27: the version of day 21
            ]
        finally:
            con.close()


def test_a_fact_built_anew_rebuilds_the_models_reading_it_and_no_other(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "wh"
    history(raw)
    for day in range(DAYS - 1):
        message = {"_id": f"m{day}", "rid": "room-0", "ts": at(day), "u": {"_id": "u1"}}
        write_raw(
            raw,
            "rocketchat_messages",
            [message],
            f"{START + timedelta(days=day):%Y/%m/%d}/m.ndjson",
        )
    run(root, raw)
    # As if fct_active_users_daily's SQL had changed since its files were built.
    current = storage.Warehouse(root).catalog_dir / "current.json"
    body = json.loads(current.read_text())
    body["models"]["fct_active_users_daily"] = "an older SQL"
    current.write_text(json.dumps(body))
    catalog = storage.Catalog.load(storage.Warehouse(root))
    daily, weekly = (
        catalog.partitions(t) for t in ("fct_active_users_daily", "fct_active_users_weekly")
    )

    second = run(root, raw)  # no new records

    # The fact whole, the weekly fact over it in every week it reaches; nothing else.
    assert written_by(root, second.run_id) == {
        "fct_active_users_daily": set(daily),
        "fct_active_users_weekly": set(weekly),
    }
    whole = tmp_path / "whole"
    run(whole, raw)
    for table in ("fct_active_users_daily", "fct_active_users_weekly", "fct_record_days"):
        ordered = f"select * from {table} order by all"
        assert query(root, ordered) == query(whole, ordered)


def log(ident: int, day: int, hour: int = 9) -> dict:
    return {"id": ident, "timestamp": at(day, hour), "user_id": 1, "type": 5, "action": 1}


def test_event_staging_a_report_reads_is_packed_and_rewritten_by_the_day(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "wh"
    for day in range(DAYS - 1):  # 04-01..04-29, a log record a day
        write_raw(
            raw,
            "openl2m_log",
            [log(day, day)],
            f"{START + timedelta(days=day):%Y/%m/%d}/log.ndjson",
        )
    run(root, raw)
    catalog = storage.Catalog.load(storage.Warehouse(root))
    # Newest 04-29, window 0: settled up to 04-22, so the blocks 04-01..07, 08..14 and
    # 15..21 are a file each, and the 8 days after them a file each.
    assert len(set(catalog.files("stg_openl2m_log"))) == 3 + 8

    # A late record of 04-04: its raw day, and the staging block that holds it.
    write_raw(raw, "openl2m_log", [log(100, 3, 20)], "late.ndjson")
    second = run(root, raw)
    written = written_by(root, second.run_id)
    assert written["openl2m_log"] == {"2024-04-04"}
    assert written["stg_openl2m_log"] == {f"2024-04-0{d}" for d in range(1, 8)}

    # Records of another kind on a day without log records: fct_record_days rebuilds that
    # day, reading the staging files of a day that has none.
    activity = [{"username": "a@x", "timestamp": at(DAYS - 1)}]
    write_raw(raw, "seatable_user_activity", activity, "activity.ndjson")
    third = run(root, raw)
    # Its new day 04-30, and its month so far packed again: newest 04-30, settled to 04-23.
    assert written_by(root, third.run_id)["fct_record_days"] == {
        *(str(START + timedelta(d)) for d in range(23)),
        "2024-04-30",
    }

    whole = tmp_path / "whole"
    run(whole, raw)
    for table in ("stg_openl2m_log", "fct_openl2m_log_daily", "fct_record_days"):
        ordered = f"select * from {table} order by all"
        assert query(root, ordered) == query(whole, ordered)
    # A report session reads the staging files; the raw table (a file a day) is not bound.
    con = open_session(storage.Warehouse(root))
    try:
        bound = {name for (name,) in con.execute("select view_name from duckdb_views()").fetchall()}
    finally:
        con.close()
    assert "stg_openl2m_log" in bound and "openl2m_log" not in bound


def test_sessions_side_by_side_in_one_database_keep_their_own_views(tmp_path):
    # The transform builds two models at once, in sessions of one database (one memory
    # limit): each binds its own days of a table and its own model_rows.
    raw = tmp_path / "raw"
    rows = [("a", 1), ("b", 2), ("c", 2)]
    write_raw(
        raw,
        "seatable_user_activity",
        [{"username": user, "timestamp": f"2024-05-0{day}T10:00:00Z"} for user, day in rows],
    )
    wh = storage.Warehouse(tmp_path / "wh")
    ingest(wh, raw, "test", date(2024, 5, 3))
    database = storage.connect()
    try:
        sessions = [
            storage.open_warehouse(
                wh, None, ["seatable_user_activity"], {"seatable_user_activity": {day}}, database
            )
            for day in ("2024-05-01", "2024-05-02")
        ]
        for session in sessions:
            session.execute("create temp table model_rows as from seatable_user_activity")
        assert [s.execute("select count(*) from model_rows").fetchall() for s in sessions] == [
            [(1,)],
            [(2,)],
        ]
        # Every macro of sql/macros is the session's own too (a file may create several):
        # none lands in the shared database, where two sessions would create it at once.
        shared = database.execute(
            "select function_name from duckdb_functions() "
            "where function_type like '%macro' and not internal and database_name <> 'temp'"
        ).fetchall()
        assert shared == []
    finally:
        database.close()
