"""Coder v1 usage metrics (api/private/metrics/activity) on tests/coder_fixture.py.

Active minutes on 2023-08-15 per category (see test_coder_insights.py for the rollup):
  any: U1 32 (10:00-10:29 and 03:00-03:01), U2 2 (12:00 jetbrains, 08:00 login), U3 70
  ide: U1 2, U2 1; tunnel: U1 30; web terminal: U1 2 ([terminal] app minutes)
  app: U1 4 (code-server 03:00, 03:01, 10:10 and port 8080 10:25), U3 70; login: U2 1
"""

from __future__ import annotations

import hashlib

import pytest

from tests.coder_fixture import ORG1, U1, U2, U3, load

PATH = "api/private/metrics/activity"
DAY = "start=2023-08-15T00:00:00Z&end=2023-08-16T00:00:00Z"
NOW = "2023-08-20T00:00:00Z"
MINUTE_NS = 60 * 10**9


@pytest.fixture(scope="module")
def coder(tmp_path_factory):
    from pipelines.config import Settings
    from tests.conftest import MiniWarehouse

    m = MiniWarehouse(tmp_path_factory.mktemp("metrics"), Settings())
    load(m)
    return m


def counts(body: dict) -> list[list[tuple[str, int]]]:
    return [[(u["user_id"], u["count"]) for u in b["user_activity"]] for b in body["activity"]]


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("any", [(U3, 70), (U1, 32), (U2, 2)]),
        ("ide", [(U1, 2), (U2, 1)]),
        ("tunnel", [(U1, 30)]),
        ("web%20terminal", [(U1, 2)]),
        ("web_terminal", [(U1, 2)]),
        ("app", [(U3, 70), (U1, 4)]),
        ("login", [(U2, 1)]),
    ],
)
def test_categories(coder, category, expected):
    status, body = coder.call(f"{PATH}?{DAY}&category={category}", NOW)
    assert status == 200
    assert counts(body) == [expected]


def test_body_shape_and_users(coder):
    status, body = coder.call(f"{PATH}?{DAY}&org={ORG1}", NOW)
    assert status == 200
    assert body == {
        "activity": [
            {
                "time": "2023-08-15T00:00:00Z",
                "duration": 86_400 * 10**9,
                "user_activity": [{"user_id": U1, "duration": 32 * MINUTE_NS, "count": 32}],
            }
        ],
        "users": {
            U1: {
                "id": U1,
                "name": "",
                "username": "ann",
                "roles": [],
                "avatar_hash": hashlib.sha256(b"https://a/ann.png").hexdigest(),
                "total_count": 32,
                "total_duration": 32 * MINUTE_NS,
            }
        },
    }


def test_weekly_buckets_are_zero_filled(coder):
    status, body = coder.call(
        f"{PATH}?start=2023-08-14T00:00:00Z&end=2023-08-28T00:00:00Z&interval=1%20week&category=login",
        NOW,
    )
    assert [(b["time"], b["duration"]) for b in body["activity"]] == [
        ("2023-08-14T00:00:00Z", 7 * 86_400 * 10**9),
        ("2023-08-21T00:00:00Z", 7 * 86_400 * 10**9),
    ]
    assert counts(body) == [[(U2, 1)], []]
    assert body["users"][U2]["avatar_hash"] == ""


@pytest.mark.parametrize(
    "range_",
    [
        "start=2023-08-14T00:00:00Z&end=2023-08-28T00:00:00Z&interval=1%20week",  # weekly sums
        "start=2023-08-14T00:00:00Z&end=2023-08-28T00:00:00Z&interval=7%20days",  # daily sums
        "start=2023-08-14T00:00:00Z&end=2023-08-27T23:30:00Z&interval=1%20week",
    ],
    ids=["whole weeks", "whole days", "minutes"],
)
def test_weeks_days_and_minutes_answer_alike(coder, range_):
    """Whole ISO weeks read the weekly sums, whole days the daily sums, other ranges the
    minutes (ending at 23:30): the same counts every way."""
    status, body = coder.call(f"{PATH}?{range_}", NOW)
    assert status == 200
    assert counts(body) == [[(U3, 70), (U1, 32), (U2, 2)], []]


def test_a_week_cut_short_reads_days_not_the_week(coder):
    """From a Monday to a Tuesday in 1-week steps the one interval is a day: the minutes of
    Tuesday 2023-08-15 (in the week's sums) are not in it."""
    status, body = coder.call(
        f"{PATH}?start=2023-08-14T00:00:00Z&end=2023-08-15T00:00:00Z&interval=1%20week", NOW
    )
    assert status == 200
    assert counts(body) == [[]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("end=2023-08-16T00:00:00Z", "start"),
        ("start=yesterday&end=2023-08-16T00:00:00Z", "start"),
        ("start=2023-08-16T00:00:00Z&end=2023-08-15T00:00:00Z", "end"),
        (f"{DAY}&category=everything", "category"),
        (f"{DAY}&interval=fortnight", "interval"),
        (f"{DAY}&org=acme", "org"),
    ],
)
def test_errors_name_the_parameter(coder, query, field):
    status, body = coder.call(f"{PATH}?{query}", NOW)
    assert status == 400
    assert list(body) == ["message", "detail"] and f'"{field}"' in body["message"]


@pytest.mark.parametrize(
    "range_",
    [
        "start=2023-08-15T10:00:00Z&end=2023-08-15T10:30:00Z&category=tunnel",
        "start=2023-08-15T02:30:00Z&end=2023-08-16T02:30:00Z&interval=1%20day",
        "start=2023-08-15T08:30:00%2B05:30&end=2023-08-17T08:30:00%2B05:30&category=app",
        f"start=2023-08-14T03:30:00Z&end=2023-08-28T00:00:00Z&interval=1%20week&org={ORG1}",
        "start=2023-07-15T10:30:00Z&end=2023-09-15T10:00:00Z&interval=1%20month",
    ],
    ids=["half hour", "days from 02:30", "offset +05:30", "weeks of an org", "months"],
)
def test_half_hours_answer_as_the_minutes(coder, monkeypatch, range_):
    """A window on UTC half-hour bounds reads the half-hourly sums; the same window read
    from the minutes (their query, forced) answers the same body."""
    from pipelines.endpoints.coder import metrics

    target = f"{PATH}?{range_}"
    held = coder.call(target, NOW)
    monkeypatch.setattr(metrics, "_grain", lambda start, end, unit: "minute")
    assert held == coder.call(target, NOW)
    assert held[0] == 200 and any(b["user_activity"] for b in held[1]["activity"])
