"""Coder insights v2: the rollup rules and the four endpoints, against hand-worked numbers.

The deployment is tests/coder_fixture.py. Its rollup rows (half hour, template, user):
  03:00 T1 U1  app code-server 03:00-03:01 -> 2 min (the zero-length session adds none)
  10:00 T1 U1  vscode 10:00,10:01 + code-server 10:10 (10 s) + [terminal] 10:20,10:21
               + port 8080 10:25 -> 6 min; latency median(10, 20, 30) = 20
  10:00 T2 U1  ssh every minute 10:00-10:29 -> 30 min; latency 5
  11:00 T1 U2  dropped: no record with a connection
  12:00 T1 U2  jetbrains 1 min; no latency
  14:00, 14:30, 16:00 T1 U3  code-server 30 + 30 + 10 min (U3 used U2's workspace)
"""

from __future__ import annotations

import pytest

from tests.coder_fixture import T1, T2, U1, U2, U3, load

DAY = "start_time=2023-08-15T00:00:00Z&end_time=2023-08-16T00:00:00Z"
NOW = "2023-08-20T00:00:00Z"


@pytest.fixture(scope="module")
def coder(tmp_path_factory):
    from pipelines.config import Settings
    from tests.conftest import MiniWarehouse

    m = MiniWarehouse(tmp_path_factory.mktemp("coder"), Settings())
    load(m)
    return m


def rollup(coder) -> dict:
    from pipelines import storage

    con = storage.open_warehouse(coder.wh)
    found = con.execute(
        "select strftime(start_time, '%H:%M'), template_id, user_id, usage_mins, ssh_mins, "
        "vscode_mins, jetbrains_mins, reconnecting_pty_mins, app_usage_mins, median_latency_ms "
        "from fct_coder_usage_30m order by all"
    ).fetchall()
    con.close()
    return {(r[0], r[1], r[2]): r[3:] for r in found}


def test_rollup_rows(coder):
    assert rollup(coder) == {
        ("03:00", T1, U1): (2, 0, 0, 0, 0, {"code-server": 2}, None),
        ("10:00", T1, U1): (6, 0, 2, 0, 0, {"8080": 1, "[terminal]": 2, "code-server": 1}, 20.0),
        ("10:00", T2, U1): (30, 30, 0, 0, 0, {}, 5.0),
        ("12:00", T1, U2): (1, 0, 0, 1, 0, {}, None),
        ("14:00", T1, U3): (30, 0, 0, 0, 0, {"code-server": 30}, None),
        ("14:30", T1, U3): (30, 0, 0, 0, 0, {"code-server": 30}, None),
        ("16:00", T1, U3): (10, 0, 0, 0, 0, {"code-server": 10}, None),
    }


def test_user_activity_caps_templates_at_30_per_half_hour(coder):
    status, body = coder.call(f"api/v2/insights/user-activity?{DAY}", NOW)
    assert status == 200
    assert body == {
        "report": {
            "start_time": "2023-08-15T00:00:00Z",
            "end_time": "2023-08-16T00:00:00Z",
            "template_ids": [T1, T2],
            "users": [
                # U1: 2 + min(30, 6 + 30) = 32 minutes
                {
                    "template_ids": [T1, T2],
                    "user_id": U1,
                    "username": "ann",
                    "avatar_url": "https://a/ann.png",
                    "seconds": 1920,
                },
                {
                    "template_ids": [T1],
                    "user_id": U2,
                    "username": "bob",
                    "avatar_url": "",
                    "seconds": 60,
                },
                {
                    "template_ids": [T1],
                    "user_id": U3,
                    "username": "cid",
                    "avatar_url": "",
                    "seconds": 4200,
                },
            ],
        }
    }


def test_user_activity_template_filter(coder):
    status, body = coder.call(f"api/v2/insights/user-activity?{DAY}&template_ids={T2}", NOW)
    assert [(u["user_id"], u["seconds"]) for u in body["report"]["users"]] == [(U1, 1800)]
    assert body["report"]["template_ids"] == [T2]


def test_user_latency_percentiles_and_minus_one(coder):
    status, body = coder.call(f"api/v2/insights/user-latency?{DAY}", NOW)
    assert status == 200
    users = {u["user_id"]: u["latency_ms"] for u in body["report"]["users"]}
    # U1's half-hour medians are 20 and 5: p50 = 12.5, p95 = 5 + 0.95 * 15.
    assert users == {
        U1: {"p50": 12.5, "p95": 19.25},
        U2: {"p50": -1.0, "p95": -1.0},
        U3: {"p50": -1.0, "p95": -1.0},
    }


def test_request_offset_is_kept(coder):
    query = "start_time=2023-08-15T00:00:00-03:00&end_time=2023-08-16T00:00:00-03:00"
    status, body = coder.call(f"api/v2/insights/user-activity?{query}", NOW)
    assert (body["report"]["start_time"], body["report"]["end_time"]) == (
        "2023-08-15T00:00:00-03:00",
        "2023-08-16T00:00:00-03:00",
    )


def test_templates_report(coder):
    status, body = coder.call(f"api/v2/insights/templates?{DAY}&sections=report", NOW)
    assert status == 200
    assert list(body) == ["report"]
    report = body["report"]
    assert report["template_ids"] == [T1, T2] and report["active_users"] == 3
    assert report["apps_usage"] == [
        {
            "template_ids": [T1],
            "type": "builtin",
            "display_name": "Visual Studio Code",
            "slug": "vscode",
            "icon": "/icon/code.svg",
            "seconds": 120,
            "times_used": 0,
        },
        {
            "template_ids": [T1],
            "type": "builtin",
            "display_name": "JetBrains",
            "slug": "jetbrains",
            "icon": "/icon/intellij.svg",
            "seconds": 60,
            "times_used": 0,
        },
        # The web terminal's app minutes are activity, not the Web Terminal builtin.
        {
            "template_ids": [],
            "type": "builtin",
            "display_name": "Web Terminal",
            "slug": "reconnecting-pty",
            "icon": "/icon/terminal.svg",
            "seconds": 0,
            "times_used": 0,
        },
        {
            "template_ids": [T2],
            "type": "builtin",
            "display_name": "SSH",
            "slug": "ssh",
            "icon": "/icon/terminal.svg",
            "seconds": 1800,
            "times_used": 0,
        },
        {
            "template_ids": [],
            "type": "builtin",
            "display_name": "SFTP",
            "slug": "sftp",
            "icon": "/icon/terminal.svg",
            "seconds": 0,
            "times_used": 0,
        },
        # 2 + 1 + 30 + 30 + 10 minutes; runs: U1 03:00 and 10:00 (a gap), U3 14:00-15:00 and 16:00.
        # The most recently created app names the entry; port 8080 and [terminal] never appear.
        {
            "template_ids": [T1],
            "type": "app",
            "display_name": "VS Code Web",
            "slug": "code-server",
            "icon": "/icon/code.svg",
            "seconds": 4380,
            "times_used": 4,
        },
    ]
    assert report["parameters_usage"] == [
        {
            "template_ids": [T2],
            "display_name": "",  # none stored: Coder's API answers "" (its page shows the name)
            "name": "cpu",
            "type": "number",
            "description": "",
            "values": [{"value": "", "count": 1}],
        },
        {
            "template_ids": [T1, T2],
            "display_name": "Region",
            "name": "region",
            "type": "string",
            "description": "Where",
            "options": [
                {"name": "EU", "description": "", "value": "eu", "icon": ""},
                {"name": "US", "description": "", "value": "us", "icon": ""},
            ],
            # Latest build per workspace in range: W1 #2 eu, W3 #5 us, W2 #1 eu.
            "values": [{"value": "eu", "count": 2}, {"value": "us", "count": 1}],
        },
    ]


def test_templates_interval_reports_only(coder):
    query = "start_time=2023-08-14T00:00:00Z&end_time=2023-08-16T00:00:00Z&interval=day&sections=interval_reports"
    status, body = coder.call(f"api/v2/insights/templates?{query}", NOW)
    assert status == 200
    assert body == {
        "interval_reports": [
            {
                "start_time": "2023-08-14T00:00:00Z",
                "end_time": "2023-08-15T00:00:00Z",
                "template_ids": [],
                "interval": "day",
                "active_users": 0,
            },
            {
                "start_time": "2023-08-15T00:00:00Z",
                "end_time": "2023-08-16T00:00:00Z",
                "template_ids": [T1, T2],
                "interval": "day",
                "active_users": 3,
            },
        ]
    }


def test_templates_week_with_partial_last_interval_in_request_offset(coder):
    query = (
        "start_time=2023-08-08T00:00:00%2B02:00&end_time=2023-08-21T00:00:00%2B02:00&interval=week"
    )
    status, body = coder.call(f"api/v2/insights/templates?{query}", "2023-08-25T00:00:00Z")
    assert status == 200
    assert [
        (r["start_time"], r["end_time"], r["active_users"]) for r in body["interval_reports"]
    ] == [
        ("2023-08-08T00:00:00+02:00", "2023-08-15T00:00:00+02:00", 0),
        ("2023-08-15T00:00:00+02:00", "2023-08-21T00:00:00+02:00", 3),
    ]


def test_daus_negative_offset_labels_previous_date(coder):
    status, body = coder.call("api/v2/insights/daus?tz_offset=-3", "2023-08-15T12:30:00Z")
    assert status == 200
    assert body["tz_hour_offset"] == -3
    entries = body["entries"]
    assert len(entries) == 61
    assert entries[0] == {"date": "2023-06-15", "amount": 0}
    # Aug 15 runs to 13:00 UTC: U1 and U2 have rows that end by then, U3's start at 14:00.
    assert entries[-1] == {"date": "2023-08-14", "amount": 2}


def test_daus_in_the_last_utc_hour_has_60_days(coder):
    status, body = coder.call("api/v2/insights/daus", "2023-08-15T23:10:00Z")
    assert len(body["entries"]) == 60 and body["entries"][-1] == {"date": "2023-08-15", "amount": 3}


MANY = "Query parameters have invalid values."
ONE = "Query parameter has invalid value."


@pytest.mark.parametrize(
    ("target", "body"),
    [
        (
            "api/v2/insights/user-activity?bogus=1",
            {
                "message": MANY,
                "validations": [
                    {
                        "field": "start_time",
                        "detail": 'Query param "start_time" is required and cannot be empty',
                    },
                    {
                        "field": "end_time",
                        "detail": 'Query param "end_time" is required and cannot be empty',
                    },
                    {"field": "bogus", "detail": '"bogus" is not a valid query param'},
                ],
            },
        ),
        (
            f"api/v2/insights/user-latency?{DAY}&template_ids=abc, {T1}",
            {
                "message": MANY,
                "validations": [
                    {
                        "field": "template_ids",
                        "detail": 'Query param "template_ids" has invalid values: invalid UUID length: 3',
                    },
                ],
            },
        ),
        (
            "api/v2/insights/user-activity?start_time=2023-08-15&end_time=2023-08-16T00:00:00Z",
            {
                "message": ONE,
                "validations": [
                    {
                        "field": "start_time",
                        "detail": 'Query param "start_time" must be a valid date format (2006-01-02T15:04:05Z07:00): parsing time "2023-08-15" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"',
                    }
                ],
            },
        ),
        (
            "api/v2/insights/user-activity?start_time=2023-08-21T00:00:00Z&end_time=2023-08-21T00:00:00Z",
            {
                "message": ONE,
                "validations": [
                    {
                        "field": "start_time",
                        "detail": 'Query param "start_time" must not be in the future',
                    }
                ],
            },
        ),
        (
            "api/v2/insights/user-activity?start_time=2023-08-15T01:00:00Z&end_time=2023-08-16T00:00:00Z",
            {
                "message": ONE,
                "validations": [
                    {
                        "field": "start_time",
                        "detail": 'Query param "start_time" must have the clock set to 00:00:00, got 2023-08-15T01:00:00Z',
                    }
                ],
            },
        ),
        (
            "api/v2/insights/user-activity?start_time=2023-08-15T00:00:00Z&end_time=2023-08-16T05:00:00Z",
            {
                "message": ONE,
                "validations": [
                    {
                        "field": "end_time",
                        "detail": 'Query param "end_time" must have the clock set to 00:00:00, got 2023-08-16T05:00:00Z',
                    }
                ],
            },
        ),
        (
            "api/v2/insights/user-activity?start_time=2023-08-16T00:00:00Z&end_time=2023-08-15T00:00:00Z",
            {
                "message": ONE,
                "validations": [
                    {
                        "field": "end_time",
                        "detail": 'Query param "end_time" must be after than "start_time"',
                    }
                ],
            },
        ),
        (
            "api/v2/insights/templates?start_time=2023-08-08T00:00:00Z&end_time=2023-08-18T00:00:00Z&interval=week",
            {"message": ONE, "detail": "Last report interval should have at least 6 days."},
        ),
        (
            f"api/v2/insights/templates?{DAY}&interval=month",
            {
                "message": ONE,
                "validations": [{"field": "interval", "detail": "must be one of [day week]"}],
            },
        ),
        (
            f"api/v2/insights/templates?{DAY}&sections=everything",
            {
                "message": ONE,
                "validations": [
                    {"field": "sections", "detail": "must be one of [interval_reports report]"}
                ],
            },
        ),
        (
            "api/v2/insights/daus?tz_offset=x",
            {
                "message": MANY,
                "validations": [
                    {
                        "field": "tz_offset",
                        "detail": 'Query param "tz_offset" must be a valid integer: strconv.Atoi: parsing "x": invalid syntax',
                    }
                ],
            },
        ),
    ],
)
def test_errors(coder, target, body):
    assert coder.call(target, NOW) == (400, body)


def test_end_today_may_be_any_whole_hour(coder):
    status, body = coder.call(
        "api/v2/insights/user-activity?start_time=2023-08-15T00:00:00Z&end_time=2023-08-15T13:00:00Z",
        "2023-08-15T12:30:00Z",
    )
    assert status == 200 and body["report"]["end_time"] == "2023-08-15T13:00:00Z"
    status, body = coder.call(
        "api/v2/insights/user-activity?start_time=2023-08-15T00:00:00Z&end_time=2023-08-15T12:30:00Z",
        "2023-08-15T12:30:00Z",
    )
    assert body["validations"][0]["detail"].startswith(
        'Query param "end_time" must have the clock set to 12:00:00'
    )


def test_interval_users_from_half_hour_sets_equal_the_rows(coder):
    """The distinct users and templates per interval from the half hours' sets (bounds on
    half hours) equal those counted over the window's rows, for every template filter; a
    bound off the half hour takes the rows."""
    from datetime import datetime, timedelta

    from pipelines.endpoints.base import open_session
    from pipelines.endpoints.coder.rollup import Rollup

    con = open_session(coder.wh)
    try:
        held = Rollup.read(con)
    finally:
        con.close()
    assert held.sets is not None
    unknown = "00000000-0000-4000-8000-000000000000"
    for start, end in [
        ("2023-08-15T00:00:00+00:00", "2023-08-16T00:00:00+00:00"),
        ("2023-08-14T10:30:00+05:30", "2023-08-17T00:00:00+05:30"),
        ("2023-08-01T00:00:00-05:00", "2023-08-19T00:00:00-05:00"),
        ("2023-08-15T14:30:00+00:00", "2023-08-15T16:00:00+00:00"),
        ("2023-08-15T10:15:00+00:00", "2023-08-16T10:15:00+00:00"),  # off the half hour
        ("2023-08-16T00:00:00+00:00", "2023-08-18T00:00:00+00:00"),  # after every row
    ]:
        first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
        for templates in ([], [T1], [T2], [T1, T2], [unknown]):
            for step in (1, 7):
                rows = held.window(first, last, templates).intervals(first, last, step)
                assert held.intervals(first, last, templates, step) == rows
    first = datetime.fromisoformat("2023-08-15T00:00:00+00:00")
    assert held.intervals(first, first + timedelta(days=1), [], 1)[0]["active_users"] == 3
