"""`collect seatable` against a real MariaDB server holding SeaTable's three databases: the
reports of a collected deployment equal those of its raw files landed directly; collects
in a row miss nothing and double nothing; exact lines; runs SeaTable never counts left
out; no secret ever in a raw file; crashes; errors; the documented grants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
import pymysql
import pytest

from pipelines import storage
from pipelines.collect import CollectError
from pipelines.extract.ingest import ingest
from pipelines.scheduling import free_port
from tests import seatable_db
from tests.conftest import (
    AWKWARD,
    assert_a_collect_killed_while_writing_lands_nothing,
    assert_declared_fields_only,
    cli,
    collect,
    collect_every_night,
    configured_source,
    day_records,
    direct_landing,
    documented_sql,
    query,
    raw_lines,
    repo_settings,
    reports,
    tree,
)

START, DAYS, SEED = date(2026, 3, 2), 4, 3
NOW = datetime(2026, 3, 6, 6, 0, tzinfo=UTC)  # the morning after the last generated day
EVENTS = (
    "select 'user_activity', count(*), count(distinct (username, timestamp::date))"
    " from seatable_user_activity union all"
    " select 'script_runs', count(*), count(distinct id) from seatable_script_runs"
)


def names(prefix: str) -> dict[str, str]:
    """Database names of a test's own deployment (the default names are for one URL)."""
    return {key: f"{prefix}_{key}" for key in seatable_db.DEFAULTS}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> dict:
    """A generated SeaTable deployment, its raw files and the warehouse they make directly."""
    root = tmp_path_factory.mktemp("deployment")
    generated, wh = direct_landing(root, "seatable", START, DAYS, SEED, NOW)
    return {"generated": generated, "wh": wh, "reports": reports(wh)}


def test_nightly_collects_and_publishes_what_direct_landing_publishes(
    tmp_path, mariadb, deployment, monkeypatch
):
    """SeaTable written day by day (a URL per database, names of its own), a nightly run
    (collect + ingest + publish) each morning: the last morning's reports equal those of the
    raw files landed directly, every event is there once, and the raw files hold exactly the
    documented fields and none of the secrets the loader planted."""
    db = seatable_db.SeaTableDatabases(mariadb, names("nightly"))
    configured = repo_settings(sources=configured_source(monkeypatch, "seatable", db.urls()))
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    days = [START + timedelta(days=n) for n in range(DAYS)]
    duplicates = collect_every_night(
        db.load, deployment["generated"], "seatable", days, configured, wh, raw
    )
    collected = reports(tmp_path / "wh")
    assert collected == deployment["reports"]
    scripts = "api/v2.1/admin/statistics/scripts-running/users-this-month.json"
    assert orjson.loads(collected[scripts])["count"] > 0  # the comparison compares something
    assert query(tmp_path / "wh", EVENTS) == query(deployment["wh"], EVENTS)
    assert all(total == distinct > 0 for _, total, distinct in query(tmp_path / "wh", EVENTS))
    assert duplicates > 0  # the overlaps read rows again; the ingest kept them once
    assert_declared_fields_only(raw, "seatable", [seatable_db.LEAK])


RUN = {
    "dtable_uuid": "b" * 32,
    "owner": "ann@auth.local",
    "org_id": 1,
    "script_name": "sync.py",
    "success": 1,
    "return_code": 0,
    "output": "LEAK: printed by the script",
}
INSERT_RUN = (
    "insert into {scheduler}.script_log (id, dtable_uuid, owner, org_id, script_name,"
    " started_at, finished_at, success, return_code, output, state) values (%(id)s,"
    " %(dtable_uuid)s, %(owner)s, %(org_id)s, %(script_name)s, %(started_at)s, %(finished_at)s,"
    " %(success)s, %(return_code)s, %(output)s, %(state)s)"
)


def add_run(db: seatable_db.SeaTableDatabases, id_: int, finished: str | None, **changes) -> None:
    """A script_log row started a second before it finished (or running: finished None)."""
    end = datetime.fromisoformat(finished) if finished else None
    row = {
        **RUN,
        "id": id_,
        "started_at": (end or datetime(2026, 3, 2, 12)) - timedelta(seconds=1),
        "finished_at": end,
        "state": "finished" if end else "running",
        **changes,
    }
    if end is None:
        row.update(success=None, return_code=None, output=None)
    db.execute(INSERT_RUN, row)


def test_lines_are_exact_and_runs_seatable_never_counts_are_left_out(tmp_path, mariadb):
    """Hand-written rows, each line checked whole: DATETIME as UTC with its offset,
    tinyint(1) as true/false, nicknames as stored (the report strips them), -1 for no team,
    the whole kinds stamped with the collect instant; the runs SeaTable's scheduler closed
    itself are left out, the failed runs it counts are kept."""
    db = seatable_db.SeaTableDatabases(mariadb, names("lines"))
    db.execute(
        "insert into {ccnet}.Organization (org_id, org_name, url_prefix, creator, ctime)"
        " values (1, 'Acme', 'acme', 'LEAK@example.com', 1);"
        " insert into {ccnet}.OrgUser (org_id, email, is_staff) values (1, 'ann@auth.local', 0),"
        " (2, 'ann@auth.local', 0);"
        " insert into {dtable}.profile_profile (`user`, nickname, intro, list_in_address_book)"
        " values ('ann@auth.local', %s, '', 1), ('bob@auth.local', '', '', 1),"
        " ('cy@auth.local', '  Cy  ', '', 1);"
        " insert into {dtable}.user_activity_statistics (user_time_md5, username, `timestamp`,"
        " org_id) values ('a', 'ann@auth.local', '2026-03-02 00:00:00', 1),"
        " ('b', 'cid@auth.local', '2026-03-02 00:00:00', -1)",
        (AWKWARD,),
    )
    add_run(db, 1, "2026-03-02 10:00:00.250000", success=1, return_code=0)
    add_run(db, 2, "2026-03-02 10:00:01", success=0, return_code=1)  # failed: counted
    add_run(db, 3, "2026-03-02 10:00:02", success=0, return_code=-1, output="timeout")
    rate_limited = "Running scripts too frequently in a short period of time"
    add_run(db, 4, "2026-03-02 10:00:03", success=0, return_code=-1, output=rate_limited)
    add_run(db, 5, "2026-03-02 10:00:04", success=0, return_code=-1, output="Failed")
    # The starter's own timeout is reported as a result: SeaTable counts it.
    aborted = "The script's running time exceeded the limit and the execution was aborted."
    add_run(db, 6, "2026-03-02 10:00:05", success=0, return_code=-1, output=aborted)
    add_run(db, 7, "2026-03-02 10:00:06", success=0, return_code=1, output="timeout")
    add_run(db, 8, "2026-03-02 10:00:07", success=0, return_code=None, output=None)
    add_run(db, 9, None)  # still running: not yet a run to count
    at = datetime(2026, 3, 3, 1, tzinfo=UTC)
    raw = tmp_path / "raw"
    collect("seatable", db.urls(), storage.Warehouse(tmp_path / "wh"), raw, at)
    lines = raw_lines(raw, "seatable")
    assert lines["user_activity"] == [
        {"username": "ann@auth.local", "timestamp": "2026-03-02T00:00:00+00:00", "org_id": 1},
        {"username": "cid@auth.local", "timestamp": "2026-03-02T00:00:00+00:00", "org_id": -1},
    ]
    run = {
        "dtable_uuid": "b" * 32,
        "owner": "ann@auth.local",
        "org_id": 1,
        "script_name": "sync.py",
    }
    assert lines["script_runs"] == [
        {
            "id": 1,
            **run,
            "started_at": "2026-03-02T09:59:59.250000+00:00",
            "finished_at": "2026-03-02T10:00:00.250000+00:00",
            "success": True,
            "return_code": 0,
        },
        *(
            {
                "id": id_,
                **run,
                "started_at": f"2026-03-02T10:00:{second - 1:02d}+00:00",
                "finished_at": f"2026-03-02T10:00:{second:02d}+00:00",
                "success": False,
                "return_code": code,
            }
            for id_, second, code in [(2, 1, 1), (6, 5, -1), (7, 6, 1), (8, 7, None)]
        ),
    ]
    stamp = "2026-03-03T01:00:00+00:00"
    assert lines["users"] == [
        {"username": "ann@auth.local", "nickname": AWKWARD, "org_id": 1, "updated_at": stamp},
        {"username": "bob@auth.local", "nickname": "", "org_id": -1, "updated_at": stamp},
        {"username": "cy@auth.local", "nickname": "  Cy  ", "org_id": -1, "updated_at": stamp},
    ]
    assert lines["orgs"] == [{"org_id": 1, "org_name": "Acme", "updated_at": stamp}]


def test_collects_in_a_row_miss_nothing_and_double_nothing(tmp_path, mariadb, deployment):
    """Two days collected; then a run that was running finishes, one commits late (before
    the watermark, within the overlap), today's activity is rewritten (REPLACE INTO: a new
    id), a third day arrives, a nickname and a team name change: the second collect lands
    all of it, and the warehouse holds every run and every active (user, day) once."""
    db = seatable_db.SeaTableDatabases(mariadb, names("twice"))
    for n in range(2):
        db.load(day_records(deployment["generated"], "seatable", START + timedelta(days=n)))
    add_run(db, 10, None)
    raw, wh = tmp_path / "raw", storage.Warehouse(tmp_path / "wh")
    first = collect("seatable", db.urls(), wh, raw, datetime(2026, 3, 4, 1, tzinfo=UTC))
    assert first["users"] > 0 and first["orgs"] > 0
    ((watermark,),) = db.execute("select max(finished_at) from {scheduler}.script_log")
    db.execute(
        "update {scheduler}.script_log set finished_at = '2026-03-04 01:30:00', state ="
        " 'finished', success = 1, return_code = 0 where id = 10"
    )
    add_run(db, 11, str(watermark - timedelta(minutes=30)))
    db.execute(
        "replace into {dtable}.user_activity_statistics (user_time_md5, username, `timestamp`,"
        " org_id) select user_time_md5, username, `timestamp`, org_id"
        " from {dtable}.user_activity_statistics where `timestamp` = '2026-03-03'"
    )
    db.load(day_records(deployment["generated"], "seatable", START + timedelta(days=2)))
    db.execute(
        "update {dtable}.profile_profile set nickname = 'Renamed' order by id limit 1;"
        " update {ccnet}.Organization set org_name = 'Renamed Team' where org_id = 1"
    )
    second = collect("seatable", db.urls(), wh, raw, datetime(2026, 3, 5, 1, tzinfo=UTC))
    # A change lands the whole table again, as of the second collect.
    assert second["users"] == len(db.execute("select 1 from {dtable}.profile_profile"))
    assert second["orgs"] == len(db.execute("select 1 from {ccnet}.Organization"))
    landed = raw_lines(raw, "seatable")["script_runs"]
    assert {10, 11} <= {r["id"] for r in landed[-second["script_runs"] :]}
    result = ingest(wh, raw, "r1", START)
    assert result.rejected == 0 and result.duplicates > 0
    ids = db.execute("select id from {scheduler}.script_log order by id")
    assert query(wh.root, "select id from seatable_script_runs order by id") == list(ids)
    active = db.execute(
        "select username, date(`timestamp`) from {dtable}.user_activity_statistics order by 1, 2"
    )
    assert query(
        wh.root, "select username, timestamp::date from seatable_user_activity order by 1, 2"
    ) == [tuple(row) for row in active]
    assert query(wh.root, EVENTS)[1][1:] == (len(ids), len(ids))
    assert query(
        wh.root, "select org_name from seatable_orgs where org_id = 1 order by updated_at"
    ) == [("Acme Team",), ("Renamed Team",)]


def test_sigkill_during_a_collect_lands_nothing_partial(tmp_path, mariadb):
    """One server URL (SeaTable's default database names). Killed while writing: only a
    temporary dot file, which the ingest never reads; the next collect removes it and lands
    everything."""
    db = seatable_db.SeaTableDatabases(mariadb)
    db.execute(
        "insert into {scheduler}.script_log (id, dtable_uuid, owner, org_id, script_name,"
        " started_at, finished_at, success, return_code, output, state)"
        " select seq, md5(seq), concat(seq mod 97, '@auth.local'), -1, 'load.py',"
        " timestamp '2026-03-01 00:00:00' + interval seq second,"
        " timestamp '2026-03-01 00:00:01' + interval seq second, 1, 0, 'LEAK', 'finished'"
        " from {scheduler}.seq_1_to_50000"
    )
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    args = [
        "collect",
        "seatable",
        "--dsn",
        mariadb.dsn(),
        "--raw",
        str(raw),
        "--warehouse",
        str(wh),
    ]
    assert_a_collect_killed_while_writing_lands_nothing(
        raw, wh, args, "script_runs", 50_000, 50_000
    )


@pytest.mark.parametrize(
    "problem",
    [
        "unreadable URL",
        "wrong password",
        "refused connection",
        "missing table",
        "missing grant",
        "missing database URL",
    ],
)
def test_errors_are_one_line_and_leave_the_warehouse_as_it_was(tmp_path, mariadb, problem):
    db = seatable_db.SeaTableDatabases(mariadb, names("errors"))
    wh, raw = tmp_path / "wh", tmp_path / "raw"
    add_run(db, 1, "2026-03-02 10:00:00")
    collect("seatable", db.urls(), storage.Warehouse(wh), raw, datetime(2026, 3, 3, tzinfo=UTC))
    urls = db.urls()
    if problem == "unreadable URL":
        urls["ccnet"] = mariadb.dsn(db.names["ccnet"]).replace(str(mariadb.port), "port")
    elif problem == "wrong password":
        urls["scheduler"] = mariadb.dsn(db.names["scheduler"], password="wrong")
    elif problem == "refused connection":
        urls["dtable"] = urls["dtable"].replace(str(mariadb.port), str(free_port()))
    elif problem == "missing table":
        db.execute("drop table {ccnet}.OrgUser")
    elif problem == "missing grant":
        # Every table but one column: the query naming it is refused.
        db.execute(
            "create or replace user 'limited'@'%' identified by 'limited';"
            " grant select on {dtable}.* to 'limited'@'%'; grant select on {ccnet}.* to"
            " 'limited'@'%'; grant select (id, dtable_uuid, owner, org_id, script_name,"
            " started_at, finished_at, success, return_code) on {scheduler}.script_log to"
            " 'limited'@'%'"
        )
        urls = db.urls(user="limited", password="limited")
    else:
        del urls["scheduler"]
    config = tmp_path / "flows.yaml"
    env = {f"TEST_SEATABLE_{key.upper()}": url for key, url in urls.items()}
    mapping = ", ".join(f"{key}: TEST_SEATABLE_{key.upper()}" for key in urls)
    config.write_text(f"sources:\n  seatable: {{dsn_env: {{{mapping}}}}}\n")
    before = tree(tmp_path)
    result = cli(
        "collect",
        "seatable",
        "--config",
        str(config),
        "--raw",
        str(raw),
        "--warehouse",
        str(wh),
        env=env,
    )
    assert result.returncode != 0
    # Progress lines ("collecting seatable <kind>"), then the error in one line.
    *progress, message = result.stderr.strip().splitlines()
    assert all(line.startswith("collecting seatable ") for line in progress), result.stderr
    assert message.startswith("error: collect seatable: "), message
    assert "Traceback" not in result.stderr
    expected = {
        "unreadable URL": "unreadable connection URL",
        "wrong password": "Access denied for user 'root'",
        "refused connection": "cannot connect",
        "missing table": f"no table {db.names['ccnet']}.OrgUser",
        "missing grant": "grant the reading role what docs/sources/seatable.md lists",
        "missing database URL": "it needs one for each of dtable, ccnet, scheduler",
    }[problem]
    assert expected in message, message
    assert "superuser-password" not in message and ":limited@" not in message
    assert tree(tmp_path) == before


def test_the_documented_user_can_collect_and_nothing_more(tmp_path, mariadb, deployment):
    """One server URL and SeaTable's default database names, read by the documented user."""
    db = seatable_db.SeaTableDatabases(mariadb)
    db.load(day_records(deployment["generated"], "seatable", START))
    for statement in documented_sql("seatable")[0].split(";\n"):
        if statement.strip():
            mariadb.execute(statement)
    reader = mariadb.dsn(user="usage_warehouse_reader", password="choose-a-password")
    landed = collect("seatable", reader, storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", NOW)
    assert all(landed[kind] > 0 for kind in ("user_activity", "script_runs", "users", "orgs"))
    secrets = [
        "select passwd from ccnet_db.EmailUser",
        "select password from ccnet_db.LDAPUsers",
        "select `key` from dtable_db.api2_token",
        "select contact_email from dtable_db.profile_profile",
        "select context_data from scheduler.script_log",
    ]
    connection = pymysql.connect(
        host="127.0.0.1",
        port=mariadb.port,
        user="usage_warehouse_reader",
        password="choose-a-password",
    )
    with connection, connection.cursor() as cursor:
        for statement in secrets:
            with pytest.raises(pymysql.err.OperationalError, match="denied"):
                cursor.execute(statement)


def test_one_url_names_the_server_only(tmp_path, mariadb):
    with pytest.raises(CollectError, match="one URL names the server only"):
        collect(
            "seatable", mariadb.dsn("dtable_db"), storage.Warehouse(tmp_path), tmp_path / "raw", NOW
        )
