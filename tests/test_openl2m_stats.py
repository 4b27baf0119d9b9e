"""OpenL2M api/stats/: windows around local midnight and the hour edge, totals, inventory."""

from datetime import UTC, datetime, timedelta

import pytest

PATH = "api/stats/"
# 10:30 UTC is 11:30 in Berlin: local today began at 2024-01-09T23:00Z.
NOW = "2024-01-10T10:30:00Z"


def log(id_, at, type_, switch=None, user=None, action=1):
    return {
        "id": id_,
        "timestamp": at,
        "type": type_,
        "action": action,
        "switch_id": switch,
        "user_id": user,
    }


INVENTORY = {
    "switches": 10,
    "switchgroups": 0,
    "vlans": 30,
    "vlan_groups": 4,
    "snmp_profiles": 2,
    "credentials_profiles": 3,
    "commands": 12,
    "command_lists": 5,
    "api_tokens": 1,
}


def test_stats_as_of_now(mini):
    m = mini(timezone="Europe/Berlin", log_max_age_days=30)
    m.add(
        "openl2m_log",
        [
            log(1, "2024-01-10T10:00:00Z", 0, switch=1, user=1),  # in the last hour
            log(2, "2024-01-10T09:30:00Z", 1, switch=2, user=1),  # exactly an hour ago: in it
            log(3, "2024-01-09T23:30:00Z", 1, switch=3),  # 00:30 local: today
            log(4, "2024-01-09T22:30:00Z", 0, switch=4),  # 23:30 local yesterday
            log(5, "2024-01-10T10:15:00Z", 5, user=2, action=95),  # REST API login
            log(6, "2024-01-05T10:00:00Z", 5, user=3),
            log(7, "2024-01-10T10:20:00Z", 5),  # no user: never counted as one
            log(8, "2024-01-01T10:00:00Z", 4, switch=5),  # before local Jan 3rd: 31 days only
            log(9, "2023-12-01T00:00:00Z", 2, switch=6),  # beyond 31 days and retention
            log(10, "2024-01-11T00:00:00Z", 1, switch=7),  # after now
            # A REST admin change (OpenL2M 4.2: type 1, action 602, no device): a change,
            # no device, as OpenL2M's own stats count it.
            log(11, "2024-01-10T10:25:00Z", 1, user=4, action=602),
        ],
    )
    m.add(
        "openl2m_counters",
        [
            {"name": "changes", "value": 99, "at": "2024-01-10T00:00:00Z"},
            {"name": "changes", "value": 150, "at": "2024-01-11T00:00:00Z"},  # after now
        ],
    )
    m.add(
        "openl2m_inventory",
        [
            {"at": "2024-01-09T00:00:00Z", **INVENTORY},
            {"at": "2024-01-11T00:00:00Z", **INVENTORY, "switches": 99},  # after now
        ],
    )
    m.build()
    status, body = m.call(PATH, NOW)
    assert status == 200
    assert list(body) == ["database", "usage"]
    database = {k: v["value"] for k, v in body["database"].items()}
    assert database == {**INVENTORY, "log_entries": 9}
    assert body["database"]["switchgroups"] == {"label": "Switch Groups", "value": 0}
    usage = {k: v["value"] for k, v in body["usage"].items()}
    assert usage == {
        "devices_last_hour": 2,
        "devices_today": 3,
        "devices_last_7_days": 4,
        "devices_last_31_days": 5,
        "changes_last_hour": 2,
        "changes_today": 3,
        "changes_last_7_days": 3,
        "changes_last_31_days": 3,
        "changes_total": 99,  # the latest counter as of now
        "users_last_hour": 1,
        "users_today": 1,
        "users_last_7_days": 2,
        "users_last_31_days": 2,
        "api_calls_today": 1,
        "api_calls_last_7_days": 1,
        "api_calls_last_31_days": 1,
        "commands_today": 0,
        "commands_last_7_days": 0,
        "commands_last_31_days": 1,
        "commands_total": 1,  # no counter: counted from the log
    }
    assert body["usage"]["devices_last_31_days"]["label"] == "Devices Last 31 Days"


# Records around the long windows' starts; the days between are read as whole days.
LONG_WINDOW_LOG = [
    log(1, "2023-12-09T22:30:00Z", 0, switch=1),  # Berlin 12-09 23:30: before 31 days
    log(2, "2023-12-09T23:30:00Z", 0, switch=2),  # Berlin 12-10 00:30: the 31 days' first
    log(3, "2023-12-20T12:00:00Z", 5, user=1, action=95),  # a whole day of the 31 days
    log(4, "2024-01-02T22:30:00Z", 1, switch=3),  # Berlin 01-02 23:30: before 7 days
    log(5, "2024-01-02T23:30:00Z", 4, switch=4),  # Berlin 01-03 00:30: the 7 days' first
    log(6, "2024-01-05T12:00:00Z", 5, user=2),  # whole days of the 7 days
    log(7, "2024-01-05T13:00:00Z", 1, switch=3),
    log(8, "2024-01-09T23:30:00Z", 0, switch=5),  # Berlin 01-10 00:30: today
]


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        (
            "Europe/Berlin",
            {
                "devices_today": 1,
                "devices_last_7_days": 3,
                "devices_last_31_days": 4,
                "changes_last_7_days": 1,
                "changes_last_31_days": 2,
                "commands_last_7_days": 1,
                "commands_last_31_days": 1,
            },
        ),
        (
            "UTC",
            {
                "devices_today": 0,
                "devices_last_7_days": 2,
                "devices_last_31_days": 3,
                "changes_last_7_days": 1,
                "changes_last_31_days": 2,
                "commands_last_7_days": 0,
                "commands_last_31_days": 1,
            },
        ),
    ],
)
def test_long_windows_add_whole_days_to_the_records_of_their_first_days(mini, timezone, expected):
    """The 7- and 31-day windows read whole UTC days from the daily facts and the UTC days
    they start on record by record: a local midnight cuts those days in Berlin, not in UTC."""
    m = mini(timezone=timezone)
    m.add("openl2m_log", LONG_WINDOW_LOG)
    m.build()
    status, body = m.call(PATH, NOW)
    assert status == 200
    usage = {k: v["value"] for k, v in body["usage"].items()}
    same_in_both = {
        "users_last_7_days": 1,
        "users_last_31_days": 2,
        "api_calls_last_7_days": 0,
        "api_calls_last_31_days": 1,
    }
    assert {k: usage[k] for k in [*expected, *same_in_both]} == {**expected, **same_in_both}


@pytest.mark.parametrize(
    ("age", "counted"),
    [(timedelta(hours=1), 1), (timedelta(hours=1, microseconds=1), 0)],
    ids=["exactly one hour old: counts", "one microsecond older: does not"],
)
def test_last_hour_is_timestamp_at_or_after_now_minus_one_hour(mini, age, counted):
    """OpenL2M's rule (switches/stats.py: timestamp >= now - 1 hour) for all three counts."""
    now = datetime(2024, 1, 10, 10, 30, tzinfo=UTC)
    at = (now - age).isoformat()
    m = mini()
    m.add("openl2m_log", [log(1, at, 1, switch=1, user=1), log(2, at, 5, user=2, action=90)])
    m.build()
    status, body = m.call(PATH, now)
    assert status == 200
    usage = {k: v["value"] for k, v in body["usage"].items()}
    assert [usage[f"{what}_last_hour"] for what in ("devices", "changes", "users")] == [counted] * 3
    assert usage["changes_today"] == 1  # the record is there either way


def test_empty_warehouse_gives_zeros(mini):
    m = mini()
    m.build()
    status, body = m.call(PATH, NOW)
    assert status == 200
    assert all(v["value"] == 0 for part in body.values() for v in part.values())
    assert [v["label"] for v in body["database"].values()][-1] == "Log Entries"


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "UTC"])
def test_held_log_answers_as_the_report_once_every_record_is_before_now(mini, timezone):
    """From the latest instant the records and versions name, a session answers from the
    instants it holds: the report's numbers at that instant and after it, around the day's,
    the hour's, the retention's and the windows' edges."""
    from pipelines.endpoints import openl2m
    from pipelines.endpoints.base import Context, open_session, query_rows

    m = mini(timezone=timezone, log_max_age_days=30)
    m.add("openl2m_log", LONG_WINDOW_LOG)
    m.add("openl2m_counters", [{"name": "commands", "value": 7, "at": "2024-01-08T00:00:00Z"}])
    m.add("openl2m_inventory", [{"at": "2024-01-09T00:00:00Z", **INVENTORY}])
    m.build()
    con = open_session(m.wh, held=True)
    try:
        settled = openl2m.SettledLog.read(con)
        assert settled.settled_at == datetime(2024, 1, 9, 23, 30, tzinfo=UTC)  # record 8
        for later in [
            timedelta(0),
            timedelta(minutes=30),  # midnight UTC: record 8's day is a whole day
            timedelta(hours=1),  # record 8 exactly an hour old
            timedelta(days=1),
            timedelta(days=4, hours=13),  # the 7 days start on record 6's day
            timedelta(days=9, hours=12, minutes=30),  # the retention starts at record 3
            timedelta(days=9, hours=12, minutes=30, microseconds=1),  # and just after it
        ]:
            windows = openl2m.windows(Context(con, settled.settled_at + later, m.settings))
            (row,) = query_rows(con, "rpt_openl2m_stats", windows)
            assert settled.numbers(**windows) == row, later
    finally:
        con.close()
