"""Rocket.Chat, as mongoexport writes its collections: users (a new version per status
change), rooms of every type (channels, private groups, discussions, direct messages,
livechat; some deleted), messages (system messages, threads, edits), subscriptions (a new
version when a user reads a room) and the server's statistics record, once a day.

Values are written as mongoexport writes them, in either of its modes (MongoExport).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

import orjson

from pipelines.generate.common import (
    DAY_SECONDS,
    DayClock,
    Output,
    Scale,
    activity_weight,
    arrival_moment,
    arrivals,
    day_start,
    epoch_ms,
    existing,
    meteor_ids,
    person,
    pick,
    rhythm,
    rng_for,
    seconds_in_day,
    stable_id,
    ts,
)

SOURCE = "rocketchat"
CHANNEL_NAMES = (
    "general", "random", "dev", "support", "announcements", "ops", "design", "releases",
    "frontend", "backend", "data", "security", "sales", "marketing", "hr", "qa", "infra",
    "mobile", "docs", "events",
)  # fmt: skip
SYSTEM_TYPES = ("room_changed_topic", "ul", "subscription-role-added", "user-muted", "rm")
LANGUAGES = ("en", "en", "en", "de", "fr", "es", "pt-BR")
# Rocket.Chat releases over the run: (version, migration version); upgrades on two days.
RELEASES = (("6.10.5", 304), ("6.11.2", 306), ("6.12.1", 308))


@dataclass(slots=True)
class User:
    index: int
    id: str
    username: str
    type: str
    active: bool
    roles: list[str]
    offset: int | None
    created: datetime
    weight: float  # how much the user writes (0: never)
    language: str
    remote: bool
    rooms: list[int] = field(default_factory=list)  # room indexes the user is a member of
    ref: str = ""  # the embedded {"_id", "username"} as JSON text

    def record(
        self, export: MongoExport, updated: datetime, status: str, last_login: datetime | None
    ) -> dict:
        record = {
            "_id": self.id,
            "username": self.username,
            "type": self.type,
            "active": self.active,
            "roles": self.roles,
            "status": status,
            "createdAt": export.date(self.created),
            "_updatedAt": export.date(updated),
            "language": self.language,
        }
        if last_login is not None:
            record["lastLogin"] = export.date(last_login)
        if self.remote:
            record |= {"federated": True, "isRemote": True}
        return record


@dataclass(slots=True)
class Room:
    index: int
    id: str
    t: str
    name: str | None
    offset: int | None
    created: datetime
    deleted_offset: int | None
    deleted: datetime | None
    weight: float  # share of the day's messages
    prid: str | None = None  # set on discussions
    team_main: bool = False
    old_style: bool = False  # an old record: `ts` instead of `createdAt`
    base_msgs: int = 0
    members: list[int] = field(default_factory=list)  # user indexes, ascending
    cum: list[float] = field(default_factory=list)  # cumulative writing weights of members

    def alive(self, off: int) -> bool:
        return (self.offset is None or self.offset <= off) and (
            self.deleted_offset is None or off < self.deleted_offset
        )

    def record(
        self, export: MongoExport, updated: datetime, msgs: int, deleted: datetime | None = None
    ) -> dict:
        record: dict = {"_id": self.id, "t": self.t}
        if self.name is not None:
            record["name"] = self.name
        record["ts" if self.old_style else "createdAt"] = export.date(self.created)
        record |= {"_updatedAt": export.date(updated), "msgs": export.number(msgs)}
        if self.prid is not None:
            record["prid"] = self.prid
        if self.team_main:
            record["teamMain"] = True
        if deleted is not None:
            record["_deletedAt"] = export.date(deleted)
        return record


class World:
    """Users, rooms and memberships over the whole run. Rooms other than direct ones come
    from a catalogue of fixed size, so a longer run only appends users and their rooms."""

    def __init__(
        self, seed: int, scale: Scale, first: date, days: int, mongo_json: str = "relaxed"
    ):
        self.seed = seed
        self.scale = scale
        self.first = first
        self.export = MongoExport(mongo_json == "canonical")
        self.rooms = self._catalogue()
        self.users = self._users(days)
        self.user_offsets = [u.offset for u in self.users]
        self.installed = day_start(first) - timedelta(days=700)
        rng = rng_for(seed, SOURCE, "server")
        self.unique_id = meteor_ids(rng, 1)[0]
        self.upgrades = sorted(rng.sample(range(3, 40), 2))

    def _catalogue(self) -> list[Room]:
        rng = rng_for(self.seed, SOURCE, "rooms")
        channels = self.scale.rocketchat_channels
        rooms: list[Room] = []
        kinds = [
            ("c", channels),
            ("p", max(2, channels // 2)),
            ("discussion", max(1, channels // 4)),
        ]
        for kind, initial in kinds:
            later = max(1, initial // 2)
            for n in range(initial + later):
                # Rooms appear about as fast as the user base grows.
                offset = (
                    None
                    if n < initial
                    else int((n - initial + 1) * 7 / (initial * self.scale.growth))
                )
                created = arrival_moment(rng, self.first, offset, 600)
                t = "p" if kind == "discussion" and rng.random() < 0.5 else kind[0]
                name = CHANNEL_NAMES[n] if kind == "c" and n < len(CHANNEL_NAMES) else f"{kind}-{n}"
                room = Room(
                    len(rooms),
                    meteor_ids(rng, 1)[0],
                    t,
                    name,
                    offset,
                    created,
                    None,
                    None,
                    rng.paretovariate(1.2) * (4.0 if kind == "c" else 1.5),
                )
                if kind == "discussion":
                    room.prid = rooms[rng.randrange(channels)].id
                    room.name = None
                room.team_main = kind != "discussion" and rng.random() < 0.08
                room.old_style = offset is None and rng.random() < 0.1
                room.base_msgs = int(rng.paretovariate(1.1) * 200)
                # Discussions are short-lived; now and then a channel or group goes too.
                if rng.random() < (0.6 if kind == "discussion" else 0.05 if n else 0.0):
                    room.deleted_offset = (offset or 0) + rng.randrange(1, 15)
                    room.deleted = arrival_moment(rng, self.first, room.deleted_offset, 1)
                rooms.append(room)
        rooms[0].weight = 30.0  # general: everyone, busiest
        return rooms

    def _users(self, days: int) -> list[User]:
        rng = rng_for(self.seed, SOURCE, "users")
        by_kind = {t: [r for r in self.rooms if (r.t, r.prid is None) == (t, True)] for t in "cp"}
        discussions = [r for r in self.rooms if r.prid is not None]
        channel_rank = list(accumulate(1 / (n + 1) ** 0.8 for n in range(len(by_kind["c"]))))
        users: list[User] = []
        writers: list[float] = []  # cumulative weights of earlier users, to pick DM partners
        for index, offset in enumerate(
            arrivals(self.scale.rocketchat_users, self.scale.growth, days)
        ):
            _, _, handle = person(rng, index)
            kind = (
                "bot" if index == 0 or index % 211 == 5 else "app" if index % 307 == 9 else "user"
            )
            roles = ["user"]
            if index == 1 or index % 97 == 2:
                roles = ["admin", "user"]
            elif index % 53 == 4:
                roles = ["user", "livechat-agent"]
            elif rng.random() < 0.04:
                roles = ["guest"]
            if kind != "user":
                roles = [kind]
            active = kind != "user" or index < 2 or rng.random() > 0.05
            remote = kind == "user" and rng.random() < 0.01
            weight = activity_weight(rng) if active else 0.0
            if roles == ["guest"] or remote or kind != "user":
                weight *= 0.3
            user = User(
                index,
                meteor_ids(rng, 1)[0],
                "rocket.cat" if index == 0 else handle,
                kind,
                active,
                roles,
                offset,
                arrival_moment(rng, self.first, offset, 680),
                weight,
                rng.choice(LANGUAGES),
                remote,
            )
            if remote:
                user.username = f"@{handle}:matrix.example.org"
            user.ref = orjson.dumps({"_id": user.id, "username": user.username}).decode()
            joined = {0} | {
                pick(rng, by_kind["c"], channel_rank).index
                for _ in range(min(int(rng.expovariate(0.4)), 12))
            }
            joined |= {rng.choice(by_kind["p"]).index for _ in range(int(rng.expovariate(1.2)))}
            joined |= {rng.choice(discussions).index for _ in range(int(rng.expovariate(2.0)))}
            if kind == "user" and writers:
                partners = set()
                for _ in range(int(rng.expovariate(0.6))):
                    # Half the partners are busy writers, half anyone.
                    if rng.random() < 0.5:
                        partners.add(bisect_left(writers, rng.random() * writers[-1]))
                    else:
                        partners.add(rng.randrange(len(users)))
                for partner in sorted(partners):
                    joined.add(self._direct(rng, users[partner], user))
            for room in sorted(joined):
                self.rooms[room].members.append(index)
            user.rooms = sorted(joined)
            users.append(user)
            writers.append((writers[-1] if writers else 0.0) + weight)
        for room in self.rooms:
            room.cum = list(accumulate(users[m].weight for m in room.members))
        return users

    def _direct(self, rng: random.Random, partner: User, user: User) -> int:
        """A direct-message room between an earlier user and a new one (id: both ids)."""
        if user.offset is None:
            created = user.created + (day_start(self.first) - user.created) * rng.random()
        else:
            created = user.created + timedelta(minutes=rng.uniform(5, 120))
        room = Room(
            len(self.rooms),
            "".join(sorted((partner.id, user.id))),
            "d",
            None,
            user.offset,
            created,
            None,
            None,
            0.6 * min(partner.weight, user.weight),  # a chat as busy as its quieter side
        )
        room.members.append(partner.index)
        partner.rooms.append(room.index)
        room.base_msgs = int(rng.paretovariate(1.1) * 20)
        self.rooms.append(room)
        return room.index

    def existing(self, off: int) -> int:
        return existing(self.user_offsets, off)

    def release(self, off: int) -> tuple[str, int]:
        return RELEASES[sum(off >= u for u in self.upgrades)]


MONGO_JSON = ("relaxed", "canonical")  # mongoexport's two output modes


@dataclass(frozen=True)
class MongoExport:
    """How mongoexport writes values. Relaxed, its default: dates as {"$date": "<ISO>"},
    numbers plain. Canonical (--jsonFormat=canonical): dates as
    {"$date": {"$numberLong": "<epoch ms>"}}, every number wrapped by its BSON type."""

    canonical: bool

    def date(self, moment: datetime) -> dict:
        if self.canonical:
            return {"$date": {"$numberLong": str(epoch_ms(moment))}}
        return {"$date": ts(moment)}

    def stamp(self, clock: DayClock, second: float) -> str:
        """A moment of the day as JSON text, for the lines formatted directly."""
        if self.canonical:
            return f'{{"$date":{{"$numberLong":"{clock.ms(second)}"}}}}'
        return f'{{"$date":"{clock.at(second)}"}}'

    def number(self, value: int | float) -> object:
        if not self.canonical:
            return value
        if isinstance(value, float):
            return {"$numberDouble": repr(value)}
        return {"$numberInt" if -(2**31) <= value < 2**31 else "$numberLong": str(value)}

    def numbers(self, value: object) -> object:
        """Every number inside a document, as this mode writes it."""
        if isinstance(value, dict):
            return {key: self.numbers(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [self.numbers(inner) for inner in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(value)
        return value


def _message(mid: str, rid: str, stamp: str, ref: str, extra: str = "") -> str:
    return f'{{"_id":"{mid}","rid":"{rid}","ts":{stamp},"u":{ref}{extra}}}'


def _subscription_id(world: World, room: Room, user: int) -> str:
    return stable_id(f"{world.seed}-subscription-{room.index}-{user}")


def _subscription(sid: str, room: Room, ref: str, seen: str | None, updated: str) -> str:
    last_seen = "" if seen is None else f'"ls":{seen},'
    return (
        f'{{"_id":"{sid}","rid":"{room.id}","u":{ref},"t":"{room.t}",{last_seen}'
        f'"_updatedAt":{updated},"open":true}}'
    )


# ------------------------------------------------------------------------- one day


def write_day(out: Output, world: World, day: date) -> None:
    off = (day - world.first).days
    rng = rng_for(world.seed, SOURCE, day)
    clock = DayClock(day)
    active: dict[int, tuple[float, float]] = {}  # user index -> first, last second active
    if off == 0:
        _initial_export(out, world, day)
    _arrivals(out, world, day, off, rng, clock)
    _messages(out, world, day, off, rng, clock, active)
    _livechat(out, world, day, rng, clock, active)
    _statuses(out, world, day, rng, clock, active)
    _statistics(out, world, day, off, rng)


def _initial_export(out: Output, world: World, day: date) -> None:
    """Every user, live room and subscription as they were at the first midnight."""
    rng = rng_for(world.seed, SOURCE, "initial export")
    midnight = day_start(day)
    users = world.users[: world.existing(-1)]
    records = []
    for user in users:
        login = None
        if user.active and rng.random() < 0.95:
            login = user.created + (midnight - user.created) * (1 - rng.random() ** 3)
        status = rng.choice(("online", "away", "busy")) if rng.random() < 0.3 else "offline"
        updated = login or user.created
        records.append(user.record(world.export, updated, status, login))
    out.records(SOURCE, "users", day, records)
    rooms = [r for r in world.rooms if r.offset is None and r.alive(0)]
    out.records(
        SOURCE,
        "rooms",
        day,
        [
            r.record(world.export, r.created + (midnight - r.created) * rng.random(), r.base_msgs)
            for r in rooms
        ],
    )
    for room in rooms:
        lines = []
        for index in room.members[: bisect_left(room.members, len(users))]:
            user = users[index]
            joined = max(room.created, user.created)
            seen = joined + (midnight - joined) * (1 - rng.random() ** 4)
            stamp = orjson.dumps(world.export.date(seen)).decode()
            sid = _subscription_id(world, room, index)
            lines.append(
                _subscription(sid, room, user.ref, stamp if rng.random() < 0.85 else None, stamp)
            )
        out.lines(SOURCE, "subscriptions", day, lines)


def _arrivals(
    out: Output, world: World, day: date, off: int, rng: random.Random, clock: DayClock
) -> None:
    """New users join their rooms, new rooms open to their members, deleted rooms go."""
    midnight = day_start(day)
    subscriptions: list[str] = []
    for user in world.users[world.existing(off - 1) : world.existing(off)]:
        second = (user.created - midnight).total_seconds()
        out.record(
            SOURCE,
            "users",
            day,
            user.record(world.export, user.created, "online", user.created),
        )
        for index in user.rooms:
            room = world.rooms[index]
            if not room.alive(off):
                continue
            if room.t == "d" and room.offset == off:
                if room.members[-1] != user.index:
                    continue  # the later user of the two opens it
                out.record(SOURCE, "rooms", day, room.record(world.export, room.created, 0))
                second = (room.created - midnight).total_seconds()
                for member in room.members:
                    sid = _subscription_id(world, room, member)
                    subscriptions.append(
                        _subscription(
                            sid,
                            room,
                            world.users[member].ref,
                            None,
                            world.export.stamp(clock, second),
                        )
                    )
                continue
            joined = second + rng.uniform(30, 600)
            sid = _subscription_id(world, room, user.index)
            subscriptions.append(
                _subscription(sid, room, user.ref, None, world.export.stamp(clock, joined))
            )
            if room.t != "d":
                # Rocket.Chat announces a join ("uj") or an added member ("au") in the room.
                kind = "uj" if room.t == "c" else "au"
                line = _message(
                    meteor_ids(rng, 1)[0],
                    room.id,
                    world.export.stamp(clock, joined),
                    user.ref,
                    f',"t":"{kind}"',
                )
                out.lines(SOURCE, "messages", day, [line], world.scale.part(room.index))
    for room in world.rooms:
        if room.t != "d" and room.offset == off:
            second = (room.created - midnight).total_seconds()
            out.record(SOURCE, "rooms", day, room.record(world.export, room.created, 0))
            for index in room.members[: bisect_left(room.members, world.existing(off - 1))]:
                sid = _subscription_id(world, room, index)
                subscriptions.append(
                    _subscription(
                        sid,
                        room,
                        world.users[index].ref,
                        None,
                        world.export.stamp(clock, second + rng.uniform(1, 3600)),
                    )
                )
            if room.prid is not None:
                parent = next(r for r in world.rooms if r.id == room.prid)
                author = world.users[room.members[0]] if room.members else world.users[1]
                line = _message(
                    meteor_ids(rng, 1)[0],
                    parent.id,
                    world.export.stamp(clock, second),
                    author.ref,
                    ',"t":"discussion-created"',
                )
                out.lines(SOURCE, "messages", day, [line], world.scale.part(parent.index))
        if room.deleted_offset == off and room.deleted is not None:
            gone = room.deleted
            out.record(
                SOURCE, "rooms", day, room.record(world.export, gone, room.base_msgs, deleted=gone)
            )
    out.lines(SOURCE, "subscriptions", day, subscriptions)


def _messages(
    out: Output,
    world: World,
    day: date,
    off: int,
    rng: random.Random,
    clock: DayClock,
    active: dict[int, tuple[float, float]],
) -> None:
    """The day's messages, shared out over the live rooms by weight; then the readers'
    subscriptions and each room's new version."""
    rooms = [r for r in world.rooms if r.alive(off)]
    total = sum(r.weight for r in rooms)
    expected = world.scale.rocketchat_messages * rhythm(day) / total
    so_far = sum(rhythm(world.first + timedelta(days=d)) for d in range(off + 1))
    users = world.existing(off - 1)  # new users write from the day after they join
    room_versions, subscriptions = [], []
    for room in rooms:
        share = expected * room.weight
        k = bisect_left(room.members, users)
        count = int(share) + (rng.random() < share % 1)
        if not count or not k or not room.cum[k - 1]:
            continue
        lines, last_by_user = _room_messages(rng, clock, world, room, k, count)
        out.lines(SOURCE, "messages", day, lines, world.scale.part(room.index))
        # Readers: some members open the room after messages arrive.
        for index in rng.choices(room.members[:k], k=min(k, 1 + count // 4)):
            last_by_user.setdefault(
                index, rng.uniform(last_by_user.get(index, 0.0), DAY_SECONDS - 1)
            )
        for index, second in sorted(last_by_user.items()):
            seen = min(second + rng.uniform(1, 900), DAY_SECONDS - 1)
            stamp = world.export.stamp(clock, seen)
            sid = _subscription_id(world, room, index)
            subscriptions.append(_subscription(sid, room, world.users[index].ref, stamp, stamp))
            first, last = active.get(index, (second, second))
            active[index] = (min(first, second), max(last, second))
        updated = clock.moment(max(last_by_user.values()))
        msgs = room.base_msgs + round(share * so_far)
        room_versions.append(room.record(world.export, updated, msgs))
    out.lines(SOURCE, "subscriptions", day, subscriptions)
    out.records(SOURCE, "rooms", day, room_versions)


def _room_messages(
    rng: random.Random, clock: DayClock, world: World, room: Room, members: int, count: int
) -> tuple[list[str], dict[int, float]]:
    """One room's messages of the day (threads, system messages, edits), formatted
    directly: the second-biggest kind. Returns the lines and each author's last second."""
    authors = rng.choices(room.members[:members], cum_weights=room.cum[:members], k=count)
    seconds = seconds_in_day(rng, clock.day, count)
    ids = meteor_ids(rng, count)
    stamp = world.export.stamp
    stamps = [stamp(clock, s) for s in seconds]
    extras = [""] * count
    replies: dict[int, int] = {}  # thread root position -> replies
    roots: list[int] = []
    hidden = []
    for i, r in enumerate([rng.random() for _ in range(count)]):
        if r < 0.05 and count > 3:
            replies[i] = 0
            roots.append(i)
        elif r < 0.17 and roots:
            # A reply in one of the room's three latest threads.
            root = roots[-1 - int(rng.random() * min(3, len(roots)))]
            replies[root] += 1
            extras[i] = f',"tmid":"{ids[root]}"'
        elif r < 0.185 and room.t != "d":
            extras[i] = f',"t":"{rng.choice(SYSTEM_TYPES)}"'
        elif r < 0.205:
            # An edit: the message carries editedAt, the old text stays as a hidden copy.
            edited = min(seconds[i] + rng.uniform(5, 900), DAY_SECONDS - 1)
            extras[i] = f',"editedAt":{stamp(clock, edited)}'
            hidden.append((i, f',"_hidden":true,"parent":"{ids[i]}"'))
        elif r < 0.208:
            gone = min(seconds[i] + rng.uniform(5, 600), DAY_SECONDS - 1)
            extras[i] = f',"_deletedAt":{stamp(clock, gone)}'
    for i, n in replies.items():
        extras[i] = f',"tcount":{orjson.dumps(world.export.number(n)).decode()}' if n else ""
    refs = [world.users[a].ref for a in authors]
    rid = room.id
    lines = [
        f'{{"_id":"{ids[i]}","rid":"{rid}","ts":{stamps[i]},"u":{refs[i]}{extras[i]}}}'
        for i in range(count)
    ]
    copies = meteor_ids(rng, len(hidden))
    lines += [
        _message(copy, rid, stamps[i], refs[i], extra)
        for copy, (i, extra) in zip(copies, hidden, strict=True)
    ]
    # Seconds are sorted: the last entry per author is the author's last message.
    return lines, dict(zip(authors, seconds, strict=True))


def _livechat(
    out: Output,
    world: World,
    day: date,
    rng: random.Random,
    clock: DayClock,
    active: dict[int, tuple[float, float]],
) -> None:
    """Livechat conversations: a visitor and an agent, opened and closed the same day."""
    agents = [u for u in world.users[: world.existing(-1)] if "livechat-agent" in u.roles]
    agents = agents or [world.users[1]]
    count = max(1, min(400, round(world.scale.rocketchat_messages / 4000 * rhythm(day))))
    rooms, messages, subscriptions = [], [], []
    for start in seconds_in_day(rng, day, count):
        room_id, visitor_id = meteor_ids(rng, 2)
        agent = rng.choice(agents)
        name = f"guest-{rng.randrange(1, 100_000)}"
        visitor = orjson.dumps({"_id": visitor_id, "username": name}).decode()
        n = rng.randrange(4, 17)
        times = sorted(min(start + rng.uniform(0, 1800), DAY_SECONDS - 2) for _ in range(n))
        for i, second in enumerate(times):
            ref = visitor if i % 2 == 0 else agent.ref
            messages.append(
                _message(meteor_ids(rng, 1)[0], room_id, world.export.stamp(clock, second), ref)
            )
        closed = min(times[-1] + rng.uniform(60, 600), DAY_SECONDS - 1)
        export = world.export
        room = {
            "_id": room_id,
            "t": "l",
            "fname": name,
            "v": {"_id": visitor_id, "username": name, "token": f"{rng.getrandbits(64):016x}"},
            "servedBy": {"_id": agent.id, "username": agent.username},
            "createdAt": export.date(clock.moment(start)),
            "_updatedAt": export.date(clock.moment(start)),
            "msgs": export.number(0),
            "open": True,
        }
        rooms.append(room)
        rooms.append(
            room
            | {
                "_updatedAt": export.date(clock.moment(closed)),
                "msgs": export.number(n),
                "open": False,
                "closedAt": export.date(clock.moment(closed)),
            }
        )
        stamp = world.export.stamp(clock, closed)
        subscriptions.append(
            f'{{"_id":"{meteor_ids(rng, 1)[0]}","rid":"{room_id}","u":{agent.ref},"t":"l",'
            f'"ls":{stamp},"_updatedAt":{stamp},"open":false}}'
        )
        first, last = active.get(agent.index, (start, closed))
        active[agent.index] = (min(first, start), max(last, closed))
    out.records(SOURCE, "rooms", day, rooms)
    out.lines(SOURCE, "messages", day, messages)
    out.lines(SOURCE, "subscriptions", day, subscriptions)


def _statuses(
    out: Output,
    world: World,
    day: date,
    rng: random.Random,
    clock: DayClock,
    active: dict[int, tuple[float, float]],
) -> None:
    """Each active user's day as new versions: online at login, away or busy for a while,
    offline at the end."""
    records = []
    for index in sorted(active):
        user = world.users[index]
        if user.type != "user":
            continue  # bots and apps stay online
        first, last = active[index]
        login = max(first - rng.uniform(60, 1800), 0.0)
        last_login = clock.moment(login)
        records.append(user.record(world.export, last_login, "online", last_login))
        if last - first > 3600 and rng.random() < 0.45:
            status = "busy" if rng.random() < 0.25 else "away"
            records.append(
                user.record(
                    world.export, clock.moment(rng.uniform(first, last)), status, last_login
                )
            )
        if rng.random() < 0.6:
            gone = min(last + rng.uniform(300, 3600), DAY_SECONDS - 1)
            records.append(user.record(world.export, clock.moment(gone), "offline", last_login))
    out.records(SOURCE, "users", day, records)


def _statistics(out: Output, world: World, day: date, off: int, rng: random.Random) -> None:
    """The daily statistics record of the server (the same uniqueId every day)."""
    version, migration = world.release(off)
    restarted = max([u for u in world.upgrades if u <= off], default=-30)
    at = day_start(day) + timedelta(hours=2, minutes=15, seconds=rng.uniform(0, 90))
    uptime = (at - (day_start(world.first) + timedelta(days=restarted, hours=2))).total_seconds()
    cpus = min(32, 2 + world.scale.rocketchat_users // 5000 * 2)
    total = 8 * 2**30 * max(1, cpus // 2)
    busy = 0.05 + 0.4 * rhythm(day)
    ticks = int(uptime * 100)
    uploads = world.scale.rocketchat_users * 3 + off * 17
    record = {
        "uniqueId": world.unique_id,
        "installedAt": ts(world.installed),
        "version": version,
        "createdAt": world.export.date(at),
        "os": {
            "type": "Linux",
            "platform": "linux",
            "arch": "x64",
            "release": "6.1.0-25-amd64",
            "uptime": round(uptime + 86400 * 3, 2),
            "loadavg": [round(busy * cpus * rng.uniform(0.6, 1.2), 2) for _ in range(3)],
            "totalmem": total,
            "freemem": int(total * rng.uniform(0.2, 0.6)),
            "cpus": [
                {
                    "model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
                    "speed": 2000,
                    "times": {
                        "user": int(ticks * 0.22),
                        "nice": 0,
                        "sys": int(ticks * 0.06),
                        "idle": int(ticks * 0.71),
                        "irq": 0,
                    },
                }
                for _ in range(cpus)
            ],
        },
        "process": {"nodeVersion": "v14.21.3", "pid": 1000 + restarted % 97, "uptime": uptime},
        "deploy": {"method": "docker", "platform": "selfinstall"},
        "migration": {"_id": "control", "version": migration, "locked": False},
        "instanceCount": 1 + world.scale.rocketchat_users // 40_000,
        "mongoVersion": "5.0.24",
        "mongoStorageEngine": "wiredTiger",
        "oplogEnabled": True,
        "msEnabled": False,
        "uploadsTotal": uploads,
        "uploadsTotalSize": uploads * 181_273,
    }
    if restarted >= 0:
        upgraded = day_start(world.first) + timedelta(days=restarted, hours=2)
        # Rocket.Chat keeps lockedAt as a date and buildAt (like installedAt) as a string.
        record["migration"] |= {"lockedAt": world.export.date(upgraded), "buildAt": ts(upgraded)}
    out.record(SOURCE, "statistics", day, world.export.numbers(record))
