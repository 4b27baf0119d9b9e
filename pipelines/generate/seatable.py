"""SeaTable: user activity, script runs (some failing, some group-owned), users and orgs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.generate.common import (
    Output,
    Scale,
    activity_level,
    day_start,
    rng_for,
    ts,
    weights,
    work_moment,
)

SOURCE = "seatable"


@dataclass
class World:
    users: list[dict]
    orgs: list[dict]
    weights: list[float]


def build_world(seed: int, scale: Scale, first_day: date) -> World:
    rng = rng_for(seed, SOURCE, "world")
    created = ts(day_start(first_day) - timedelta(days=90))
    orgs = [
        {"org_id": n, "org_name": f"Team {name}", "updated_at": created}
        for n, name in enumerate(["Alpha", "Beta", "Gamma"], start=1)
    ]
    users = []
    for i in range(scale.seatable_users):
        user = {
            "username": f"{i:06x}@auth.local",
            "org_id": rng.choice([-1, 1, 2, 3]),
            "updated_at": created,
        }
        if i % 4:
            user["nickname"] = f"Person {i}"
        users.append(user)
    return World(users, orgs, weights(rng, len(users)))


def write_snapshots(out: Output, world: World, day: date, seed: int) -> None:
    for org in world.orgs:
        out.add(SOURCE, "orgs", day, org)
    for user in world.users:
        out.add(SOURCE, "users", day, user)


def write_day(out: Output, world: World, day: date, seed: int, scale: Scale) -> None:
    rng = rng_for(seed, SOURCE, day)
    level = activity_level(day)
    for user, weight in zip(world.users, world.weights, strict=True):
        if rng.random() > min(1.0, 0.5 * level * (0.5 + weight)):
            continue
        for _ in range(1 + rng.randrange(3)):
            record = {"username": user["username"], "timestamp": ts(work_moment(rng, day))}
            if user["org_id"] != -1 or rng.random() < 0.5:
                record["org_id"] = user["org_id"]
            out.add(SOURCE, "user_activity", day, record)
    first_id = day.toordinal() * 1_000_000
    for n in range(int(scale.script_runs_per_day * (0.3 + 0.7 * level))):
        user = rng.choices(world.users, world.weights)[0]
        group_owned = rng.random() < 0.1
        started = work_moment(rng, day)
        seconds = round(min(rng.lognormvariate(0.5, 1.2), 600), 3)
        run = {
            "id": first_id + n,
            "dtable_uuid": f"{rng.getrandbits(128):032x}",
            "owner": f"{rng.randrange(1, 9)}@seafile_group" if group_owned else user["username"],
            "org_id": user["org_id"],
            "script_name": rng.choice(["sync.py", "report.js", "cleanup.py", "notify.py"]),
            "started_at": ts(started),
            "finished_at": ts(started + timedelta(seconds=seconds)),
            "success": rng.random() > 0.08,
            "return_code": 0,
        }
        if rng.random() < 0.9:
            run["spend_time"] = seconds
        if not run["success"]:
            run["return_code"] = 1
        out.add(SOURCE, "script_runs", day, run)
    if day.day == 10:
        # A nickname changes: a new version of the user.
        user = world.users[1]
        out.add(
            SOURCE,
            "users",
            day,
            {
                **user,
                "nickname": "Renamed Person",
                "updated_at": ts(day_start(day) + timedelta(hours=8)),
            },
        )
