"""Coder's own rollup (template_usage_stats): a warehouse whose only Coder usage is that
table answers every Coder endpoint with its numbers; where raw stats cover a day, the
warehouse's rollup wins and the agreement check names the half hours that differ.

The rollup rows, worked by hand below (all UTC):
  03-02 10:00 T1 U1  usage 20, ssh 5, vscode 15, apps code-server 10, latency 12.5
  03-02 10:00 T2 U1  usage 20, pty 10, apps [terminal] 4, latency 30
  03-02 10:30 T1 U1  usage 30, vscode 30, apps code-server 30, no latency
  03-02 11:30 T1 U1  usage 5, apps code-server 5, latency 20
  03-02 10:00 T1 U2  usage 8, jetbrains 8, latency 40
  03-03 09:00 T2 U2  usage 3, ssh 3, no latency
plus one audit login of U2 at 03-02 10:05.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines import pipeline, storage
from pipelines.config import Settings
from tests.coder_fixture import A1, CREATED, T1, T2, U1, U2, W1, agent
from tests.conftest import write_raw

NOW = "2026-03-10T00:00:00Z"
RANGE = "start_time=2026-03-02T00:00:00Z&end_time=2026-03-04T00:00:00Z"


def usage(start: str, template: str, user: str, minutes: int, latency=None, apps=None, **kinds):
    hour, minute = start[11:13], start[14:16]
    end_minute = int(minute) + 30
    end = f"{start[:11]}{int(hour) + end_minute // 60:02d}:{end_minute % 60:02d}:00Z"
    row = {
        "start_time": start,
        "end_time": end,
        "template_id": template,
        "user_id": user,
        "usage_mins": minutes,
        "ssh_mins": kinds.get("ssh", 0),
        "sftp_mins": 0,
        "reconnecting_pty_mins": kinds.get("pty", 0),
        "vscode_mins": kinds.get("vscode", 0),
        "jetbrains_mins": kinds.get("jetbrains", 0),
    }
    if latency is not None:
        row["median_latency_ms"] = latency
    if apps is not None:
        row["app_usage_mins"] = apps
    return row


ROLLUP = [
    usage("2026-03-02T10:00:00Z", T1, U1, 20, 12.5, {"code-server": 10}, ssh=5, vscode=15),
    usage("2026-03-02T10:00:00Z", T2, U1, 20, 30, {"[terminal]": 4}, pty=10),
    usage("2026-03-02T10:30:00Z", T1, U1, 30, None, {"code-server": 30}, vscode=30),
    usage("2026-03-02T11:30:00Z", T1, U1, 5, 20, {"code-server": 5}),
    usage("2026-03-02T10:00:00Z", T1, U2, 8, 40, jetbrains=8),
    usage("2026-03-03T09:00:00Z", T2, U2, 3, None, ssh=3),
]


@pytest.fixture(scope="module")
def rollup_only(tmp_path_factory):
    from tests.conftest import MiniWarehouse

    m = MiniWarehouse(tmp_path_factory.mktemp("rollup"), Settings())
    m.add("coder_template_usage_stats", ROLLUP)
    m.add(
        "coder_users",
        [
            {
                "id": U1,
                "username": "ann",
                "name": "Ann",
                "created_at": CREATED,
                "updated_at": CREATED,
            },
            {"id": U2, "username": "bob", "created_at": CREATED, "updated_at": CREATED},
        ],
    )
    m.add(
        "coder_workspaces",
        [
            {
                "id": W1,
                "owner_id": U1,
                "organization_id": T1,
                "template_id": T1,
                "name": "w1",
                "created_at": CREATED,
                "updated_at": CREATED,
            }
        ],
    )
    m.add(
        "coder_workspace_apps",
        [
            {
                "id": "a0000000-0000-4000-8000-0000000000a1",
                "agent_id": A1,
                "workspace_id": W1,
                "slug": "code-server",
                "display_name": "code-server",
                "icon": "/icon/code.svg",
                "created_at": CREATED,
            }
        ],
    )
    m.add(
        "coder_audit_logs",
        [
            {
                "id": "a0000000-0000-4000-8000-00000000a0d1",
                "time": "2026-03-02T10:05:10Z",
                "user_id": U2,
                "action": "login",
            }
        ],
    )
    m.build()
    return m


def test_the_rollup_rows_become_the_warehouse_rollup(rollup_only):
    con = storage.open_warehouse(rollup_only.wh)
    try:
        rows = con.execute(
            "select count(*), bool_and(is_from_rollup), sum(usage_mins) from fct_coder_usage_30m"
        ).fetchall()
    finally:
        con.close()
    assert rows == [(6, True, 86)]


def test_user_activity_from_the_rollup(rollup_only):
    # U1: 10:00 min(30, 20 + 20) = 30, 10:30 30, 11:30 5 -> 65 min; U2: 8 + 3 = 11 min.
    status, body = rollup_only.call(f"api/v2/insights/user-activity?{RANGE}", NOW)
    assert status == 200
    assert body["report"]["users"] == [
        {
            "template_ids": [T1, T2],
            "user_id": U1,
            "username": "ann",
            "avatar_url": "",
            "seconds": 65 * 60,
        },
        {
            "template_ids": [T1, T2],
            "user_id": U2,
            "username": "bob",
            "avatar_url": "",
            "seconds": 11 * 60,
        },
    ]


def test_user_latency_from_the_rollup(rollup_only):
    # U1: medians 12.5, 30, 20 (one row has none): p50 20, p95 20 + 0.9 * 10 = 29.
    status, body = rollup_only.call(f"api/v2/insights/user-latency?{RANGE}", NOW)
    assert status == 200
    assert [(u["user_id"], u["latency_ms"]) for u in body["report"]["users"]] == [
        (U1, {"p50": 20.0, "p95": 29.0}),
        (U2, {"p50": 40.0, "p95": 40.0}),
    ]


def test_templates_report_from_the_rollup(rollup_only):
    status, body = rollup_only.call(f"api/v2/insights/templates?{RANGE}&interval=day", NOW)
    assert status == 200
    report = body["report"]
    assert (report["active_users"], report["template_ids"]) == (2, sorted([T1, T2]))
    seconds = {
        a["slug"]: (a["seconds"], a["template_ids"], a["times_used"]) for a in report["apps_usage"]
    }
    assert seconds == {
        "vscode": (45 * 60, [T1], 0),  # U1 15 + 30
        "jetbrains": (8 * 60, [T1], 0),
        "reconnecting-pty": (10 * 60, [T2], 0),
        "ssh": (8 * 60, sorted([T1, T2]), 0),  # U1 5 + U2 3
        "sftp": (0, [], 0),
        # 10 + 30 + 5 minutes; used in two runs of half hours (10:00-11:00, 11:30)
        "code-server": (45 * 60, [T1], 2),
    }
    assert [(i["start_time"], i["active_users"]) for i in body["interval_reports"]] == [
        ("2026-03-02T00:00:00Z", 2),
        ("2026-03-03T00:00:00Z", 1),
    ]


def test_daus_from_the_rollup(rollup_only):
    status, body = rollup_only.call("api/v2/insights/daus?tz_offset=0", NOW)
    assert status == 200
    amounts = {e["date"]: e["amount"] for e in body["entries"] if e["amount"]}
    assert amounts == {"2026-03-02": 2, "2026-03-03": 1}


@pytest.mark.parametrize(
    "category, minutes",
    [
        # U1 per half hour, summed over templates and capped at 30; U2 8 + its login minute
        ("any", {U1: 65, U2: 9}),
        ("ide", {U1: 15 + 30, U2: 8}),  # vscode + jetbrains, at most the row's usage
        ("tunnel", {U1: 5}),
        ("web terminal", {U1: 10 + 4}),  # pty + [terminal] app minutes
        ("app", {U1: 10 + 30 + 5}),  # every app but [terminal]
        ("login", {U2: 1}),  # from the audit log, as on any day
    ],
)
def test_usage_metrics_from_the_rollup(rollup_only, category, minutes):
    status, body = rollup_only.call(
        "api/private/metrics/activity?start=2026-03-02T00:00:00Z&end=2026-03-03T00:00:00Z"
        f"&category={category}",
        NOW,
    )
    assert status == 200
    (day,) = body["activity"]
    assert {u["user_id"]: u["count"] for u in day["user_activity"]} == minutes
    assert {u: v["total_count"] for u, v in body["users"].items()} == minutes


def test_raw_stats_win_and_disagreements_are_reported(tmp_path):
    """On a day with raw agent stats the warehouse computes its own rollup; Coder's rows
    there are compared, and a settled half hour that differs is a warning."""
    raw = tmp_path / "raw"
    minutes = [f"2026-03-05T10:{m:02d}:00Z" for m in range(10)] + [
        f"2026-03-05T11:{m:02d}:00Z" for m in range(5)
    ]
    write_raw(
        raw,
        "coder_workspace_agent_stats",
        [agent(at, W1, A1, U1, T1, latency=10.0, vscode=1) for at in minutes],
    )
    write_raw(
        raw,
        "coder_template_usage_stats",
        [
            usage("2026-03-05T10:00:00Z", T1, U1, 10, 10.0, vscode=10),  # agrees
            usage("2026-03-05T11:00:00Z", T1, U1, 6, 10.0, vscode=6),  # ours: 5
            usage("2026-03-05T13:00:00Z", T1, U1, 1, None, vscode=1),  # not settled yet
            usage("2026-03-04T13:00:00Z", T1, U2, 7, None, ssh=7),  # no raw stats that day
        ],
    )
    summary = pipeline.run_nightly(
        Settings(), storage.Warehouse(tmp_path / "wh"), raw, datetime(2026, 3, 6, tzinfo=UTC)
    )
    found = [w for w in summary.warnings if w.check_name == "coder_rollup_agreement"]
    assert [(w.subject, w.value) for w in found] == [("coder 2026-03-05", 1.0)]
    assert "11:00" in found[0].detail and "usage_mins, vscode_mins" in found[0].detail
    con = storage.open_warehouse(storage.Warehouse(tmp_path / "wh"))
    try:
        rows = con.execute(
            "select strftime(start_time, '%m-%d %H:%M'), usage_mins, is_from_rollup "
            "from fct_coder_usage_30m order by all"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("03-04 13:00", 7, True), ("03-05 10:00", 10, False), ("03-05 11:00", 5, False)]
