"""What every source generator shares: scales, seeded randomness, rhythms, ids, timestamps
and file output.

Determinism: everything a day writes comes from generators seeded with (seed, source, day,
...) or from `chance`, a hash of integers; entity lists are drawn in index order from
streams of their own, so a longer run only appends to them. The same arguments give the
same bytes, and adding days changes no earlier day.
"""

from __future__ import annotations

import base64
import gzip as gzip_module
import hashlib
import random
from bisect import bisect, bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import IO, TypeVar

import orjson

DAY_SECONDS = 86_400
T = TypeVar("T")


@dataclass(frozen=True)
class Scale:
    """Population sizes and activity levels of one --scale (activity on a weekday)."""

    parts: int  # files per day for the big event kinds
    coder_users: int
    coder_templates: int
    rocketchat_users: int
    rocketchat_channels: int
    rocketchat_messages: int
    seatable_users: int
    seatable_orgs: int
    script_runs: int
    openl2m_users: int
    openl2m_switches: int
    openl2m_log: int
    growth: float  # population growth per week, as a share of the starting population
    coder_activity: float = 1.0  # how often a workspace works, against the usual rhythm

    def part(self, index: int) -> int | None:
        """The file of a big kind an entity's lines go to (None: one file a day)."""
        return index % self.parts if self.parts > 1 else None


SCALES = {
    # Tests: a handful of users, a few thousand records a day.
    "small": Scale(
        parts=1,
        coder_users=6,
        coder_templates=3,
        rocketchat_users=10,
        rocketchat_channels=3,
        rocketchat_messages=150,
        seatable_users=10,
        seatable_orgs=2,
        script_runs=15,
        openl2m_users=4,
        openl2m_switches=12,
        openl2m_log=60,
        growth=0.2,
    ),
    # The demo: tens of thousands of events a day.
    "medium": Scale(
        parts=1,
        coder_users=70,
        coder_templates=5,
        rocketchat_users=400,
        rocketchat_channels=25,
        rocketchat_messages=16_000,
        seatable_users=300,
        seatable_orgs=6,
        script_runs=1_500,
        openl2m_users=12,
        openl2m_switches=150,
        openl2m_log=4_000,
        growth=0.03,
    ),
    # Benchmarks: over 10 million events on a weekday, mostly Coder agent reports and
    # Rocket.Chat messages.
    "large": Scale(
        parts=8,
        coder_users=18_000,
        coder_templates=6,
        rocketchat_users=125_000,
        rocketchat_channels=300,
        rocketchat_messages=4_500_000,
        seatable_users=20_000,
        seatable_orgs=40,
        script_runs=60_000,
        openl2m_users=80,
        openl2m_switches=3_000,
        openl2m_log=200_000,
        growth=0.005,
    ),
}
# The request-path benchmark (bench/run.py --only requests): a Coder deployment of 300
# users and 6 templates, about 40,000 agent reports and 170 app sessions a day (2.4 million
# and 10,000 over 60 days), beside demo-sized other products; and the same deployment ten
# times the size, every product's population and activity.
REQUESTS = SCALES["requests"] = replace(
    SCALES["medium"], coder_users=300, coder_templates=6, growth=0.005, coder_activity=0.58
)
SCALES["requests-10x"] = replace(
    REQUESTS,
    parts=4,
    **{
        f.name: getattr(REQUESTS, f.name) * 10
        for f in fields(Scale)
        if f.type == "int" and f.name not in ("parts", "coder_templates")
    },
)


def scale_of(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: use one of {', '.join(SCALES)}") from None


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator of its own for each (seed, source, day, ...): days are independent."""
    return random.Random("-".join(str(p) for p in (seed, *parts)))


def chance(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) fixed by its arguments: a decision any day can recompute
    (whether a workspace worked on an earlier day) without replaying that day."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


# ------------------------------------------------------------------------- population


def arrivals(initial: int, growth: float, days: int) -> list[int | None]:
    """For each entity, the day (counted from the first day) it appears on, None for the
    starting population: as many as appear within `days`. More days only append."""
    offsets: list[int | None] = [None] * initial
    per_day = initial * growth / 7
    n = 1
    while per_day and (offset := int(n / per_day)) < days:
        offsets.append(offset)
        n += 1
    return offsets


def existing(offsets: list[int | None], off: int) -> int:
    """How many entities exist on day `off`: `arrivals` lists them in arrival order."""
    return bisect_left(offsets, off + 1, key=lambda o: -1 if o is None else o)


def arrival_moment(rng: random.Random, first: date, offset: int | None, oldest: float) -> datetime:
    """When an entity appeared: in working hours of its arrival day, or (the starting
    population) up to `oldest` days before the first day."""
    if offset is None:
        return day_start(first) - timedelta(days=rng.uniform(1, oldest))
    return day_start(first) + timedelta(days=offset, hours=rng.uniform(8, 17))


class DailyIds:
    """Integer ids that run on without gaps over days generated apart: a day's count is
    a function of the day alone (its rhythm and a fixed jitter)."""

    def __init__(self, seed: int, name: str, first: date, weekday: int, quiet: float, start: int):
        self.seed = seed
        self.name = name
        self.first = first
        self.weekday = weekday  # records on a mid-week day
        self.quiet = quiet  # the share of a weekday's records a weekend keeps at least
        self.start = start  # the first id of the first day
        self._counts: list[int] = []

    def count(self, off: int) -> int:
        level = self.quiet + (1 - self.quiet) * rhythm(self.first + timedelta(days=off))
        return round(self.weekday * level * (0.85 + 0.3 * chance(self.seed, self.name, off)))

    def first_id(self, off: int) -> int:
        while len(self._counts) < off:
            self._counts.append(self.count(len(self._counts)))
        return self.start + sum(self._counts[:off])


def activity_weight(rng: random.Random) -> float:
    """A Zipf-like weight: a few heavy users, many light ones (median ~1.5, tail ~20)."""
    return min(rng.paretovariate(1.6), 20.0)


FIRST_NAMES = (
    "Alice", "Bilal", "Chen", "Dana", "Elif", "Felix", "Grace", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nora", "Oskar", "Priya", "Quinn", "Rosa", "Samir", "Tara",
    "Uwe", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Anton", "Bea", "Carlos", "Dmitri",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jansen", "Kowalski", "Larsen", "Meyer", "Nakamura", "Okafor", "Petrov", "Quint", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Vogel", "Weber", "Xu", "Yilmaz", "Zimmer",
)  # fmt: skip


def person(rng: random.Random, index: int) -> tuple[str, str, str]:
    """(first name, last name, a unique handle such as "lena.weber7")."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return first, last, f"{first.lower()}.{last.lower()}{index}"


# --------------------------------------------------------------------------- rhythm

# Relative activity per UTC hour: office hours, a lunch dip, quiet nights.
WORKDAY_HOURS = (1, 1, 1, 1, 1, 2, 4, 10, 22, 30, 32, 30, 20, 26, 30, 28, 24, 16, 9, 6, 5, 4, 3, 2)
WEEKEND_HOURS = (2, 1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 9, 8, 8, 7, 6, 5, 4, 3, 2)
WORKDAY_CUM = list(accumulate(WORKDAY_HOURS))
WEEKEND_CUM = list(accumulate(WEEKEND_HOURS))
# Monday .. Sunday: Friday afternoons thin out, weekends are quiet.
WEEKDAY_LEVEL = (1.0, 1.05, 1.05, 1.0, 0.85, 0.14, 0.09)


def rhythm(day: date) -> float:
    """How busy a day is, relative to a mid-week day."""
    return WEEKDAY_LEVEL[day.weekday()]


def seconds_in_day(rng: random.Random, day: date, count: int) -> list[float]:
    """`count` sorted moments of the day (seconds since midnight) following the day's
    hourly profile."""
    cum = WEEKEND_CUM if day.weekday() >= 5 else WORKDAY_CUM
    hours = rng.choices(range(24), cum_weights=cum, k=count)
    draw = rng.random
    return sorted(h * 3600 + draw() * 3600 for h in hours)


# ------------------------------------------------------------------------ timestamps


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def ts(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and Z, as the products' exporters write it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@cache
def _clock() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every second of a day as "HH:MM:SS" and every millisecond as ".mmmZ": the hot
    paths format timestamps by lookup."""
    seconds = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY_SECONDS))
    return seconds, tuple(f".{ms:03d}Z" for ms in range(1000))


class DayClock:
    """Formats moments of one day given as seconds since its midnight (fast)."""

    def __init__(self, day: date):
        self.day = day
        self.prefix = f"{day:%Y-%m-%d}T"
        self.clock, self.millis = _clock()

    def at(self, second: float) -> str:
        ms = int(second * 1000)
        if 0 <= ms < DAY_SECONDS * 1000:
            return self.at_ms(ms)
        return ts(self.moment(second))

    def at_ms(self, ms: int) -> str:
        """The moment `ms` whole milliseconds after the day's midnight (exact: no float)."""
        if 0 <= ms < DAY_SECONDS * 1000:
            return self.prefix + self.clock[ms // 1000] + self.millis[ms % 1000]
        return ts(day_start(self.day) + timedelta(milliseconds=ms))

    def moment(self, second: float) -> datetime:
        return day_start(self.day) + timedelta(seconds=second)

    def ms(self, second: float) -> int:
        return epoch_ms(day_start(self.day)) + int(second * 1000)


# ------------------------------------------------------------------------------- ids

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Meteor's Random.id() alphabet (Rocket.Chat ids); base64 digits map onto it.
_METEOR = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_TO_METEOR = bytes.maketrans(_B64, (_METEOR * 2)[:64])
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def uuids(rng: random.Random, count: int) -> list[str]:
    """`count` random version-4 UUIDs, drawn in one call."""
    h = rng.randbytes(16 * count).hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-"
        f"{_VARIANT[h[i + 16]]}{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def new_uuid(rng: random.Random) -> str:
    return uuids(rng, 1)[0]


def meteor_ids(rng: random.Random, count: int) -> list[str]:
    """`count` Rocket.Chat-style 17-character ids, drawn in one call."""
    text = base64.b64encode(rng.randbytes(13 * count)).translate(_TO_METEOR).decode()
    return [text[i : i + 17] for i in range(0, 17 * count, 17)]


def stable_id(key: str) -> str:
    """A Rocket.Chat-style id fixed by a key: every day names an entity alike."""
    digest = hashlib.blake2b(key.encode(), digest_size=13).digest()
    return base64.b64encode(digest).translate(_TO_METEOR).decode()[:17]


def pick(rng: random.Random, items: Sequence[T], cum_weights: list[float]) -> T:
    """One weighted choice, by bisection on precomputed cumulative weights."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


# ---------------------------------------------------------------------------- output


class Output:
    """Streams lines into one file per (source, kind, day, part); close_day() closes a day.

    Layout: <root>/<source>/<kind>/YYYY/MM/DD/<kind>-YYYYMMDD[-NN].ndjson[.gz]
    """

    def __init__(self, root: Path, gzip: bool):
        self.root = root
        self.gzip = gzip
        self.handles: dict[tuple[str, str, date, int | None], IO[bytes]] = {}
        self.raw_files: list[IO[bytes]] = []
        self.files = 0
        self.per_kind: dict[str, int] = {}

    def record(self, source: str, kind: str, day: date, record: dict) -> None:
        self.lines(source, kind, day, [orjson.dumps(record).decode()])

    def records(self, source: str, kind: str, day: date, records: list[dict]) -> None:
        self.lines(source, kind, day, [orjson.dumps(r).decode() for r in records])

    def lines(
        self, source: str, kind: str, day: date, lines: list[str], part: int | None = None
    ) -> None:
        """Append ready JSON lines (the hot paths format their own)."""
        if not lines:
            return
        key = (source, kind, day, part)
        handle = self.handles.get(key) or self._open(key)
        handle.write(("\n".join(lines) + "\n").encode())
        table = f"{source}_{kind}"
        self.per_kind[table] = self.per_kind.get(table, 0) + len(lines)

    def _open(self, key: tuple[str, str, date, int | None]) -> IO[bytes]:
        source, kind, day, part = key
        name = f"{kind}-{day:%Y%m%d}{'' if part is None else f'-{part:02d}'}.ndjson"
        path = self.root / source / kind / f"{day:%Y/%m/%d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.gzip:
            raw = open(path.with_name(name + ".gz"), "wb")  # closed in close_day
            self.raw_files.append(raw)
            # mtime=0 and no file name in the header: the same data gives the same bytes.
            handle: IO[bytes] = gzip_module.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6
            )
        else:
            handle = open(path, "wb", buffering=1 << 20)  # closed in close_day
        self.handles[key] = handle
        self.files += 1
        return handle

    def close_day(self) -> None:
        for handle in self.handles.values():
            handle.close()
        for raw in self.raw_files:
            raw.close()
        self.handles.clear()
        self.raw_files.clear()
