"""SeaTable scripts-running: month in the reporting zone, owners and orgs, paging, order, errors."""

import pytest

PATH = "api/v2.1/admin/statistics/scripts-running/"
NOW = "2024-03-20T12:00:00Z"


def run(id_, owner, finished, seconds=None, org=1, success=True, started=None):
    record = {
        "id": id_,
        "dtable_uuid": "d" * 32,
        "owner": owner,
        "org_id": org,
        "script_name": "s.py",
        "started_at": started or finished,
        "finished_at": finished,
        "success": success,
    }
    if seconds is not None:
        record["spend_time"] = seconds
    return record


@pytest.fixture(scope="module")  # the tests only ask it
def scripts(module_mini):
    m = module_mini(timezone="Europe/Berlin")
    m.add(
        "seatable_script_runs",
        [
            run(1, "ann@auth.local", "2024-03-01T09:00:00Z", 1.5),
            run(2, "ann@auth.local", "2024-03-02T09:00:00Z", 2.25, success=False),  # failed: counts
            run(3, "bob@auth.local", "2024-03-03T09:00:00Z", 3.0, org=2),
            # No spend_time: finished - started = 4 s.
            run(
                4,
                "cid@auth.local",
                "2024-03-04T09:00:04Z",
                None,
                org=-1,
                started="2024-03-04T09:00:00Z",
            ),
            run(5, "7@seafile_group", "2024-03-05T09:00:00Z", 100.0),  # group-owned: left out
            # 2024-03-31T22:30Z is 00:30 on April 1st in Berlin: next month.
            run(6, "ann@auth.local", "2024-03-31T22:30:00Z", 50.0),
            # 2024-02-29T23:30Z is 00:30 on March 1st in Berlin: this month.
            run(7, "dan@auth.local", "2024-02-29T23:30:00Z", 0.75, org=9),
        ],
    )
    m.add(
        "seatable_users",
        [
            {"username": "ann@auth.local", "nickname": "Ann", "updated_at": "2024-01-01T00:00:00Z"},
            {
                "username": "ann@auth.local",
                "nickname": "Ann Later",
                "updated_at": "2024-04-01T00:00:00Z",
            },
            {"username": "bob@auth.local", "updated_at": "2024-01-01T00:00:00Z"},
        ],
    )
    m.add(
        "seatable_orgs", [{"org_id": 1, "org_name": "Alpha", "updated_at": "2024-01-01T00:00:00Z"}]
    )
    m.build()
    return m


def test_users_of_the_month_by_key(scripts):
    status, body = scripts.call(f"{PATH}?month=202403", NOW)
    assert status == 200
    assert body == {
        "results": [
            {
                "total_run_count": 2,
                "total_run_time": 3.75,
                "username": "ann@auth.local",
                "name": "Ann",
            },
            {
                "total_run_count": 1,
                "total_run_time": 3.0,
                "username": "bob@auth.local",
                "name": "bob",
            },
            {
                "total_run_count": 1,
                "total_run_time": 4.0,
                "username": "cid@auth.local",
                "name": "cid",
            },
            {
                "total_run_count": 1,
                "total_run_time": 0.75,
                "username": "dan@auth.local",
                "name": "dan",
            },
        ],
        "count": 4,
    }


def test_orgs_default_month_and_unknown_name(scripts):
    # org 1: ann's two March runs and the group-owned one (orgs keep group bases): 3 runs.
    status, body = scripts.call(f"{PATH}?is_user=False", NOW)
    assert status == 200
    assert body == {
        "results": [
            {"org_id": 1, "total_run_count": 3, "total_run_time": 103.75, "org_name": "Alpha"},
            {"org_id": 2, "total_run_count": 1, "total_run_time": 3.0, "org_name": 2},
            {"org_id": 9, "total_run_count": 1, "total_run_time": 0.75, "org_name": 9},
        ],
        "count": 3,
    }


def test_order_with_ties_and_paging(scripts):
    status, body = scripts.call(
        f"{PATH}?month=202403&order_by=-total_run_count&per_page=2&page=1", NOW
    )
    assert [r["username"] for r in body["results"]] == ["ann@auth.local", "bob@auth.local"]
    status, body = scripts.call(
        f"{PATH}?month=202403&order_by=-total_run_count&per_page=2&page=2", NOW
    )
    assert [r["username"] for r in body["results"]] == ["cid@auth.local", "dan@auth.local"]
    status, body = scripts.call(f"{PATH}?month=202403&order_by=total_run_time", NOW)
    assert [r["username"] for r in body["results"]] == [
        "dan@auth.local",
        "bob@auth.local",
        "ann@auth.local",
        "cid@auth.local",
    ]
    assert scripts.call(f"{PATH}?month=202403&page=9", NOW) == (200, {"results": [], "count": 4})


def test_april_gets_the_run_after_local_midnight(scripts):
    status, body = scripts.call(f"{PATH}?month=202404", "2024-04-10T00:00:00Z")
    assert body == {
        "results": [
            {
                "total_run_count": 1,
                "total_run_time": 50.0,
                "username": "ann@auth.local",
                "name": "Ann Later",
            }
        ],
        "count": 1,
    }


def test_non_integer_paging_falls_back_to_defaults(scripts):
    status, body = scripts.call(f"{PATH}?month=202403&page=x&per_page=1", NOW)
    assert status == 200 and len(body["results"]) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2024-03", "month invalid."),
        ("month=202413", "month invalid."),
        ("is_user=yes", "is_user invalid."),
        ("page=0", "page invalid."),
        ("per_page=-1", "per_page invalid."),
        ("order_by=name", "order_by invalid."),
        ("order_by=-total", "order_by invalid."),
    ],
)
def test_errors(scripts, query, message):
    assert scripts.call(f"{PATH}?{query}", NOW) == (400, {"error_msg": message})


@pytest.mark.parametrize(
    ("username", "nickname", "name"),
    [
        ("ann@auth.local", "Ann", "Ann"),
        ("cy@auth.local", "  Cy  ", "Cy"),  # stripped of surrounding whitespace
        ("di@auth.local", "\tDi Lu\n", "Di Lu"),  # inner space kept
        ("ed@auth.local", "", "ed"),  # empty: the username before '@'
        ("fay@auth.local", "   ", "fay"),  # only whitespace: empty once stripped
        ("gus@auth.local", None, "gus"),  # no nickname in the snapshot
        ("hal", "", "hal"),  # no '@': the whole username
        ("ivy@a@b", "", "ivy"),  # before the first '@'
    ],
)
def test_name_is_seatables_email2nickname(mini, username, nickname, name):
    """name = the nickname stripped of surrounding whitespace; when that is empty or missing,
    the part of the username before '@' (SeaTable's email2nickname)."""
    m = mini()
    m.add("seatable_script_runs", [run(1, username, "2024-03-01T09:00:00Z", 1.0)])
    user = {"username": username, "updated_at": "2024-01-01T00:00:00Z"}
    if nickname is not None:
        user["nickname"] = nickname
    m.add("seatable_users", [user])
    m.build()
    status, body = m.call(f"{PATH}?month=202403", NOW)
    assert status == 200
    assert body["results"] == [
        {"total_run_count": 1, "total_run_time": 1.0, "username": username, "name": name}
    ]


def test_held_months_answer_as_the_report_once_the_names_settle(scripts):
    """From the latest instant the names' versions name (ann's new nickname), a session
    pages every month's groups, of both kinds and in every order, from what it holds: the
    report's rows as of that instant and later."""
    from datetime import UTC, date, datetime, timedelta

    from pipelines.endpoints import seatable
    from pipelines.endpoints.base import open_session, query_rows

    con = open_session(scripts.wh, held=True)
    try:
        settled = seatable.SettledScriptRuns.read(con)
        assert settled.settled_at == datetime(2024, 4, 1, tzinfo=UTC)
        assert {month for month, _, _ in settled.groups} == {date(2024, 3, 1), date(2024, 4, 1)}
        for now in (settled.settled_at, settled.settled_at + timedelta(days=400)):
            for first, following in [
                (date(2024, 3, 1), date(2024, 4, 1)),
                (date(2024, 4, 1), date(2024, 5, 1)),
            ]:
                for is_user in (True, False):
                    for order in seatable.ORDERS:
                        params = {"month_start": first, "month_end": following, "is_user": is_user}
                        params |= {"now": now, "order_column": order.removeprefix("-")}
                        found = query_rows(
                            con,
                            "rpt_seatable_scripts_running",
                            params | {"descending": order[:1] == "-"},
                        )
                        held = settled.groups.get((first, is_user, order), [])
                        assert [seatable._script_row(r, is_user) for r in held] == [
                            seatable._script_row(r, is_user) for r in found
                        ], (now, first, is_user, order)
    finally:
        con.close()
