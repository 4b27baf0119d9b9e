"""Coder: users, templates, workspaces, builds, apps, agent reports every 30 s, app
sessions, audit logs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pipelines.generate.common import (
    Output,
    Scale,
    activity_level,
    day_start,
    new_uuid,
    rng_for,
    ts,
    weights,
    work_moment,
)

SOURCE = "coder"
APPS = [  # slug, display name, icon, access method
    ("code-server", "code-server", "/icon/code.svg", "path"),
    ("jupyter", "Jupyter Notebook", "/icon/jupyter.svg", "subdomain"),
    ("filebrowser", "File Browser", "/icon/folder.svg", "path"),
]
PARAMETERS = [  # name, type, options
    ("region", "string", ["eu-west", "us-east", "ap-south"]),
    ("cpu", "number", ["2", "4", "8"]),
    ("image", "string", []),
]


@dataclass
class World:
    org: str
    users: list[dict]
    templates: list[dict]
    versions: dict[str, str]  # template id -> active version id
    workspaces: list[dict]
    agents: dict[str, str]  # workspace id -> agent id
    weights: list[float]


def build_world(seed: int, scale: Scale, first_day: date) -> World:
    rng = rng_for(seed, SOURCE, "world")
    created = day_start(first_day) - timedelta(days=30)
    org = new_uuid(rng)
    users = [
        {
            "id": new_uuid(rng),
            "username": f"dev{i:04d}",
            "name": f"Developer {i}",
            "email": f"dev{i:04d}@example.com",
            "avatar_url": f"https://avatars.example.com/{i}.png" if i % 3 else "",
            "status": "active",
            "rbac_roles": ["owner"] if i == 0 else [],
            "created_at": ts(created),
            "updated_at": ts(created),
        }
        for i in range(scale.coder_users)
    ]
    templates = [
        {
            "id": new_uuid(rng),
            "organization_id": org,
            "name": name,
            "display_name": name.replace("-", " ").title(),
            "icon": f"/icon/{name}.svg",
            "created_at": ts(created),
            "updated_at": ts(created),
        }
        for name in ["docker", "kubernetes", "data-science", "gpu", "windows", "minimal"][
            : scale.coder_templates
        ]
    ]
    versions = {t["id"]: new_uuid(rng) for t in templates}
    workspaces = []
    for user in users:
        for n in range(1 + (rng.random() < 0.3)):
            template = rng.choice(templates)
            workspaces.append(
                {
                    "id": new_uuid(rng),
                    "owner_id": user["id"],
                    "organization_id": org,
                    "template_id": template["id"],
                    "name": f"{user['username']}-ws{n}",
                    "created_at": ts(created),
                    "updated_at": ts(created),
                }
            )
    agents = {w["id"]: new_uuid(rng) for w in workspaces}
    return World(org, users, templates, versions, workspaces, agents, weights(rng, len(workspaces)))


def write_snapshots(out: Output, world: World, day: date, seed: int) -> None:
    """The first day's full export of every Coder entity."""
    rng = rng_for(seed, SOURCE, "snapshots")
    created = ts(day_start(day) - timedelta(days=30))
    out.add(
        SOURCE,
        "organizations",
        day,
        {
            "id": world.org,
            "name": "acme",
            "display_name": "Acme",
            "created_at": created,
            "updated_at": created,
        },
    )
    for user in world.users:
        out.add(SOURCE, "users", day, user)
        out.add(
            SOURCE,
            "organization_members",
            day,
            {
                "organization_id": world.org,
                "user_id": user["id"],
                "created_at": created,
                "updated_at": created,
                "roles": [],
            },
        )
    for template in world.templates:
        out.add(SOURCE, "templates", day, template)
        version = world.versions[template["id"]]
        out.add(
            SOURCE,
            "template_versions",
            day,
            {"id": version, "template_id": template["id"], "name": "v1", "created_at": created},
        )
        for name, type_, options in PARAMETERS:
            record = {
                "template_version_id": version,
                "name": name,
                "display_name": name.title(),
                "description": f"The {name} to use",
                "type": type_,
                "default_value": options[0] if options else "ubuntu:22.04",
            }
            if options:
                record["options"] = [
                    {"name": o, "description": "", "value": o, "icon": ""} for o in options
                ]
            out.add(SOURCE, "template_version_parameters", day, record)
    for workspace in world.workspaces:
        out.add(SOURCE, "workspaces", day, workspace)
        for slug, display, icon, _ in APPS[: 1 + rng.randrange(len(APPS))]:
            out.add(
                SOURCE,
                "workspace_apps",
                day,
                {
                    "id": new_uuid(rng),
                    "agent_id": world.agents[workspace["id"]],
                    "workspace_id": workspace["id"],
                    "slug": slug,
                    "display_name": display,
                    "icon": icon,
                    "created_at": created,
                },
            )


AGENT_LINE = (
    '{{"id":"{id}","created_at":"{at}","user_id":"{user}","agent_id":"{agent}",'
    '"workspace_id":"{ws}","template_id":"{template}","connection_count":{conns},'
    '"connection_median_latency_ms":{latency},"session_count_vscode":{vscode},'
    '"session_count_jetbrains":{jetbrains},"session_count_reconnecting_pty":{pty},'
    '"session_count_ssh":{ssh},"rx_bytes":{rx},"tx_bytes":{tx},"rx_packets":{rxp},'
    '"tx_packets":{txp},"usage":true}}'
)


def _agent_reports(
    out: Output,
    rng: random.Random,
    day: date,
    ws: dict,
    agent: str,
    start: datetime,
    end: datetime,
    part: str,
) -> None:
    """One connected stretch: a report every 30 s, with the sessions open then."""
    tools = rng.choice(
        [(1, 0, 0, 0), (1, 0, 0, 1), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1), (0, 0, 0, 0)]
    )
    at = start.replace(second=(start.second // 30) * 30, microsecond=0)
    latency = rng.uniform(5, 120)
    while at < end:
        vscode, jetbrains, pty, ssh = (t if rng.random() < 0.9 else 0 for t in tools)
        out.add_line(
            SOURCE,
            "workspace_agent_stats",
            day,
            AGENT_LINE.format(
                id=new_uuid(rng),
                at=ts(at),
                user=ws["owner_id"],
                agent=agent,
                ws=ws["id"],
                template=ws["template_id"],
                conns=1,
                latency=round(latency * rng.uniform(0.8, 1.2), 3),
                vscode=vscode,
                jetbrains=jetbrains,
                pty=pty,
                ssh=ssh,
                rx=rng.randrange(10**6),
                tx=rng.randrange(10**6),
                rxp=rng.randrange(1000),
                txp=rng.randrange(1000),
            ).encode(),
            part,
        )
        at += timedelta(seconds=30)


def write_day(out: Output, world: World, day: date, seed: int, last_day: bool) -> None:
    rng = rng_for(seed, SOURCE, day)
    level = activity_level(day)
    builds: dict[str, int] = {}
    parts = max(1, len(world.workspaces) // 400)  # split big days into several files
    for index, (ws, weight) in enumerate(zip(world.workspaces, world.weights, strict=True)):
        if rng.random() > min(1.0, 0.55 * level * (0.5 + weight)):
            continue
        agent = world.agents[ws["id"]]
        start = work_moment(rng, day)
        hours = min(rng.expovariate(1 / 3.0) + 0.2, 10.0)
        end = min(
            start + timedelta(hours=hours),
            day_start(day) + timedelta(days=1) - timedelta(seconds=1),
        )
        part = f"{index % parts:02d}" if parts > 1 else ""
        _agent_reports(out, rng, day, ws, agent, start, end, part)
        builds[ws["id"]] = builds.get(ws["id"], 0) + 1
        build_id = new_uuid(rng)
        out.add(
            SOURCE,
            "workspace_builds",
            day,
            {
                "id": build_id,
                "workspace_id": ws["id"],
                "template_version_id": world.versions[ws["template_id"]],
                "build_number": (day.toordinal() % 1000) * 10 + builds[ws["id"]],
                "transition": "start",
                "initiator_id": ws["owner_id"],
                "created_at": ts(start - timedelta(minutes=1)),
            },
        )
        for name, _type, options in PARAMETERS:
            value = (
                rng.choice(options) if options else rng.choice(["ubuntu:22.04", "debian:12", ""])
            )
            out.add(
                SOURCE,
                "workspace_build_parameters",
                day,
                {"workspace_build_id": build_id, "name": name, "value": value},
            )
        out.add(
            SOURCE,
            "audit_logs",
            day,
            {
                "id": new_uuid(rng),
                "time": ts(start - timedelta(minutes=2)),
                "user_id": ws["owner_id"],
                "organization_id": world.org,
                "action": "login",
                "resource_type": "api_key",
                "status_code": 201,
            },
        )
        for _ in range(rng.randrange(4)):
            slug, _display, _icon, method = rng.choice(APPS)
            kind = rng.random()
            if kind < 0.2:
                method, slug = "terminal", ""
            elif kind < 0.3:
                method, slug = "subdomain", "8080"
            opened = start + timedelta(
                seconds=rng.uniform(0, max(1.0, (end - start).total_seconds() - 60))
            )
            closed = min(opened + timedelta(seconds=rng.uniform(20, 3 * 3600)), end)
            session = {
                "id": rng.randrange(10**9),
                "user_id": ws["owner_id"],
                "workspace_id": ws["id"],
                "agent_id": agent,
                "access_method": method,
                "slug_or_port": slug,
                "session_id": new_uuid(rng),
                "session_started_at": ts(opened),
                "session_ended_at": ts(closed),
                "requests": rng.randrange(1, 500),
            }
            out.add(SOURCE, "workspace_app_stats", day, session)
            if last_day and session["session_id"][0] in "0123":  # no draw: days stay independent
                # A live session re-exported later with a grown end: the later copy wins.
                out.add(
                    SOURCE,
                    "workspace_app_stats",
                    day,
                    {**session, "session_ended_at": ts(closed + timedelta(minutes=5))},
                    "live",
                )
