"""Rocket.Chat's files as mongoexport writes them: both of its modes (relaxed, its default,
and canonical) give the same warehouse and the same reports; every field type in either
form; the statistics kind, formerly (and wrongly) `instances`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from pipelines import pipeline, records, storage
from pipelines.config import load_settings
from pipelines.extract.ingest import ingest
from pipelines.generate import generate
from tests.conftest import query, reports, write_raw
from tests.test_flows import ROOT

START = date(2026, 3, 2)
NOW = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
ROCKETCHAT = [k.table for k in records.KINDS if k.source == "rocketchat"]


def every_row(wh) -> dict[str, list]:
    """Every Rocket.Chat table, all columns but where the row was read, in order."""
    return {
        table: query(wh, f"select * exclude (_file, _line) from {table} order by all")
        for table in ROCKETCHAT
    }


def test_both_mongoexport_modes_give_the_same_warehouse_and_reports(tmp_path):
    settings = load_settings(ROOT / "flows.yaml")
    for mode in ("relaxed", "canonical"):
        generate(tmp_path / mode, 3, START, "small", 5, mongo_json=mode)
        summary = pipeline.run_nightly(
            settings, storage.Warehouse(tmp_path / f"wh-{mode}"), tmp_path / mode, NOW
        )
        assert summary.rejected == 0 and summary.reconciles
    relaxed, canonical = every_row(tmp_path / "wh-relaxed"), every_row(tmp_path / "wh-canonical")
    assert all(relaxed[table] for table in ROCKETCHAT)
    assert relaxed == canonical
    assert reports(tmp_path / "wh-relaxed") == reports(tmp_path / "wh-canonical")


def statistics(**overrides) -> dict:
    return {
        "uniqueId": "server1",
        "installedAt": "2024-01-01T00:00:00Z",
        "version": "6.12.1",
        "createdAt": {"$date": "2024-06-01T02:15:00Z"},
        "os": {"type": "Linux", "totalmem": 8589934592.0, "loadavg": [0.5, 1.0]},
        "process": {"pid": 7, "uptime": 12.5},
        "deploy": {"method": "docker"},
        "migration": {"_id": "control", "version": 308, "locked": False},
        "instanceCount": 1,
        **overrides,
    }


CANONICAL = statistics(
    uniqueId="server2",
    createdAt={"$date": {"$numberLong": "1717208100000"}},
    os={
        "type": "Linux",
        "totalmem": {"$numberLong": "8589934592"},
        "loadavg": [{"$numberDouble": "0.5"}, {"$numberDouble": "1.0"}],
    },
    process={"pid": {"$numberInt": "7"}, "uptime": {"$numberDouble": "12.5"}},
    migration={
        "_id": "control",
        "version": {"$numberInt": "308"},
        "locked": False,
        "lockedAt": {"$date": {"$numberLong": "1717200000000"}},
    },
    instanceCount={"$numberInt": "1"},
)


def test_every_field_type_in_either_form(tmp_path):
    """Dates, ints and JSON values as relaxed or canonical mode writes them; JSON values
    come out as Rocket.Chat's API writes them (whole numbers plain, dates ISO with ms)."""
    write_raw(tmp_path / "raw", "rocketchat_statistics", [statistics(), CANONICAL])
    write_raw(
        tmp_path / "raw",
        "rocketchat_rooms",
        [
            {
                "_id": "r1",
                "t": "c",
                "createdAt": {"$date": "2024-06-01T00:00:00.5Z"},
                "_updatedAt": {"$date": {"$numberLong": "1717200000000"}},
                "msgs": {"$numberInt": "12"},
            },
            {
                "_id": "r2",
                "t": "c",
                "createdAt": "2024-06-01T00:00:00Z",
                "_updatedAt": {"$date": "2024-06-01T00:00:00Z"},
                "msgs": {"$numberLong": "9000000000"},
            },
        ],
    )
    wh = storage.Warehouse(tmp_path / "wh")
    result = ingest(wh, tmp_path / "raw", "r1", START)
    assert (result.accepted, result.rejected) == (4, 0)
    rows = query(
        wh.root,
        'select "uniqueId", "createdAt", os, process, migration, "instanceCount" '
        "from rocketchat_statistics order by 1",
    )
    assert [(r[0], r[1], *(orjson.loads(v) for v in r[2:5]), r[5]) for r in rows] == [
        (
            "server1",
            datetime(2024, 6, 1, 2, 15, tzinfo=UTC),
            {"type": "Linux", "totalmem": 8589934592, "loadavg": [0.5, 1]},
            {"pid": 7, "uptime": 12.5},
            {"_id": "control", "version": 308, "locked": False},
            1,
        ),
        (
            "server2",
            datetime(2024, 6, 1, 2, 15, tzinfo=UTC),
            {"type": "Linux", "totalmem": 8589934592, "loadavg": [0.5, 1]},
            {"pid": 7, "uptime": 12.5},
            {
                "_id": "control",
                "version": 308,
                "locked": False,
                "lockedAt": "2024-06-01T00:00:00.000Z",
            },
            1,
        ),
    ]
    assert query(wh.root, 'select _id, msgs, "createdAt" from rocketchat_rooms order by 1') == [
        ("r1", 12, datetime(2024, 6, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("r2", 9_000_000_000, datetime(2024, 6, 1, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    "msgs",
    [{"$numberInt": "1.5"}, {"$numberDouble": "12"}, {"$numberInt": "x"}, "12", 1.5, {"n": 1}],
)
def test_a_wrapped_number_of_the_wrong_kind_is_rejected(tmp_path, msgs):
    room = {"_id": "r1", "t": "c", "createdAt": "2024-06-01T00:00:00Z", "msgs": msgs}
    write_raw(tmp_path / "raw", "rocketchat_rooms", [{**room, "_updatedAt": room["createdAt"]}])
    wh = storage.Warehouse(tmp_path / "wh")
    assert ingest(wh, tmp_path / "raw", "r1", START).rejected == 1
    assert query(wh.root, "select reason from rejects") == [("field 'msgs': expected an integer",)]


def test_statistics_landed_under_the_old_name_are_read(tmp_path):
    path = tmp_path / "raw" / "rocketchat" / "instances" / "stats.ndjson"
    path.parent.mkdir(parents=True)
    path.write_text(orjson.dumps(statistics()).decode() + "\n")
    wh = storage.Warehouse(tmp_path / "wh")
    result = ingest(wh, tmp_path / "raw", "r1", START)
    assert (result.accepted, result.ignored) == (1, [])
    assert query(wh.root, 'select "uniqueId" from rocketchat_statistics') == [("server1",)]


def test_the_instances_collection_is_rejected_naming_the_right_one(tmp_path):
    """mongoexport -c instances writes Rocket.Chat's instance registry, not statistics."""
    instance = {
        "_id": "b6f1c0de-1111-4222-8333-944455556666",
        "_createdAt": {"$date": "2024-06-01T00:00:00Z"},
        "name": "rocket.chat",
        "pid": 1,
        "extraInformation": {"host": "10.0.0.5", "port": "3000", "nodeVersion": "v14.21.3"},
    }
    path = tmp_path / "raw" / "rocketchat" / "instances" / "instances.ndjson"
    path.parent.mkdir(parents=True)
    path.write_text(orjson.dumps(instance).decode() + "\n")
    wh = storage.Warehouse(tmp_path / "wh")
    assert ingest(wh, tmp_path / "raw", "r1", START).rejected == 1
    ((reason,),) = query(wh.root, "select reason from rejects")
    assert "instances collection" in reason and "rocketchat_statistics" in reason
