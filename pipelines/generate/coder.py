"""Coder: users, organizations, templates with versions and parameters, workspaces with
start/stop builds, apps, an agent report every 30 s while connected, app sessions (the
ones live at export time re-exported with a later end the next day), audit logs.

A workspace works in stretches: a start build, a new agent that reports every 30 s
until the stop build. Whether a workspace works on a day is `chance`, not a draw from
the day's generator, so any day can count the builds before it and keep build numbers
consecutive. A few stretches run past midnight ("night" stretches): both days derive
them from the same generator, the evening writes its half and the live app sessions
cut at the export, the next morning writes the rest and re-exports those sessions.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate, count
from math import ceil, log

from pipelines.generate.common import (
    DAY_SECONDS,
    DayClock,
    Output,
    Scale,
    activity_weight,
    arrival_moment,
    arrivals,
    chance,
    day_start,
    new_uuid,
    person,
    pick,
    rhythm,
    rng_for,
    ts,
    uuids,
)

SOURCE = "coder"

APPS = {  # slug: display name, icon, access method
    "code-server": ("code-server", "/icon/code.svg", "path"),
    "jupyter": ("Jupyter Notebook", "/icon/jupyter.svg", "subdomain"),
    "filebrowser": ("File Browser", "/icon/database.svg", "path"),
    "web-rdp": ("Web RDP", "/icon/desktop.svg", "subdomain"),
}
PORTS = ("8080", "3000", "5173", "8888")


def _options(*rows: tuple[str, str, str, str]) -> list[dict]:
    return [{"name": n, "description": d, "value": v, "icon": i} for n, d, v, i in rows]


@dataclass(frozen=True)
class Parameter:
    display_name: str
    description: str
    type: str
    default: str
    options: list[dict] | None = None
    values: tuple[str, ...] = ()  # what users type into a parameter without options

    def choices(self) -> tuple[str, ...]:
        return tuple(o["value"] for o in self.options) if self.options else self.values


PARAMETERS = {
    "region": Parameter(
        "Region",
        "Where the workspace runs.",
        "string",
        "eu-central-1",
        _options(
            ("Frankfurt", "Lowest latency in Europe", "eu-central-1", "/emojis/1f1e9-1f1ea.png"),
            ("Virginia", "US East", "us-east-1", "/emojis/1f1fa-1f1f8.png"),
            ("Singapore", "Asia Pacific", "ap-southeast-1", "/emojis/1f1f8-1f1ec.png"),
        ),
    ),
    "cpu": Parameter(
        "CPU",
        "Number of CPU cores.",
        "number",
        "4",
        _options(("2 cores", "", "2", ""), ("4 cores", "", "4", ""), ("8 cores", "", "8", "")),
    ),
    "memory": Parameter("Memory (GiB)", "", "number", "8", values=("8", "4", "16", "32")),
    "image": Parameter(
        "Image",
        "The container image to start from.",
        "string",
        "codercom/enterprise-base:ubuntu",
        values=(
            "codercom/enterprise-base:ubuntu",
            "codercom/enterprise-node:ubuntu",
            "codercom/enterprise-golang:ubuntu",
            "python:3.12",
        ),
    ),
    "gpu_type": Parameter(
        "GPU",
        "",
        "string",
        "t4",
        _options(
            ("NVIDIA T4", "16 GB", "t4", "/icon/nvidia.svg"),
            ("NVIDIA A100", "80 GB", "a100", "/icon/nvidia.svg"),
        ),
    ),
    "disk_size": Parameter("Disk size (GiB)", "", "number", "50", values=("50", "100", "200")),
    "dotfiles_uri": Parameter(
        "Dotfiles",
        "A git repository with your dotfiles (optional).",
        "string",
        "",
        values=("", "", "https://github.com/{user}/dotfiles"),
    ),
}
# Added to every template by its second version: parameters change between versions.
LATER_PARAMETER = "dotfiles_uri"

# name, display name, icon, popularity, apps (most used first), parameters
TEMPLATES = (
    ("docker", "Docker", "/icon/docker.png", 10, "code-server filebrowser", "region cpu memory image"),
    ("kubernetes", "Kubernetes", "/icon/k8s.png", 7, "code-server", "region cpu memory disk_size"),
    ("data-science", "Data Science", "/icon/jupyter.svg", 4, "jupyter code-server filebrowser",
     "region cpu memory image"),
    ("minimal", "Minimal Ubuntu", "/icon/ubuntu.svg", 3, "", "region"),
    ("gpu-workstation", "GPU Workstation", "/icon/nvidia.svg", 2, "jupyter code-server",
     "region gpu_type disk_size"),
    ("windows", "Windows Desktop", "/icon/windows.svg", 1, "web-rdp", "region cpu disk_size"),
)  # fmt: skip
ADJECTIVES = ("eager", "brave", "calm", "happy", "keen", "quirky", "serene", "vibrant")
SCIENTISTS = ("hopper", "lovelace", "turing", "curie", "noether", "knuth", "ritchie", "liskov")

# Session kinds an agent report counts, in field order: vscode, jetbrains, pty, ssh.
TOOL_WEIGHTS = list(accumulate([60, 15, 10, 15]))
SESSION_FIELDS = (
    "session_count_vscode",
    "session_count_jetbrains",
    "session_count_reconnecting_pty",
    "session_count_ssh",
)
# App session ids (Coder's bigserial): a block per day, night sessions at its end.
APP_ID_FIRST = 10_000_000
APP_IDS_PER_DAY = 1_000_000
NIGHT_APP_IDS = 900_000


@dataclass
class User:
    index: int
    id: str
    username: str
    name: str
    email: str
    avatar_url: str | None
    roles: list[str]
    offset: int | None  # creation day counted from the first day; None: before it
    created: datetime
    weight: float
    status: str  # at creation: active, or dormant / suspended (never works)
    change: int | None  # day of a profile change (suspension or a new avatar)
    suspends: bool
    second_org: bool

    def record(self, updated: datetime, status: str | None = None) -> dict:
        record = {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "email": self.email,
            "status": status or self.status,
            "rbac_roles": self.roles,
            "created_at": ts(self.created),
            "updated_at": ts(updated),
            "deleted": False,
        }
        if self.avatar_url is not None:  # missing means "" (raw-logs.md)
            record["avatar_url"] = self.avatar_url
        return record

    def works(self, off: int) -> bool:
        return (
            self.status == "active"
            and (self.offset is None or self.offset <= off)
            and not (self.suspends and self.change is not None and self.change <= off)
        )


@dataclass
class Version:
    id: str
    name: str
    number: int
    offset: int | None
    created: datetime


@dataclass
class Template:
    index: int
    id: str
    name: str
    display_name: str
    icon: str
    apps: tuple[str, ...]
    parameters: tuple[str, ...]
    created: datetime
    versions: list[Version] = field(default_factory=list)

    def version_at(self, moment: datetime) -> Version:
        return self.versions[max(0, bisect([v.created for v in self.versions], moment) - 1)]

    def parameters_of(self, version: Version) -> tuple[str, ...]:
        return self.parameters + ((LATER_PARAMETER,) if version.number > 0 else ())

    def record(self, updated: datetime, organization: str) -> dict:
        return {
            "id": self.id,
            "organization_id": organization,
            "name": self.name,
            "display_name": self.display_name,
            "icon": self.icon,
            "created_at": ts(self.created),
            "updated_at": ts(updated),
            "deleted": False,
        }


@dataclass
class Workspace:
    index: int
    id: str
    owner: User
    template: Template
    name: str
    offset: int | None
    created: datetime
    deleted_offset: int | None
    deleted: datetime | None
    weight: float
    builds_before_first: int  # pre-existing workspaces were built (and stopped) before
    tool: int  # the session kind its owner mostly uses
    latency: float  # median connection latency, ms
    values: dict[str, str]  # its parameter values

    def record(self, organization: str, updated: datetime, deleted: bool = False) -> dict:
        return {
            "id": self.id,
            "owner_id": self.owner.id,
            "organization_id": organization,
            "template_id": self.template.id,
            "name": self.name,
            "created_at": ts(self.created),
            "updated_at": ts(updated),
            "deleted": deleted,
        }


@dataclass(frozen=True)
class AppSession:
    id: int
    session_id: str
    user: str
    method: str
    slug_or_port: str
    start: float  # seconds from the stretch day's midnight
    end: float  # may pass midnight (night stretches)
    requests: int

    def record(self, ws: Workspace, agent: str, clock: DayClock, cut: float) -> dict:
        """The session as exported at `cut` (seconds on the start's clock)."""
        end = min(self.end, cut)
        share = (end - self.start) / max(self.end - self.start, 1.0)
        return {
            "id": self.id,
            "user_id": self.user,
            "workspace_id": ws.id,
            "agent_id": agent,
            "access_method": self.method,
            "slug_or_port": self.slug_or_port,
            "session_id": self.session_id,
            "session_started_at": clock.at(self.start),
            "session_ended_at": clock.at(end),
            "requests": max(1, round(self.requests * share)),
        }


@dataclass(frozen=True)
class Night:
    """A stretch from the evening past midnight: the same on both days."""

    start: float  # seconds from the evening's midnight
    end: float  # seconds from the next midnight
    agent: str
    first_report: int  # whole seconds from the evening's midnight, every 30 s after
    report_ms: int
    sessions: tuple[AppSession, ...]


class World:
    """Coder's entities over the whole run, and the decisions any day can recompute."""

    def __init__(self, seed: int, scale: Scale, first: date, days: int):
        self.seed = seed
        self.scale = scale
        self.first = first
        setup = day_start(first) - timedelta(days=400)
        rng = rng_for(seed, SOURCE, "organizations")
        self.orgs = [(new_uuid(rng), "coder", "Coder", setup)]
        self.orgs.append((new_uuid(rng), "data-platform", "Data Platform", setup + timedelta(100)))
        self.org = self.orgs[0][0]
        self.templates = self._templates(days)
        self.users = self._users(days)
        self.workspaces = self._workspaces()
        self.admin = self.users[0]
        self._nights: dict[int, dict[int, Night]] = {}
        self._builds: dict[int, list[int]] = {}

    def _templates(self, days: int) -> list[Template]:
        templates = []
        for index, (name, display, icon, _, apps, parameters) in enumerate(
            TEMPLATES[: self.scale.coder_templates]
        ):
            rng = rng_for(self.seed, SOURCE, "template", index)
            created = day_start(self.first) - timedelta(days=rng.uniform(120, 360))
            template = Template(
                index,
                new_uuid(rng),
                name,
                display,
                icon,
                tuple(apps.split()),
                tuple(parameters.split()),
                created,
            )
            # A new version every week or two; the list runs past the last day.
            moment, number = created, 0
            while moment < day_start(self.first) + timedelta(days=days):
                offset = (moment.date() - self.first).days
                name = f"{rng.choice(ADJECTIVES)}_{rng.choice(SCIENTISTS)}{number}"
                template.versions.append(
                    Version(new_uuid(rng), name, number, offset if offset >= 0 else None, moment)
                )
                moment += timedelta(days=rng.uniform(5, 16), hours=rng.uniform(-3, 3))
                number += 1
            templates.append(template)
        return templates

    def _users(self, days: int) -> list[User]:
        rng = rng_for(self.seed, SOURCE, "users")
        users = []
        for index, offset in enumerate(arrivals(self.scale.coder_users, self.scale.growth, days)):
            first_name, last_name, handle = person(rng, index)
            created = arrival_moment(rng, self.first, offset, 380)
            status = rng.choices(("active", "dormant", "suspended"), (90, 8, 2))[0]
            roles = ["owner"] if index == 0 else (["template-admin"] if index % 17 == 1 else [])
            change = (offset or 0) + rng.randrange(1, 60) if rng.random() < 0.3 else None
            users.append(
                User(
                    index,
                    new_uuid(rng),
                    handle,
                    f"{first_name} {last_name}",
                    f"{handle}@example.com",
                    rng.choice((None, "", f"https://avatars.example.com/u/{index}.png")),
                    roles,
                    offset,
                    created,
                    activity_weight(rng),
                    "active" if index == 0 else status,
                    change,
                    rng.random() < 0.15,
                    rng.random() < 0.3,
                )
            )
        return users

    def _workspaces(self) -> list[Workspace]:
        rng = rng_for(self.seed, SOURCE, "workspaces")
        popularity = list(accumulate(t[3] for t in TEMPLATES[: len(self.templates)]))
        workspaces: list[Workspace] = []
        for user in self.users:
            for n in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
                template = pick(rng, self.templates, popularity)
                offset, created = user.offset, user.created + timedelta(minutes=rng.uniform(3, 40))
                if n and rng.random() < 0.4:  # a later workspace of an existing user
                    offset = (user.offset or 0) + rng.randrange(1, 45)
                    created = arrival_moment(rng, self.first, offset, 0)
                deleted_offset = deleted = None
                if rng.random() < 0.08:
                    deleted_offset = (offset or 0) + rng.randrange(3, 60)
                    deleted = arrival_moment(rng, self.first, deleted_offset, 0)
                values = {
                    name: rng.choice(PARAMETERS[name].choices()).format(user=user.username)
                    for name in (*template.parameters, LATER_PARAMETER)
                }
                workspaces.append(
                    Workspace(
                        len(workspaces),
                        new_uuid(rng),
                        user,
                        template,
                        f"{template.name}-{n + 1}" if n else "dev",
                        offset,
                        created,
                        deleted_offset,
                        deleted,
                        user.weight * (1.0 if n == 0 else 0.35),
                        2 * rng.randrange(1, 60),
                        pick(rng, [0, 1, 2, 3], TOOL_WEIGHTS),
                        min(max(rng.lognormvariate(log(25), 0.6), 5.0), 120.0),
                        values,
                    )
                )
        return workspaces

    # ------------------------------------------------------- decisions any day makes

    def alive(self, ws: Workspace, off: int) -> bool:
        return (
            (ws.offset is None or ws.offset <= off)
            and (ws.deleted_offset is None or off < ws.deleted_offset)
            and ws.owner.works(off)
        )

    def stretches(self, ws: Workspace, off: int) -> int:
        """How many working stretches start on day `off`: 0, 1 or 2 (the creation day: 1)."""
        if not self.alive(ws, off):
            return 0
        if ws.offset == off:
            return 1
        level = (
            min(0.9, 0.12 + 0.2 * ws.weight)
            * rhythm(self.first + timedelta(off))
            * self.scale.coder_activity
        )
        u = chance(self.seed, SOURCE, "work", ws.index, off)
        return 0 if u >= level else 2 if u < 0.4 * level else 1

    def night(self, off: int) -> dict[int, Night]:
        """The stretches running from day `off` past midnight, by workspace index."""
        if off not in self._nights:
            rng = rng_for(self.seed, SOURCE, "night", self.first + timedelta(off))
            candidates = [
                ws
                for ws in self.workspaces
                if ws.offset != off and self.stretches(ws, off) and self.alive(ws, off + 1)
            ]
            chosen = rng.sample(candidates, min(len(candidates), max(1, len(candidates) // 30)))
            chosen.sort(key=lambda w: w.index)
            self._nights[off] = {
                ws.index: self._night(rng, ws, off, n) for n, ws in enumerate(chosen)
            }
        return self._nights[off]

    def _night(self, rng: random.Random, ws: Workspace, off: int, position: int) -> Night:
        start = rng.uniform(21.0, 23.3) * 3600
        end = rng.uniform(0.3, 2.5) * 3600
        first_report = int(start + rng.uniform(15, 45))
        sessions = []
        ids = count(APP_ID_FIRST + off * APP_IDS_PER_DAY + NIGHT_APP_IDS + 10 * position)
        # The first session is open at midnight: the export cuts it, the next day ends it.
        opened = rng.uniform(start + 60, DAY_SECONDS - 600)
        sessions.append(_session(rng, ws, next(ids), opened, DAY_SECONDS + end - 30, self))
        for _ in range(rng.randrange(3)):
            opened = rng.uniform(start, DAY_SECONDS + end - 120)
            closed = min(opened + rng.uniform(60, 5400), DAY_SECONDS + end - 30)
            sessions.append(_session(rng, ws, next(ids), opened, closed, self))
        return Night(start, end, new_uuid(rng), first_report, rng.randrange(1000), tuple(sessions))

    def builds_on(self, ws: Workspace, off: int) -> int:
        """Builds of a workspace on day `off`: start and stop per stretch (a night stretch
        stops the next day), and its deletion."""
        n = 2 * self.stretches(ws, off) - (ws.index in self.night(off))
        if off > 0 and ws.index in self.night(off - 1):
            n += 1
        return n + (ws.deleted_offset == off)

    def builds_before(self, ws: Workspace, off: int) -> int:
        """The last build number before day `off`: build numbers run on without gaps."""
        start = ws.offset if ws.offset is not None else 0
        sums = self._builds.setdefault(
            ws.index, [0 if ws.offset is not None else ws.builds_before_first]
        )
        while len(sums) <= off - start:
            sums.append(sums[-1] + self.builds_on(ws, start + len(sums) - 1))
        return sums[max(0, off - start)]

    def colleague(self, rng: random.Random) -> User:
        """A user of the starting population: one that exists on every day."""
        return self.users[rng.randrange(self.scale.coder_users)]


def _session(
    rng: random.Random, ws: Workspace, id_: int, start: float, end: float, world: World
) -> AppSession:
    """An app session: a catalogue app (path or subdomain), a port, or the web terminal."""
    pickup = rng.random()
    if pickup < 0.15 or not ws.template.apps:
        method, target = "terminal", ""
    elif pickup < 0.23:
        method, target = rng.choice(("path", "subdomain")), rng.choice(PORTS)
    else:
        apps = ws.template.apps
        target = apps[min(int(rng.expovariate(1.2)), len(apps) - 1)]
        method = APPS[target][2]
    # Mostly the owner; now and then a colleague the workspace is shared with.
    user = ws.owner if rng.random() < 0.97 else world.colleague(rng)
    requests = int((end - start) / rng.uniform(2, 20)) + 1
    return AppSession(id_, new_uuid(rng), user.id, method, target, start, end, requests)


# ------------------------------------------------------------------------- one day


def write_day(out: Output, world: World, day: date) -> None:
    off = (day - world.first).days
    day_rng = rng_for(world.seed, SOURCE, day)
    audit: list[dict] = []
    if off == 0:
        _initial_export(out, world, day)
    _entity_changes(out, world, day, off, day_rng, audit)
    _activity(out, world, day, off, day_rng, audit)
    out.records(SOURCE, "audit_logs", day, audit)


def _initial_export(out: Output, world: World, day: date) -> None:
    """The full export on the first day: every entity as it was at the first midnight."""
    rng = rng_for(world.seed, SOURCE, "initial export")
    midnight = day_start(day)
    out.records(
        SOURCE,
        "organizations",
        day,
        [
            {"id": i, "name": n, "display_name": d, "created_at": ts(c), "updated_at": ts(c)}
            for i, n, d, c in world.orgs
        ],
    )
    old_users = [u for u in world.users if u.offset is None]
    out.records(SOURCE, "users", day, [u.record(u.created) for u in old_users])
    out.records(SOURCE, "organization_members", day, _members(world, old_users))
    for template in world.templates:
        versions = [v for v in template.versions if v.offset is None]
        out.record(SOURCE, "templates", day, template.record(versions[-1].created, world.org))
        for version in versions:
            _write_version(out, template, version, day)
    old = [ws for ws in world.workspaces if ws.offset is None]
    out.records(SOURCE, "workspaces", day, [ws.record(world.org, ws.created) for ws in old])
    apps = []
    for ws in old:
        # The apps of the agent of each workspace's last build before the first day.
        built = midnight - timedelta(hours=rng.uniform(8, 200))
        apps += _apps(ws, new_uuid(rng), None, built, rng)
    out.records(SOURCE, "workspace_apps", day, apps)


def _members(world: World, users: list[User]) -> list[dict]:
    rows = []
    for user in users:
        for org, *_ in world.orgs[: 1 + user.second_org]:
            moment = ts(user.created)
            roles = ["organization-admin"] if user.index == 0 else []
            rows.append(
                {
                    "organization_id": org,
                    "user_id": user.id,
                    "created_at": moment,
                    "updated_at": moment,
                    "roles": roles,
                }
            )
    return rows


def _write_version(out: Output, template: Template, version: Version, day: date) -> None:
    out.record(
        SOURCE,
        "template_versions",
        day,
        {
            "id": version.id,
            "template_id": template.id,
            "name": version.name,
            "created_at": ts(version.created),
        },
    )
    rows = []
    for name in template.parameters_of(version):
        parameter = PARAMETERS[name]
        row = {
            "template_version_id": version.id,
            "name": name,
            "display_name": parameter.display_name,
            "description": parameter.description,
            "type": parameter.type,
            "default_value": parameter.default,
        }
        if parameter.options:
            row["options"] = parameter.options
        rows.append(row)
    out.records(SOURCE, "template_version_parameters", day, rows)


def _apps(
    ws: Workspace, agent: str, build: str | None, built: datetime, rng: random.Random
) -> list[dict]:
    """A new agent's apps: the template's catalogue, created with the agent."""
    ids = uuids(rng, len(ws.template.apps))
    rows = []
    for app_id, slug in zip(ids, ws.template.apps, strict=True):
        display, icon, _ = APPS[slug]
        row = {
            "id": app_id,
            "agent_id": agent,
            "workspace_id": ws.id,
            "slug": slug,
            "display_name": display,
            "icon": icon,
            "created_at": ts(built + timedelta(seconds=20)),
        }
        if build is not None:
            row["build_id"] = build
        rows.append(row)
    return rows


def _audit(
    rng: random.Random,
    moment: datetime,
    user: User,
    action: str,
    resource: str,
    status: int,
    org: str | None,
) -> dict:
    row = {
        "id": new_uuid(rng),
        "time": ts(moment),
        "user_id": user.id,
        "action": action,
        "resource_type": resource,
        "status_code": status,
    }
    if org is not None:
        row["organization_id"] = org
    return row


def _entity_changes(
    out: Output, world: World, day: date, off: int, rng: random.Random, audit: list[dict]
) -> None:
    """Users, templates and workspaces created or changed on the day: their new versions."""
    new_users = [u for u in world.users if u.offset == off]
    out.records(SOURCE, "users", day, [u.record(u.created) for u in new_users])
    out.records(SOURCE, "organization_members", day, _members(world, new_users))
    for user in new_users:
        audit.append(_audit(rng, user.created, world.admin, "create", "user", 201, world.org))
    for user in world.users:
        if user.change == off and (user.offset is None or user.offset < off):
            moment = day_start(day) + timedelta(hours=rng.uniform(8, 18))
            record = user.record(moment, "suspended" if user.suspends else None)
            if not user.suspends:
                record["avatar_url"] = f"https://avatars.example.com/u/{user.index}-{off}.png"
            out.record(SOURCE, "users", day, record)
            audit.append(_audit(rng, moment, world.admin, "write", "user", 200, None))
    for template in world.templates:
        for version in template.versions:
            if version.offset == off:
                _write_version(out, template, version, day)
                out.record(SOURCE, "templates", day, template.record(version.created, world.org))
                audit.append(
                    _audit(
                        rng,
                        version.created,
                        world.admin,
                        "create",
                        "template_version",
                        201,
                        world.org,
                    )
                )
    for ws in world.workspaces:
        if ws.offset == off:
            out.record(SOURCE, "workspaces", day, ws.record(world.org, ws.created))
            audit.append(_audit(rng, ws.created, ws.owner, "create", "workspace", 201, world.org))
        if ws.deleted_offset == off and ws.deleted is not None:
            out.record(SOURCE, "workspaces", day, ws.record(world.org, ws.deleted, deleted=True))
            audit.append(_audit(rng, ws.deleted, ws.owner, "delete", "workspace", 200, world.org))


def _activity(
    out: Output, world: World, day: date, off: int, rng: random.Random, audit: list[dict]
) -> None:
    """Builds, agents with their apps and reports, app sessions and logins of the day."""
    clock = DayClock(day)
    evening = DayClock(day - timedelta(days=1))
    tonight = world.night(off)
    carried = world.night(off - 1) if off > 0 else {}
    app_ids = count(APP_ID_FIRST + off * APP_IDS_PER_DAY)
    builds = Builds(world.org, audit)
    apps: list[dict] = []
    sessions: list[dict] = []
    worked: dict[int, tuple[float, float]] = {}  # user index -> first start, last end
    for ws in world.workspaces:
        stretches = world.stretches(ws, off)
        came_in, goes_out = carried.get(ws.index), tonight.get(ws.index)
        if not (stretches or came_in or ws.deleted_offset == off):
            continue
        number = world.builds_before(ws, off)
        part = world.scale.part(ws.index)
        lines: list[str] = []

        if came_in is not None:
            # Last night's stretch: reports from midnight on, the stop, the sessions it ends.
            version = ws.template.version_at(evening.moment(came_in.start - 45))
            first = came_in.first_report + 30 * ceil((DAY_SECONDS - came_in.first_report) / 30)
            _reports(
                rng,
                clock,
                ws,
                came_in.agent,
                first - DAY_SECONDS,
                came_in.report_ms,
                came_in.end,
                lines,
            )
            number += 1
            builds.add(rng, ws, number, "stop", clock.moment(came_in.end + 30), version)
            sessions += [
                s.record(ws, came_in.agent, evening, float("inf"))
                for s in came_in.sessions
                if s.end > DAY_SECONDS - 0.5
            ]
        for start, end in _plan(rng, ws, day, off, stretches - (goes_out is not None)):
            agent = new_uuid(rng)
            moment = clock.moment(start - rng.uniform(30, 90))
            version = ws.template.version_at(moment)
            number += 1
            build = builds.add(rng, ws, number, "start", moment, version)
            apps += _apps(ws, agent, build, moment, rng)
            _reports(
                rng,
                clock,
                ws,
                agent,
                int(start + rng.uniform(15, 45)),
                rng.randrange(1000),
                end,
                lines,
            )
            for _ in range(int(rng.random() * (1 + (end - start) / 3600))):
                opened = rng.uniform(start, end - 60)
                length = min(max(rng.lognormvariate(log(1200), 1.1), 60.0), 4 * 3600.0)
                session = _session(rng, ws, next(app_ids), opened, min(opened + length, end), world)
                sessions.append(session.record(ws, agent, clock, DAY_SECONDS))
            number += 1
            builds.add(rng, ws, number, "stop", clock.moment(end + rng.uniform(5, 60)), version)
            first_start, last_end = worked.get(ws.owner.index, (start, end))
            worked[ws.owner.index] = (min(first_start, start), max(last_end, end))
        if goes_out is not None:
            moment = clock.moment(goes_out.start - 45)
            version = ws.template.version_at(moment)
            number += 1
            build = builds.add(rng, ws, number, "start", moment, version)
            apps += _apps(ws, goes_out.agent, build, moment, rng)
            _reports(
                rng,
                clock,
                ws,
                goes_out.agent,
                goes_out.first_report,
                goes_out.report_ms,
                DAY_SECONDS,
                lines,
            )
            # Exported at midnight: sessions still open are cut there (re-exported tomorrow).
            sessions += [
                s.record(ws, goes_out.agent, clock, DAY_SECONDS - 0.5)
                for s in goes_out.sessions
                if s.start < DAY_SECONDS - 0.5
            ]
            first_start, last_end = worked.get(ws.owner.index, (goes_out.start, DAY_SECONDS))
            worked[ws.owner.index] = (min(first_start, goes_out.start), DAY_SECONDS - 1)
        if ws.deleted_offset == off and ws.deleted is not None:
            number += 1
            version = ws.template.version_at(ws.deleted)
            builds.add(rng, ws, number, "delete", ws.deleted, version)
        out.lines(SOURCE, "workspace_agent_stats", day, lines, part)
    for index in sorted(worked):
        audit += _logins(rng, clock, world.users[index], *worked[index])
    out.records(SOURCE, "workspace_builds", day, builds.rows)
    out.records(SOURCE, "workspace_build_parameters", day, builds.parameters)
    out.records(SOURCE, "workspace_apps", day, apps)
    out.records(SOURCE, "workspace_app_stats", day, sessions)


def _plan(
    rng: random.Random, ws: Workspace, day: date, off: int, count_: int
) -> list[tuple[float, float]]:
    """The day's stretches (seconds from midnight): a morning and an afternoon, or one
    stretch; on its creation day a workspace works from its creation on."""
    hours = 3600.0
    shorter = 0.6 if day.weekday() >= 5 else 1.0
    if ws.offset == off:
        start = (ws.created - day_start(day)).total_seconds() + 60
        return [(start, min(start + _length(rng, 3.0 * shorter), 20.75 * hours))]
    if count_ == 2:
        morning = min(max(rng.gauss(8.6, 0.9), 6.0), 10.5) * hours
        afternoon = rng.uniform(13.1, 14.6) * hours
        return [
            (morning, min(morning + _length(rng, 2.8), 12.9 * hours)),
            (afternoon, min(afternoon + _length(rng, 3.0), 20.75 * hours)),
        ]
    if count_ == 1:
        start = min(max(rng.gauss(10.0, 2.5), 5.5), 19.0) * hours
        return [(start, min(start + _length(rng, 3.5 * shorter), 20.75 * hours))]
    return []


def _length(rng: random.Random, median_hours: float) -> float:
    """A stretch length in seconds: half an hour to ten hours, around the median."""
    return min(max(rng.lognormvariate(log(median_hours * 3600), 0.55), 1800.0), 36000.0)


class Builds:
    """The day's builds, their parameter values (Coder copies them into every build) and
    the audit records of starts and stops."""

    def __init__(self, org: str, audit: list[dict]):
        self.org = org
        self.audit = audit
        self.rows: list[dict] = []
        self.parameters: list[dict] = []

    def add(
        self,
        rng: random.Random,
        ws: Workspace,
        number: int,
        transition: str,
        moment: datetime,
        version: Version,
    ) -> str:
        build_id = new_uuid(rng)
        self.rows.append(
            {
                "id": build_id,
                "workspace_id": ws.id,
                "template_version_id": version.id,
                "build_number": number,
                "transition": transition,
                "initiator_id": ws.owner.id,
                "created_at": ts(moment),
            }
        )
        self.parameters += [
            {"workspace_build_id": build_id, "name": name, "value": ws.values[name]}
            for name in ws.template.parameters_of(version)
        ]
        if transition != "delete":
            self.audit.append(
                _audit(rng, moment, ws.owner, transition, "workspace_build", 200, self.org)
            )
        return build_id


def _state(rng: random.Random, tool: int) -> tuple[int, int, int, int]:
    """Open sessions per kind for a while: the usual tool, sometimes two, sometimes none."""
    r = rng.random()
    if r < 0.18:
        return (0, 0, 0, 0)  # connected but idle
    state = [0, 0, 0, 0]
    state[tool] = 1
    if r > 0.9:
        state[rng.randrange(4)] = 1
    return (state[0], state[1], state[2], state[3])


def _reports(
    rng: random.Random,
    clock: DayClock,
    ws: Workspace,
    agent: str,
    first: int,
    ms: int,
    end: float,
    lines: list[str],
) -> None:
    """An agent report every 30 s from `first` (whole seconds) until `end`, formatted
    directly: this is the biggest kind by far."""
    common = (
        f'"user_id":"{ws.owner.id}","agent_id":"{agent}","workspace_id":"{ws.id}",'
        f'"template_id":"{ws.template.id}",'
    )
    head, hms, tail = clock.prefix, clock.clock, f'.{ms:03d}Z",'
    bits = rng.getrandbits
    # Older agents leave the latency out altogether.
    no_latency = rng.random() < 0.04
    t = first
    while t < end:
        ticks = min(ceil((end - t) / 30), max(4, int(rng.expovariate(1 / 40))))
        state = _state(rng, ws.tool)
        busy = any(state)
        sessions = "".join(f'"{f}":{n},' for f, n in zip(SESSION_FIELDS, state, strict=True))
        connections = f'"connection_count":{max(1, sum(state))},'
        if no_latency:
            latency = [""] * 8
        elif not busy and rng.random() < 0.3:
            latency = ['"connection_median_latency_ms":-1,'] * 8  # nothing measured
        else:
            latency = [
                f'"connection_median_latency_ms":{ws.latency * rng.uniform(0.75, 1.35):.3f},'
                for _ in range(8)
            ]
        rx_bits, tx_bits = (21, 19) if busy else (12, 11)
        ids = uuids(rng, ticks)
        for k in range(ticks):
            rx, tx = bits(rx_bits), bits(tx_bits)
            lines.append(
                f'{{"id":"{ids[k]}","created_at":"{head}{hms[t + 30 * k]}{tail}{common}'
                f"{connections}{latency[bits(3)]}{sessions}"
                f'"rx_bytes":{rx},"tx_bytes":{tx},"rx_packets":{rx >> 10},"tx_packets":{tx >> 10}}}'
            )
        t += 30 * ticks


def _logins(
    rng: random.Random, clock: DayClock, user: User, first: float, last: float
) -> list[dict]:
    """A login before the day's first stretch (now and then a failed try first), and for
    some users a logout after the last."""
    rows = []
    moment = clock.moment(max(first - rng.uniform(20, 900), 0.0))
    if rng.random() < 0.04:
        rows.append(
            _audit(rng, moment - timedelta(seconds=40), user, "login", "api_key", 401, None)
        )
    rows.append(_audit(rng, moment, user, "login", "api_key", 201, None))
    if rng.random() < 0.3:
        logout = clock.moment(min(last + rng.uniform(60, 600), DAY_SECONDS - 1.0))
        rows.append(_audit(rng, logout, user, "logout", "api_key", 200, None))
    return rows
