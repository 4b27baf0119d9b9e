"""Rocket.Chat (mongoexport style): users with status changes, rooms of every type,
messages, subscriptions, the server's instance record."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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

SOURCE = "rocketchat"
STATUSES = ["online", "away", "busy", "offline"]


def mongo_date(rng: random.Random, moment: datetime) -> object:
    """Mostly plain strings; sometimes mongoexport's {"$date": ...} forms."""
    pick = rng.random()
    if pick < 0.1:
        return {"$date": ts(moment)}
    if pick < 0.15:
        return {"$date": {"$numberLong": str(int(moment.timestamp() * 1000))}}
    return ts(moment)


@dataclass
class World:
    users: list[dict]
    rooms: list[dict]
    weights: list[float]


def _rid(rng: random.Random) -> str:
    return "".join(
        rng.choice("23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz") for _ in range(17)
    )


def build_world(seed: int, scale: Scale, first_day: date) -> World:
    rng = rng_for(seed, SOURCE, "world")
    created = day_start(first_day) - timedelta(days=60)
    users = []
    for i in range(scale.rocketchat_users):
        kind = "bot" if i % 50 == 7 else ("app" if i % 97 == 11 else "user")
        roles = ["admin", "user"] if i == 0 else (["guest"] if i % 23 == 5 else ["user"])
        users.append(
            {
                "_id": _rid(rng),
                "username": f"user{i:05d}",
                "type": kind,
                "active": i % 19 != 3,
                "roles": roles,
                "status": rng.choice(STATUSES),
                "createdAt": ts(created),
                "_updatedAt": ts(created),
                "language": "en",
            }
        )
    rooms = []
    for t, count in [
        ("c", scale.rocketchat_channels),
        ("p", max(2, scale.rocketchat_channels // 2)),
        ("d", max(3, scale.rocketchat_channels)),
        ("l", 2),
    ]:
        for n in range(count):
            room = {
                "_id": _rid(rng),
                "t": t,
                "createdAt": ts(created),
                "_updatedAt": ts(created),
                "msgs": 0,
            }
            if t == "c" and n == 0:
                room["teamMain"] = True
            rooms.append(room)
    discussion = {
        "_id": _rid(rng),
        "t": "p",
        "prid": rooms[0]["_id"],
        "createdAt": ts(created),
        "_updatedAt": ts(created),
        "msgs": 0,
    }
    rooms.append(discussion)
    return World(users, rooms, weights(rng, len(users)))


def write_snapshots(out: Output, world: World, day: date, seed: int) -> None:
    rng = rng_for(seed, SOURCE, "snapshots")
    for user in world.users:
        out.add(
            SOURCE,
            "users",
            day,
            {**user, "lastLogin": mongo_date(rng, day_start(day) - timedelta(days=1))},
        )
    for room in world.rooms:
        out.add(SOURCE, "rooms", day, room)
    for user in world.users:
        for room in rng.sample(world.rooms, min(3, len(world.rooms))):
            out.add(
                SOURCE,
                "subscriptions",
                day,
                {
                    "_id": f"{room['_id']}{user['_id']}",
                    "rid": room["_id"],
                    "u": {"_id": user["_id"]},
                    "_updatedAt": ts(day_start(day)),
                },
            )


MESSAGE_LINE = (
    '{{"_id":"{id}","rid":"{rid}","ts":"{at}","u":{{"_id":"{uid}","username":"{name}"}}{extra}}}'
)


def write_day(out: Output, world: World, day: date, seed: int, scale: Scale) -> None:
    rng = rng_for(seed, SOURCE, day)
    level = activity_level(day)
    parts = max(1, len(world.users) // 2000)
    for index, (user, weight) in enumerate(zip(world.users, world.weights, strict=True)):
        if user["type"] != "user" or rng.random() > min(1.0, 0.6 * level * (0.5 + weight)):
            continue
        login = work_moment(rng, day)
        status = rng.choice(STATUSES)
        version = login + timedelta(minutes=1)
        out.add(
            SOURCE,
            "users",
            day,
            {
                **user,
                "status": status,
                "lastLogin": mongo_date(rng, login),
                "_updatedAt": mongo_date(rng, version),
            },
        )
        count = max(1, int(rng.expovariate(1 / scale.messages_per_active_user) * (0.5 + weight)))
        part = f"{index % parts:02d}" if parts > 1 else ""
        for _ in range(count):
            room = rng.choice(world.rooms)
            at = login + timedelta(seconds=rng.uniform(0, 8 * 3600))
            if at.date() != day:
                continue
            extra = ""
            pick = rng.random()
            if pick < 0.04:
                extra = ',"t":"uj"'
            elif pick < 0.05:
                extra = ',"_hidden":true'
            elif pick < 0.15:
                extra = f',"tmid":"{_rid(rng)}"'
            line = MESSAGE_LINE.format(
                id=_rid(rng),
                rid=room["_id"],
                at=ts(at),
                uid=user["_id"],
                name=user["username"],
                extra=extra,
            )
            out.add_line(SOURCE, "messages", day, line.encode(), part)
        for room in rng.sample(world.rooms, min(2, len(world.rooms))):
            seen = login + timedelta(minutes=rng.uniform(1, 120))
            out.add(
                SOURCE,
                "subscriptions",
                day,
                {
                    "_id": f"{room['_id']}{user['_id']}",
                    "rid": room["_id"],
                    "u": {"_id": user["_id"]},
                    "ls": mongo_date(rng, seen),
                    "_updatedAt": ts(seen),
                },
            )
    if day.day == 15:
        # A room is deleted mid-month: its new version carries _deletedAt.
        gone = world.rooms[-2]
        moment = day_start(day) + timedelta(hours=9)
        out.add(SOURCE, "rooms", day, {**gone, "_updatedAt": ts(moment), "_deletedAt": ts(moment)})
    _instance(out, rng, day)


def _instance(out: Output, rng: random.Random, day: date) -> None:
    at = day_start(day) + timedelta(hours=3)
    out.add(
        SOURCE,
        "instances",
        day,
        {
            "uniqueId": "rc-instance-0001",
            "installedAt": "2023-01-10T09:00:00.000Z",
            "version": "6.10.2",
            "createdAt": ts(at),
            "os": {
                "type": "Linux",
                "platform": "linux",
                "arch": "x64",
                "release": "6.1.0",
                "uptime": rng.randrange(10**6),
                "loadavg": [round(rng.uniform(0, 2), 2) for _ in range(3)],
                "totalmem": 16 * 2**30,
                "freemem": rng.randrange(2**30, 8 * 2**30),
                "cpus": [
                    {
                        "model": "Intel Xeon",
                        "speed": 2400,
                        "times": {"user": 1000, "nice": 0, "sys": 500, "idle": 90000, "irq": 0},
                    }
                ],
            },
            "process": {"nodeVersion": "v20.11.1", "pid": 42, "uptime": rng.uniform(1000, 100000)},
            "deploy": {"method": "docker", "platform": "selfinstall"},
            "migration": {"_id": "control", "version": 304, "locked": False},
            "instanceCount": 1,
        },
    )
