"""SeaTable: users active per day, script runs (ids increasing over the days, some failing,
some owned by groups), users and teams (orgs) as snapshots."""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from math import log

from pipelines.generate.common import (
    DailyIds,
    DayClock,
    Output,
    Scale,
    activity_weight,
    arrival_moment,
    arrivals,
    day_start,
    existing,
    person,
    rhythm,
    rng_for,
    seconds_in_day,
    ts,
)

SOURCE = "seatable"
TEAMS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent")
SCRIPTS = (
    "sync_contacts.py", "monthly_report.py", "send_reminders.js", "import_orders.py",
    "cleanup_rows.py", "update_stock.js", "notify_slack.py", "archive_done.py",
)  # fmt: skip
FIRST_RUN_ID = 50_000  # runs before the first day
GROUPS = 12  # groups owning bases ("<n>@seafile_group")


@dataclass(frozen=True)
class Org:
    org_id: int
    name: str
    offset: int | None
    created: datetime
    renamed: int | None  # day of a rename


@dataclass(frozen=True)
class User:
    username: str
    nickname: str | None
    org_id: int | None  # -1: no team; None: the export leaves it out
    offset: int | None
    created: datetime
    weight: float
    renamed: int | None  # day of a nickname change

    def record(self, updated: datetime, nickname: str | None = None) -> dict:
        record: dict = {"username": self.username}
        if nickname or self.nickname:
            record["nickname"] = nickname or self.nickname
        if self.org_id is not None:
            record["org_id"] = self.org_id
        record["updated_at"] = ts(updated)
        return record


class World:
    def __init__(self, seed: int, scale: Scale, first: date, days: int):
        self.seed = seed
        self.first = first
        rng = rng_for(seed, SOURCE, "orgs")
        self.orgs = []
        for n, offset in enumerate(arrivals(scale.seatable_orgs, scale.growth, days)):
            name = f"{TEAMS[n % len(TEAMS)]} {'Team' if n < len(TEAMS) else n}"
            created = arrival_moment(rng, first, offset, 200)
            renamed = (offset or 0) + rng.randrange(1, 60) if rng.random() < 0.2 else None
            self.orgs.append(Org(n + 1, name, offset, created, renamed))
        rng = rng_for(seed, SOURCE, "users")
        self.users = []
        for index, offset in enumerate(arrivals(scale.seatable_users, scale.growth, days)):
            first_name, last_name, _ = person(rng, index)
            orgs = [
                o.org_id
                for o in self.orgs
                if o.offset is None or (offset is not None and o.offset <= offset)
            ]
            org_id = -1 if rng.random() < 0.4 else rng.choice(orgs)
            self.users.append(
                User(
                    f"{rng.getrandbits(128):032x}@auth.local",
                    f"{first_name} {last_name}" if rng.random() < 0.85 else None,
                    None if rng.random() < 0.1 else org_id,
                    offset,
                    arrival_moment(rng, first, offset, 400),
                    activity_weight(rng),
                    (offset or 0) + rng.randrange(1, 90) if rng.random() < 0.15 else None,
                )
            )
        self.user_offsets = [u.offset for u in self.users]
        self.cum = list(accumulate(u.weight for u in self.users))
        # Automations keep running at weekends: they keep 30% of a weekday's runs.
        self.runs = DailyIds(seed, "seatable-runs", first, scale.script_runs, 0.3, FIRST_RUN_ID)

    def base(self, owner: str, n: int) -> str:
        """The uuid of an owner's n-th base (dtable)."""
        return hashlib.blake2b(f"{self.seed}-{owner}-{n}".encode(), digest_size=16).hexdigest()


def write_day(out: Output, world: World, day: date) -> None:
    off = (day - world.first).days
    rng = rng_for(world.seed, SOURCE, day)
    clock = DayClock(day)
    if off == 0:
        old_orgs = [o for o in world.orgs if o.offset is None]
        out.records(
            SOURCE,
            "orgs",
            day,
            [
                {"org_id": o.org_id, "org_name": o.name, "updated_at": ts(o.created)}
                for o in old_orgs
            ],
        )
        out.records(
            SOURCE, "users", day, [u.record(u.created) for u in world.users if u.offset is None]
        )
    _changes(out, world, day, off, rng)
    _user_activity(out, world, day, off, rng, clock)
    _script_runs(out, world, day, off, rng, clock)


def _changes(out: Output, world: World, day: date, off: int, rng: random.Random) -> None:
    """Teams and users created or renamed on the day."""
    orgs = []
    for org in world.orgs:
        if org.offset == off:
            orgs.append({"org_id": org.org_id, "org_name": org.name, "updated_at": ts(org.created)})
        if org.renamed == off:
            moment = day_start(day) + timedelta(hours=rng.uniform(8, 18))
            orgs.append(
                {"org_id": org.org_id, "org_name": f"{org.name} GmbH", "updated_at": ts(moment)}
            )
    out.records(SOURCE, "orgs", day, orgs)
    users = []
    for user in world.users:
        if user.offset == off:
            users.append(user.record(user.created))
        if user.renamed == off:
            moment = day_start(day) + timedelta(hours=rng.uniform(8, 18))
            users.append(user.record(moment, f"{user.nickname or 'User'} (away)"))
    out.records(SOURCE, "users", day, users)


def _user_activity(
    out: Output, world: World, day: date, off: int, rng: random.Random, clock: DayClock
) -> None:
    """Users active on the day: mostly one record each; some users several (the key,
    username and day, makes them one)."""
    level = rhythm(day)
    rows = []
    # Users count from the day after they are created (their first day is partial).
    for user in world.users[: existing(world.user_offsets, off - 1)]:
        if rng.random() >= min(0.9, 0.08 + 0.2 * user.weight) * level:
            continue
        times = seconds_in_day(rng, day, 1 if rng.random() < 0.8 else rng.randrange(2, 4))
        for second in times:
            row: dict = {"username": user.username, "timestamp": clock.at(second)}
            if user.org_id is not None and (user.org_id != -1 or rng.random() < 0.5):
                row["org_id"] = user.org_id
            rows.append(row)
    out.records(SOURCE, "user_activity", day, rows)


def _script_runs(
    out: Output, world: World, day: date, off: int, rng: random.Random, clock: DayClock
) -> None:
    """Script runs: scheduled ones on the hour, manual ones in working hours; mostly
    short, a long tail of slow ones; some fail."""
    users = world.users[: existing(world.user_offsets, off - 1)]
    cum = world.cum[: len(users)]
    count = world.runs.count(off)
    first_id = world.runs.first_id(off)
    orgs = [o.org_id for o in world.orgs if o.offset is None or o.offset <= off]
    manual = seconds_in_day(rng, day, count)
    rows = []
    for n in range(count):
        if rng.random() < 0.15:
            group = rng.randrange(1, GROUPS + 1)
            owner, org_id = f"{group}@seafile_group", rng.choice([-1, -1, *orgs])
        else:
            user = users[bisect_left(cum, rng.random() * cum[-1])]
            owner, org_id = user.username, user.org_id if user.org_id is not None else -1
        base = world.base(owner, min(int(rng.expovariate(1.0)), 3))
        script = SCRIPTS[(int(base[:4], 16) + rng.randrange(2)) % len(SCRIPTS)]  # two per base
        if rng.random() < 0.35:
            started = rng.randrange(24) * 3600 + rng.uniform(0, 5)  # scheduled, on the hour
        else:
            started = manual[n]
        # SeaTable's scheduler sets finished_at to started_at + spend_time, so a run without
        # spend_time (its default, finished_at - started_at) takes the same time: whole ms.
        started_ms = int(started * 1000)
        spend_ms = round(min(max(rng.lognormvariate(log(2.5), 1.3), 0.05), 1800.0) * 1000)
        success = rng.random() < 0.92
        row: dict = {
            "dtable_uuid": base,
            "owner": owner,
            "org_id": org_id,
            "script_name": script,
            "started_at": clock.at_ms(started_ms),
            "finished_at": clock.at_ms(started_ms + spend_ms),
            "success": success,
        }
        if rng.random() < 0.97:
            row["return_code"] = 0 if success else rng.choice((1, 1, 2, 137, -1))
        if rng.random() < 0.93:
            row["spend_time"] = spend_ms / 1000
        rows.append(row)
    # Ids in finishing order, as the runs table fills up.
    rows.sort(key=lambda r: r["finished_at"])
    out.records(SOURCE, "script_runs", day, [{"id": first_id + n} | r for n, r in enumerate(rows)])
