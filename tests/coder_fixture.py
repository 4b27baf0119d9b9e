"""A small Coder deployment whose insights are worked out by hand in test_coder_insights.py."""

from __future__ import annotations

from datetime import datetime, timedelta

T1 = "11111111-1111-4111-8111-111111111111"
T2 = "22222222-2222-4222-8222-222222222222"
U1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
U2 = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
U3 = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
W1, W2, W3 = (f"{n}0000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
A1, A2, A3 = (f"a{n}000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
V1, V1B, V2 = (f"{n}1000000-0000-4000-8000-000000000000" for n in ("e", "f", "d"))
ORG1 = "0a000000-0000-4000-8000-000000000001"
ORG2 = "0a000000-0000-4000-8000-000000000002"
CREATED = "2023-08-01T00:00:00Z"

_ids = iter(range(1, 10_000))


def _id() -> str:
    return f"00000000-0000-4000-8000-{next(_ids):012d}"


def agent(
    at: str,
    workspace: str,
    agent_id: str,
    user: str,
    template: str,
    connections: int = 1,
    latency: float | None = 10.0,
    vscode: int = 0,
    jetbrains: int = 0,
    pty: int = 0,
    ssh: int = 0,
) -> dict:
    record = {
        "id": _id(),
        "created_at": at,
        "user_id": user,
        "agent_id": agent_id,
        "workspace_id": workspace,
        "template_id": template,
        "connection_count": connections,
        "session_count_vscode": vscode,
        "session_count_jetbrains": jetbrains,
        "session_count_reconnecting_pty": pty,
        "session_count_ssh": ssh,
    }
    if latency is not None:
        record["connection_median_latency_ms"] = latency
    return record


def app(
    user: str,
    workspace: str,
    agent_id: str,
    start: str,
    end: str,
    slug: str = "code-server",
    method: str = "path",
) -> dict:
    return {
        "user_id": user,
        "workspace_id": workspace,
        "agent_id": agent_id,
        "access_method": method,
        "slug_or_port": slug,
        "session_id": _id(),
        "session_started_at": start,
        "session_ended_at": end,
        "requests": 1,
    }


def every_minute(start: str, count: int, **kw) -> list[dict]:
    first = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return [
        agent((first + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"), **kw)
        for n in range(count)
    ]


def load(m) -> None:
    """Add the deployment to a MiniWarehouse and build it."""
    m.add(
        "coder_users",
        [
            {
                "id": U1,
                "username": "ann",
                "avatar_url": "https://a/ann.png",
                "created_at": CREATED,
                "updated_at": CREATED,
            },
            {"id": U2, "username": "bob", "created_at": CREATED, "updated_at": CREATED},
            {"id": U3, "username": "cid", "created_at": CREATED, "updated_at": CREATED},
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
            },
            {
                "id": W2,
                "owner_id": U1,
                "organization_id": T1,
                "template_id": T2,
                "name": "w2",
                "created_at": CREATED,
                "updated_at": CREATED,
            },
            {
                "id": W3,
                "owner_id": U2,
                "organization_id": T1,
                "template_id": T1,
                "name": "w3",
                "created_at": CREATED,
                "updated_at": CREATED,
            },
        ],
    )
    u1t1 = {"workspace": W1, "agent_id": A1, "user": U1, "template": T1}
    u1t2 = {"workspace": W2, "agent_id": A2, "user": U1, "template": T2}
    u2t1 = {"workspace": W3, "agent_id": A3, "user": U2, "template": T1}
    m.add(
        "coder_workspace_agent_stats",
        [
            agent("2023-08-15T10:00:00Z", **u1t1, vscode=1, latency=10),
            agent("2023-08-15T10:00:30Z", **u1t1, vscode=1, latency=20),
            agent("2023-08-15T10:01:00Z", **u1t1, vscode=1, latency=30),
            agent("2023-08-15T10:05:00Z", **u1t1, latency=100),  # no session: not a used minute
            *every_minute("2023-08-15T10:00:00Z", 30, **u1t2, ssh=1, latency=5),
            agent("2023-08-15T11:00:00Z", **u2t1, ssh=1, connections=0),  # no connection in the
            agent("2023-08-15T11:01:00Z", **u2t1, ssh=1, connections=0),  # half hour: dropped
            agent(
                "2023-08-15T12:00:00Z", **u2t1, jetbrains=1, latency=None
            ),  # latency missing (-1)
        ],
    )
    m.add(
        "coder_workspace_app_stats",
        [
            app(U1, W1, A1, "2023-08-15T10:10:10Z", "2023-08-15T10:10:20Z"),  # 10 s: 1 minute
            app(U1, W1, A1, "2023-08-15T03:00:30Z", "2023-08-15T03:01:30Z"),  # 2 minutes
            app(U1, W1, A1, "2023-08-15T03:05:00Z", "2023-08-15T03:05:00Z"),  # zero length: none
            app(U1, W1, A1, "2023-08-15T10:20:00Z", "2023-08-15T10:22:00Z", "", "terminal"),
            app(U1, W1, A1, "2023-08-15T10:25:00Z", "2023-08-15T10:26:00Z", "8080", "subdomain"),
            # U3 opens an app in U2's workspace: credited to U3 and the workspace's template.
            app(U3, W3, A3, "2023-08-15T14:00:00Z", "2023-08-15T15:00:00Z"),
            app(U3, W3, A3, "2023-08-15T16:00:00Z", "2023-08-15T16:10:00Z"),
        ],
    )
    m.add(
        "coder_workspace_apps",
        [
            {
                "id": _id(),
                "agent_id": A1,
                "workspace_id": W1,
                "slug": "code-server",
                "display_name": "code-server",
                "icon": "/icon/code.svg",
                "created_at": "2023-08-01T00:00:00Z",
            },
            {
                "id": _id(),
                "agent_id": A3,
                "workspace_id": W3,
                "slug": "code-server",
                "display_name": "VS Code Web",
                "icon": "/icon/code.svg",
                "created_at": "2023-08-10T00:00:00Z",
            },
        ],
    )
    m.add(
        "coder_template_versions",
        [
            {"id": V1, "template_id": T1, "created_at": CREATED},
            {"id": V1B, "template_id": T1, "created_at": CREATED},
            {"id": V2, "template_id": T2, "created_at": CREATED},
        ],
    )
    region = {
        "name": "region",
        "display_name": "Region",
        "description": "Where",
        "type": "string",
        "options": [
            {"name": "EU", "description": "", "value": "eu", "icon": ""},
            {"name": "US", "description": "", "value": "us", "icon": ""},
        ],
    }
    m.add(
        "coder_template_version_parameters",
        [
            {**region, "template_version_id": V1},
            {**region, "template_version_id": V1B},
            {**region, "template_version_id": V2},
            {"template_version_id": V2, "name": "cpu", "type": "number"},
        ],
    )
    builds = [
        ("b1", W1, V1, 1, "2023-08-15T09:00:00Z"),
        ("b2", W1, V1, 2, "2023-08-15T09:30:00Z"),
        ("b5", W3, V1B, 5, "2023-08-15T13:00:00Z"),
        ("c1", W2, V2, 1, "2023-08-15T10:00:00Z"),
        ("b0", W3, V1B, 4, "2023-08-14T10:00:00Z"),  # before the range
    ]
    build_ids = {
        name: f"b0000000-0000-4000-8000-{n:012d}" for n, (name, *_rest) in enumerate(builds)
    }
    m.add(
        "coder_workspace_builds",
        [
            {
                "id": build_ids[name],
                "workspace_id": ws,
                "template_version_id": v,
                "build_number": n,
                "transition": "start",
                "created_at": at,
            }
            for name, ws, v, n, at in builds
        ],
    )
    m.add(
        "coder_workspace_build_parameters",
        [
            {
                "workspace_build_id": build_ids["b1"],
                "name": "region",
                "value": "us",
            },  # not the latest
            {"workspace_build_id": build_ids["b2"], "name": "region", "value": "eu"},
            {"workspace_build_id": build_ids["b5"], "name": "region", "value": "us"},
            {"workspace_build_id": build_ids["c1"], "name": "region", "value": "eu"},
            {"workspace_build_id": build_ids["c1"], "name": "cpu", "value": ""},
            {"workspace_build_id": build_ids["b0"], "name": "region", "value": "eu"},
        ],
    )
    m.add(
        "coder_audit_logs",
        [
            {"id": _id(), "time": "2023-08-15T08:00:20Z", "user_id": U2, "action": "login"},
            {
                "id": _id(),
                "time": "2023-08-15T08:00:50Z",
                "user_id": U2,
                "action": "login",
            },  # same minute
            {"id": _id(), "time": "2023-08-15T09:00:00Z", "user_id": U2, "action": "logout"},
        ],
    )
    m.add(
        "coder_organization_members",
        [
            {"organization_id": ORG1, "user_id": U1, "created_at": CREATED, "updated_at": CREATED},
            {"organization_id": ORG2, "user_id": U2, "created_at": CREATED, "updated_at": CREATED},
        ],
    )
    m.build()
