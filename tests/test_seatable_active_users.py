"""SeaTable active users: zero-fill, inclusive end, local days, the four errors."""

import pytest

PATH = "api/v2.1/admin/statistics/active-users/"


def activity(user: str, ts: str) -> dict:
    return {"username": user, "timestamp": ts}


@pytest.fixture(scope="module")  # the tests only ask it
def utc(module_mini):
    m = module_mini()
    m.add(
        "seatable_user_activity",
        [
            activity("a@x", "2024-03-01T08:00:00Z"),
            activity("a@x", "2024-03-01T09:00:00Z"),  # same user and UTC day: one record
            activity("b@x", "2024-03-01T23:59:59Z"),
            activity("a@x", "2024-03-03T00:00:00Z"),
        ],
    )
    m.build()
    return m


def test_zero_filled_inclusive_end(utc):
    status, body = utc.call(f"{PATH}?start=2024-02-29+10:00:00&end=2024-03-03+00:00:00")
    assert status == 200
    assert body == {
        "active_users": [
            {"datetime": "2024-02-29T00:00:00+00:00", "count": 0},
            {"datetime": "2024-03-01T00:00:00+00:00", "count": 2},
            {"datetime": "2024-03-02T00:00:00+00:00", "count": 0},
            {"datetime": "2024-03-03T00:00:00+00:00", "count": 1},
        ]
    }


def test_start_after_end_is_empty(utc):
    assert utc.call(f"{PATH}?start=2024-03-03 00:00:00&end=2024-03-01 00:00:00") == (
        200,
        {"active_users": []},
    )


def test_local_days_with_offset(mini):
    m = mini(timezone="America/New_York")
    m.add(
        "seatable_user_activity",
        [
            activity("a@x", "2024-03-10T03:00:00Z"),  # 2024-03-09 22:00 EST
            activity("b@x", "2024-03-10T12:00:00Z"),  # 2024-03-10 08:00 EDT (after the switch)
        ],
    )
    m.build()
    status, body = m.call(f"{PATH}?start=2024-03-09 00:00:00&end=2024-03-10 00:00:00")
    assert status == 200
    assert body["active_users"] == [
        {"datetime": "2024-03-09T00:00:00-05:00", "count": 1},
        {"datetime": "2024-03-10T00:00:00-05:00", "count": 1},
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Start time can not be empty"),
        ("start=&end=2024-01-01 00:00:00", "Start time can not be empty"),
        ("start=2024-01-01 00:00:00", "End time can not be empty"),
        ("end=x&start=2024-01-01", "Start time 2024-01-01 invalid"),
        (
            "start=2024-02-30 00:00:00&end=2024-03-01 00:00:00",
            "Start time 2024-02-30 00:00:00 invalid",
        ),
        (
            "start=2024-01-01 00:00:00&end=2024-01-01T00:00:00",
            "End time 2024-01-01T00:00:00 invalid",
        ),
    ],
)
def test_errors_in_order(utc, query, message):
    assert utc.call(f"{PATH}?{query}") == (400, {"error_msg": message})
