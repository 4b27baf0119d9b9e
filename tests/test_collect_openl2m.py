"""`collect openl2m` against a real PostgreSQL server holding OpenL2M's tables: the reports of
a collected deployment equal those of its raw files landed directly; the log read twice
misses and doubles nothing; counters and inventory land only when they change; no secret
ever in a raw file; crashes; errors; the documented grants."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import orjson
import psycopg
import pytest

from pipelines import storage
from pipelines.collect import CollectError
from pipelines.extract.files import discover
from pipelines.extract.ingest import ingest
from tests.conftest import (
    AWKWARD,
    COLLECT_PROBLEMS,
    ROOT,
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
    tree,
)
from tests.openl2m_pg import LEAK, OpenL2MDatabase

START, DAYS, SEED = date(2026, 3, 2), 4, 3
NOW = datetime(2026, 3, 6, 6, 0, tzinfo=UTC)  # the morning after the last generated day
LOG = "select count(*), count(distinct id), min(id), max(id) from openl2m_log"
COUNTS = {
    "switches": 12,
    "switchgroups": 2,
    "vlans": 63,
    "vlan_groups": 4,
    "snmp_profiles": 3,
    "credentials_profiles": 4,
    "commands": 28,
    "command_lists": 5,
    "api_tokens": 3,
}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> dict:
    """A generated OpenL2M deployment, its raw files and the reports they make directly."""
    root = tmp_path_factory.mktemp("deployment")
    generated, wh = direct_landing(root, "openl2m", START, DAYS, SEED, NOW)
    return {"generated": generated, "reports": reports(wh), "log": query(wh, LOG)}


def files(raw) -> dict[str, int]:
    """kind -> the files landed for it."""
    return {
        kind.name: len(list(kind.rglob("*.ndjson.gz")))
        for kind in sorted((raw / "openl2m").iterdir())
    }


def test_nightly_collects_and_publishes_what_direct_landing_publishes(
    tmp_path, postgres, deployment, monkeypatch
):
    """OpenL2M written day by day, a nightly run (collect + ingest + publish) each morning:
    the last morning's reports (every file) equal those of the raw files landed directly and
    every log record is there once; the counters, changed every day, land every morning,
    the inventory, unchanged after the first day, once."""
    db = OpenL2MDatabase(postgres.create_database("openl2m_nightly"))
    configured = repo_settings(sources=configured_source(monkeypatch, "openl2m", db.dsn))
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    addresses = set()

    def load(generated: dict[str, list[dict]]) -> None:
        addresses.update(r["ip_address"] for r in generated["log"])
        db.load(generated)

    days = [START + timedelta(days=n) for n in range(DAYS)]
    duplicates = collect_every_night(
        load, deployment["generated"], "openl2m", days, configured, wh, raw
    )
    assert reports(wh.root) == deployment["reports"]
    assert query(wh.root, LOG) == deployment["log"]
    assert duplicates > 0  # the overlap read records again; the ingest kept them once
    assert files(raw) == {"counters": DAYS, "inventory": 1, "log": DAYS}
    # Exactly the documented fields, never a client's address, none of the planted secrets.
    assert_declared_fields_only(raw, "openl2m", [LEAK, *addresses])
    assert not [r for r in raw_lines(raw, "openl2m")["log"] if "ip_address" in r]


def log_row(id_: int, at: str | None, **fields) -> dict:
    return {"id": id_, "timestamp": at, "type": 0, "action": 1, "user_id": 1, **fields}


def test_log_read_twice_misses_nothing_and_doubles_nothing(tmp_path, postgres):
    """Records added between two collects are landed by the second, with one stamped before
    the first collect's newest (committed late: the overlap reads it); what the overlap
    reads again the ingest keeps once; a record without a timestamp is never read."""
    db = OpenL2MDatabase(postgres.create_database("openl2m_twice"))
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    with psycopg.connect(db.dsn) as conn:
        db.log(
            conn,
            [
                log_row(1, "2026-03-02T07:00:00Z"),
                log_row(2, "2026-03-02T08:00:00Z"),
                log_row(3, "2026-03-02T10:00:00.123456Z"),
            ],
        )
    assert collect("openl2m", db.dsn, wh, raw, datetime(2026, 3, 2, 11, tzinfo=UTC))["log"] == 3
    with psycopg.connect(db.dsn) as conn:
        db.log(
            conn,
            [
                log_row(4, "2026-03-02T09:30:00Z"),  # within the overlap before 10:00
                log_row(5, "2026-03-02T12:00:00Z", description=AWKWARD, user_id=None),
                log_row(6, None),  # no timestamp: Django always sets one
            ],
        )
    assert collect("openl2m", db.dsn, wh, raw, datetime(2026, 3, 2, 13, tzinfo=UTC))["log"] == 3
    lines = raw_lines(raw, "openl2m")["log"]
    assert [r["id"] for r in lines] == [1, 2, 3, 4, 3, 5]
    assert lines[2]["timestamp"] == "2026-03-02T10:00:00.123456+00:00"
    assert lines[-1] == {
        "id": 5,
        "timestamp": "2026-03-02T12:00:00+00:00",
        "user_id": None,
        "switch_id": None,
        "group_id": None,
        "type": 0,
        "action": 1,
        "description": AWKWARD,
    }
    result = ingest(wh, raw, "r1", START)
    assert (result.duplicates, result.rejected) == (1, 0)
    assert query(wh.root, "select list(id order by id) from openl2m_log") == [([1, 2, 3, 4, 5],)]
    assert query(wh.root, "select description from openl2m_log where id = 5") == [(AWKWARD,)]


def test_a_record_stamped_ahead_does_not_move_the_watermark_past_the_collect(tmp_path, postgres):
    """A record stamped a day ahead (a fast clock): the watermark stops at the collect's
    own instant, so a record committed after the collect and stamped before the one ahead
    is still read; what is read twice is kept once."""
    db = OpenL2MDatabase(postgres.create_database("openl2m_ahead"))
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    first = datetime(2026, 3, 2, 11, tzinfo=UTC)
    with psycopg.connect(db.dsn) as conn:
        db.log(conn, [log_row(1, "2026-03-02T10:00:00Z"), log_row(2, "2026-03-03T10:00:00Z")])
    assert collect("openl2m", db.dsn, wh, raw, first)["log"] == 2
    state = orjson.loads(wh.collect_state("openl2m").read_bytes())
    assert datetime.fromisoformat(state["watermarks"]["log"]) == first
    with psycopg.connect(db.dsn) as conn:
        db.log(conn, [log_row(3, "2026-03-02T11:30:00Z")])
    landed = collect("openl2m", db.dsn, wh, raw, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert landed["log"] == 3  # 1 again (within the overlap), 2 again (ahead), and 3
    ingest(wh, raw, "r1", START)
    assert query(wh.root, "select list(id order by id) from openl2m_log") == [([1, 2, 3],)]


def test_counters_and_inventory_land_only_when_they_change(tmp_path, postgres):
    """Read whole each collect and stamped with the collect instant; a collect that finds
    them as last landed lands no file. The inventory counts groups holding a switch, once
    (the loader adds a group without one and a switch twice in a group)."""
    db = OpenL2MDatabase(postgres.create_database("openl2m_whole"))
    db.load(
        {
            "inventory": [COUNTS],
            "counters": [{"name": "changes", "value": 10}, {"name": "commands", "value": 4}],
        }
    )
    wh, raw = storage.Warehouse(tmp_path / "wh"), tmp_path / "raw"
    first = datetime(2026, 3, 2, 6, tzinfo=UTC)
    assert collect("openl2m", db.dsn, wh, raw, first) == {"log": 0, "counters": 2, "inventory": 1}
    assert raw_lines(raw, "openl2m") == {
        "counters": [
            {"name": "changes", "value": 10, "at": "2026-03-02T06:00:00+00:00"},
            {"name": "commands", "value": 4, "at": "2026-03-02T06:00:00+00:00"},
        ],
        "inventory": [{"at": "2026-03-02T06:00:00+00:00", **COUNTS}],
    }
    landed = files(raw)
    # A counter no report reads changed: nothing collected has.
    db.execute("update counters_counter set value = 7 where name = 'views'")
    again = collect("openl2m", db.dsn, wh, raw, first + timedelta(hours=1))
    assert again == {"log": 0, "counters": 0, "inventory": 0}
    assert files(raw) == landed
    db.execute("update counters_counter set value = 11 where name = 'changes'")
    db.load({"inventory": [{**COUNTS, "switches": 13}]})
    later = collect("openl2m", db.dsn, wh, raw, first + timedelta(hours=2))
    assert later == {"log": 0, "counters": 2, "inventory": 1}
    ingest(wh, raw, "r1", START)
    assert query(
        wh.root, 'select name, value, "at" from openl2m_counters order by "at" desc, name limit 2'
    ) == [
        ("changes", 11, first + timedelta(hours=2)),
        ("commands", 4, first + timedelta(hours=2)),
    ]
    assert query(wh.root, 'select "at", switches from openl2m_inventory order by "at"') == [
        (first, 12),
        (first + timedelta(hours=2), 13),
    ]


def waiting_for_a_lock(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        (waiting,) = conn.execute(
            "select count(*) from pg_stat_activity"
            " where application_name = 'usage-warehouse' and wait_event_type = 'Lock'"
        ).fetchone()
    return waiting > 0


def test_sigkill_during_a_collect_lands_nothing_partial(tmp_path, postgres):
    """Killed with the log and the counters written aside, while the inventory's query waits
    for a table another transaction has locked (its file just opened): only temporary dot
    files, which the ingest never reads, and no watermark; the next collect removes them
    and lands everything."""
    db = OpenL2MDatabase(postgres.create_database("openl2m_kill"))
    db.load({"counters": [{"name": "changes", "value": 10}]})
    db.execute(
        'insert into switches_log (id, "timestamp", if_index, ip_address, type, action,'
        " user_id, if_name) select n, timestamptz '2026-03-02' + n * interval '1 second', 0,"
        " '0.0.0.0', 0, 1, 1, '' from generate_series(1, 5000) as n"
    )
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    args = ["collect", "openl2m", "--dsn", db.dsn, "--raw", str(raw), "--warehouse", str(wh)]
    with psycopg.connect(db.dsn) as locker:
        locker.execute("lock table switches_switch in access exclusive mode")
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines", *args], cwd=ROOT, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and not waiting_for_a_lock(db.dsn):
            assert time.monotonic() < deadline, "the collect never reached the inventory"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        locker.rollback()
    assert process.returncode == -signal.SIGKILL, "the collect ended before it could be killed"
    writing = sorted(p.name.split("-")[0] for p in raw.rglob("*.tmp"))
    assert writing == [".counters", ".inventory", ".log"]  # the inventory's still empty
    assert discover(raw).files == []
    assert not storage.Warehouse(wh).collect_state("openl2m").exists()
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert not list(raw.rglob("*.tmp"))
    assert {kind: len(rows) for kind, rows in raw_lines(raw, "openl2m").items()} == {
        "counters": 2,
        "inventory": 1,
        "log": 5000,
    }


@pytest.mark.parametrize("problem", COLLECT_PROBLEMS)
def test_errors_are_one_line_and_leave_the_warehouse_as_it_was(tmp_path, postgres, problem):
    OpenL2MDatabase(postgres.create_database("openl2m_errors"))
    assert_collect_fails_cleanly(
        tmp_path, postgres, "openl2m", "openl2m_errors", problem, "switches_log"
    )


SECRETS = [
    "select password from auth_user",
    "select key from users_token",
    "select key from authtoken_token",
    "select community, passphrase, priv_passphrase from switches_snmpprofile",
    "select password, enable_password from switches_netmikoprofile",
    "select ip_address from switches_log",
    "select * from switches_switch",
]


def test_the_documented_role_can_collect_and_read_no_secret(tmp_path, postgres, deployment):
    """The role and grants of docs/sources/openl2m.md collect every kind (the counts of the
    inventory with nothing but each table's id) and can read none of OpenL2M's secrets."""
    db = OpenL2MDatabase(postgres.create_database("openl2m"))
    generated = day_records(deployment["generated"], "openl2m", START)
    db.load(generated)
    grants = [s for s in documented_sql("openl2m")[0].split(";\n") if s.strip()]
    reader = documented_reader(postgres, "openl2m", "openl2m", grants)
    landed = collect("openl2m", reader, storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", NOW)
    assert landed == {"log": len(generated["log"]), "counters": 2, "inventory": 1}
    (inventory,) = raw_lines(tmp_path / "raw", "openl2m")["inventory"]
    assert inventory == {**generated["inventory"][0], "at": "2026-03-06T06:00:00+00:00"}
    for statement in SECRETS:
        with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    # One grant short: a one-line error pointing at this page, nothing landed.
    db.execute("revoke select (description) on switches_log from usage_warehouse_reader")
    before = tree(tmp_path)
    with pytest.raises(CollectError, match=r"^collect openl2m: permission denied .*openl2m\.md"):
        collect("openl2m", reader, storage.Warehouse(tmp_path / "wh"), tmp_path / "raw", NOW)
    assert tree(tmp_path) == before
