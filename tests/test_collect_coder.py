"""`collect coder` against a real PostgreSQL server holding Coder's tables: the reports of a
collected deployment equal those of its raw files landed directly; history past Coder's
purge; strings byte for byte; no secret ever in a raw file; crashes; errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from pipelines import pipeline, records, storage
from pipelines.extract.ingest import ingest
from tests import coder_pg
from tests.conftest import (
    AWKWARD,
    COLLECT_PROBLEMS,
    assert_a_collect_killed_while_writing_lands_nothing,
    assert_collect_fails_cleanly,
    assert_declared_fields_only,
    cli,
    collect,
    collect_every_night,
    configured_source,
    day_records,
    direct_landing,
    documented_reader,
    documented_sql,
    query,
    raw_lines,
    repo_settings,
    reports,
)

START, DAYS, SEED = date(2026, 3, 2), 4, 3
NOW = datetime(2026, 3, 6, 6, 0, tzinfo=UTC)  # the morning after the last generated day
INSIGHTS = "api/v2/insights/"


# Events per table; not the builds numbered 0 the loader adds for the apps the generator
# exports on its first day without a build (coder_pg.CoderDatabase._agent).
EVENT_COUNTS = " union all ".join(
    f"select '{k.table}', count(*) from {k.table}"
    + (" where build_number > 0" if k.kind == "workspace_builds" else "")
    for k in records.KINDS
    if k.source == "coder" and k.sort == "event" and k.table != "coder_template_usage_stats"
)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> dict:
    """A generated Coder deployment, its raw files and the warehouse they make directly."""
    root = tmp_path_factory.mktemp("deployment")
    generated, wh = direct_landing(root, "coder", START, DAYS, SEED, NOW)
    return {
        "generated": generated,
        "wh": wh,
        "reports": reports(wh),
        "counts": sorted(query(wh, EVENT_COUNTS)),
    }


@pytest.mark.parametrize("shape", list(coder_pg.SHAPES))
def test_nightly_collects_and_publishes_what_direct_landing_publishes(
    tmp_path, postgres, deployment, monkeypatch, shape
):
    """Coder written day by day, a nightly run (collect + ingest + publish) each morning: the
    last morning's reports equal those of the raw files landed directly, every event is
    there once, and live app sessions that grew between collects are read again."""
    db = coder_pg.CoderDatabase(postgres.create_database(f"coder_{shape}"), shape)
    configured = repo_settings(sources=configured_source(monkeypatch, "coder", db.dsn))
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    days = [START + timedelta(days=n) for n in range(DAYS)]
    duplicates = collect_every_night(
        db.load, deployment["generated"], "coder", days, configured, wh, raw
    )
    assert reports(tmp_path / "wh") == deployment["reports"]
    assert sorted(query(tmp_path / "wh", EVENT_COUNTS)) == deployment["counts"]
    assert duplicates > 0  # the overlaps read rows again; the ingest kept them once
    # Exactly the documented fields, and none of the secrets the loader planted.
    assert_declared_fields_only(raw, "coder", [coder_pg.LEAK, "203.0.113.7"])


def test_live_sessions_grow_between_collects(tmp_path, postgres, deployment):
    """The session still running at one collect (the latest end: Coder moves a live
    session's end to now) is read again, with its later end, by the next; the warehouse
    keeps the latest end, once."""
    db = coder_pg.CoderDatabase(postgres.create_database("coder_grow"))
    raw, wh = tmp_path / "raw", storage.Warehouse(tmp_path / "wh")
    first_day = day_records(deployment["generated"], "coder", START)
    db.load(first_day)
    live = max(first_day["workspace_app_stats"], key=lambda s: s["session_ended_at"])
    session, user, agent = live["session_id"], live["user_id"], live["agent_id"]
    collect("coder", db.dsn, wh, raw, datetime(2026, 3, 3, 1, tzinfo=UTC))
    db.execute(
        "update workspace_app_stats set session_ended_at = session_ended_at + interval '2 hours',"
        " requests = requests + 5 where session_id = %(s)s",
        {"s": session},
    )
    collect("coder", db.dsn, wh, raw, datetime(2026, 3, 3, 2, tzinfo=UTC))
    copies = [
        r for r in raw_lines(raw, "coder")["workspace_app_stats"] if r["session_id"] == session
    ]
    assert len(copies) == 2 and copies[1]["session_ended_at"] > copies[0]["session_ended_at"]
    ingest(wh, raw, "r1", START)
    ((ended, count),) = query(
        wh.root,
        f"select max(session_ended_at), count(*) from coder_workspace_app_stats "
        f"where session_id = '{session}' and user_id = '{user}' and agent_id = '{agent}'",
    )
    assert count == 1 and ended == datetime.fromisoformat(copies[1]["session_ended_at"])


@pytest.mark.parametrize("family_minutes", list(coder_pg.FAMILY_MINUTES))
def test_history_past_coders_purge_comes_from_its_rollup(
    tmp_path, postgres, deployment, monkeypatch, family_minutes
):
    """Coder with its rollup and its agent stats purged to the last day: the first collect
    lands raw stats from the horizon on, the rollup for the days before, and every Coder v2
    insight equals the one computed from all the raw stats; the two rollups agree. Whether
    Coder keeps the rollup's minutes per app family in columns or in a table of their own."""
    db = coder_pg.CoderDatabase(
        postgres.create_database(f"coder_purged_{family_minutes}"), family_minutes=family_minutes
    )
    for n in range(DAYS):
        db.load(day_records(deployment["generated"], "coder", START + timedelta(days=n)))
    db.rollup()
    configured = repo_settings(sources=configured_source(monkeypatch, "coder", db.dsn))
    # Before the purge, every day has both: the two rollups agree on every settled half hour.
    whole = pipeline.run_nightly(
        configured, storage.Warehouse(tmp_path / "whole"), tmp_path / "whole-raw", NOW
    )
    assert whole.status == "ok"
    assert [w for w in whole.warnings if w.check_name == "coder_rollup_agreement"] == []
    assert query(
        tmp_path / "whole",
        "select count(distinct day) from coder_template_usage_stats "
        "semi join fct_coder_raw_stats_daily on stats_date = day",
    ) == [(DAYS,)]
    assert reports(tmp_path / "whole") == deployment["reports"]
    db.purge()
    summary = pipeline.run_nightly(
        configured, storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", NOW
    )
    assert summary.status == "ok"
    assert [w for w in summary.warnings if w.check_name == "coder_rollup_agreement"] == []
    collected, direct = reports(tmp_path / "wh"), deployment["reports"]
    insights = [name for name in direct if name.startswith(INSIGHTS)]
    assert len(insights) == 7
    assert {n: collected[n] for n in insights} == {n: direct[n] for n in insights}
    # Raw agent stats from the horizon (the last day's midnight), the rollup before it.
    assert query(tmp_path / "wh", "select distinct day from coder_workspace_agent_stats") == [
        (date(2026, 3, 5),)
    ]
    assert query(
        tmp_path / "wh",
        "select bucket_date, bool_and(is_from_rollup) from fct_coder_usage_30m group by all "
        "order by all",
    ) == [
        (date(2026, 3, 2), True),
        (date(2026, 3, 3), True),
        (date(2026, 3, 4), True),
        (date(2026, 3, 5), False),
    ]


def test_strings_round_trip_byte_for_byte(tmp_path, postgres):
    db = coder_pg.CoderDatabase(postgres.create_database("coder_strings"))
    user = "aaaaaaaa-0000-4000-8000-000000000001"
    version = "bbbbbbbb-0000-4000-8000-000000000001"
    db.load(
        {
            "users": [
                {
                    "id": user,
                    "username": "zoe",
                    "name": AWKWARD,
                    "avatar_url": "https://a/" + AWKWARD,
                    "created_at": "2026-03-01T10:00:00.123456Z",
                    "updated_at": "2026-03-01T10:00:00.123456Z",
                }
            ],
            "template_versions": [
                {
                    "id": version,
                    "template_id": None,
                    "name": "v1",
                    "created_at": "2026-03-01T10:00:00Z",
                }
            ],
            "template_version_parameters": [
                {
                    "template_version_id": version,
                    "name": "region",
                    "display_name": AWKWARD,
                    "description": AWKWARD,
                    "type": "string",
                    "default_value": AWKWARD,
                    "options": [{"name": AWKWARD, "description": "", "value": "x", "icon": ""}],
                }
            ],
        }
    )
    raw, wh = tmp_path / "raw", storage.Warehouse(tmp_path / "wh")
    collect("coder", db.dsn, wh, raw, datetime(2026, 3, 2, tzinfo=UTC))
    lines = raw_lines(raw, "coder")
    assert lines["users"][0]["name"] == AWKWARD
    assert lines["template_versions"][0]["template_id"] is None
    assert lines["template_version_parameters"][0]["options"][0]["name"] == AWKWARD
    result = ingest(wh, raw, "r1", START)
    assert result.rejected == 0
    assert query(wh.root, "select name, avatar_url, updated_at from coder_users") == [
        (AWKWARD, "https://a/" + AWKWARD, datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC))
    ]
    assert query(
        wh.root,
        "select display_name, description, default_value from coder_template_version_parameters",
    ) == [(AWKWARD, AWKWARD, AWKWARD)]
    assert query(wh.root, "select template_id from coder_template_versions") == [(None,)]


def test_sigkill_during_a_collect_lands_nothing_partial(tmp_path, postgres):
    """Killed while writing: only a temporary dot file, which the ingest never reads; the
    next collect removes it and lands everything."""
    db = coder_pg.CoderDatabase(postgres.create_database("coder_kill"))
    db.execute(
        "insert into workspace_agent_stats (id, created_at, user_id, agent_id, workspace_id,"
        " template_id, connection_count, session_count_ssh) select gen_random_uuid(),"
        " timestamptz '2026-03-01' + n * interval '1 second', gen_random_uuid(),"
        " gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 1, 1"
        " from generate_series(1, 300000) as n"
    )
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    args = ["collect", "coder", "--dsn", db.dsn, "--raw", str(raw), "--warehouse", str(wh)]
    assert_a_collect_killed_while_writing_lands_nothing(
        raw, wh, args, "workspace_agent_stats", 100_000, 300_000
    )


@pytest.mark.parametrize("problem", COLLECT_PROBLEMS)
def test_errors_are_one_line_and_leave_the_warehouse_as_it_was(tmp_path, postgres, problem):
    coder_pg.CoderDatabase(postgres.create_database("coder_errors"))
    assert_collect_fails_cleanly(
        tmp_path, postgres, "coder", "coder_errors", problem, "template_usage_stats"
    )


def grant_statements(shape: str, family_minutes: str) -> list[str]:
    """The role and grants of docs/sources/coder.md: the first SQL block, and the lines of
    the second and third that fit this schema's session counts and family minutes."""
    blocks = documented_sql("coder")
    common = [s for s in blocks[0].split(";\n") if s.strip()]
    counts = {"columns": "session_count_vscode", "jsonb": "(session_counts)", "table": "app_name"}
    minutes = {"columns": "ssh_mins", "families": "template_usage_stats_session_families"}
    fitting = [
        line.rstrip(";")
        for block, fits in ((blocks[1], counts[shape]), (blocks[2], minutes[family_minutes]))
        for line in block.splitlines()
        if line.startswith("grant") and fits in line
    ]
    return [*common, *fitting]


@pytest.mark.parametrize(
    ("shape", "family_minutes"),
    # the releases before session counts moved; the table of some releases; the newest
    [("columns", "columns"), ("table", "columns"), ("jsonb", "families")],
)
def test_the_documented_role_can_collect_and_nothing_more(
    tmp_path, postgres, deployment, shape, family_minutes
):
    database = f"coder_role_{shape}"
    db = coder_pg.CoderDatabase(postgres.create_database(database), shape, family_minutes)
    db.load(day_records(deployment["generated"], "coder", START))
    reader = documented_reader(postgres, database, "coder", grant_statements(shape, family_minutes))
    landed = collect("coder", reader, storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", NOW)
    assert landed["workspace_agent_stats"] > 0 and landed["workspace_apps"] > 0
    with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select hashed_password from users")


def test_run_through_prefect_collects_first(tmp_path, postgres, deployment, prefect_env):
    db = coder_pg.CoderDatabase(postgres.create_database("coder_prefect"))
    db.load(day_records(deployment["generated"], "coder", START))
    config = tmp_path / "flows.yaml"
    config.write_text("warehouse: wh\nraw: raw\nsources:\n  coder: {dsn_env: TEST_CODER_DSN}\n")
    result = cli(
        "run",
        "--config",
        str(config),
        "--now",
        "2026-03-03T06:00:00Z",
        env={**prefect_env, "TEST_CODER_DSN": db.dsn},
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"collected\s+│?\s*coder [\d,]+ rows", result.stdout), result.stdout
    state = json.loads((tmp_path / "wh" / "collect" / "coder.json").read_text())
    assert set(state["watermarks"]) >= {"users", "workspace_agent_stats"}
