"""What every source generator shares: scales, seeded randomness, timestamps, file output."""

from __future__ import annotations

import gzip as gzip_module
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO

import orjson


@dataclass(frozen=True)
class Scale:
    """Population sizes and activity levels of one --scale."""

    coder_users: int
    coder_templates: int
    rocketchat_users: int
    rocketchat_channels: int
    messages_per_active_user: int
    seatable_users: int
    script_runs_per_day: int
    openl2m_users: int
    openl2m_switches: int
    openl2m_log_per_day: int


SCALES = {
    "small": Scale(6, 3, 8, 4, 6, 10, 12, 4, 12, 60),
    "medium": Scale(120, 4, 150, 12, 25, 200, 600, 10, 80, 3_000),
    # ~10 million events a day: mostly Coder agent reports and Rocket.Chat messages.
    "large": Scale(36_000, 6, 125_000, 300, 260, 5_000, 50_000, 60, 2_000, 300_000),
}


def scale_of(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: use one of {', '.join(SCALES)}") from None


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator of its own for each (seed, source, day ...): days are independent."""
    return random.Random("-".join(str(p) for p in (seed, *parts)))


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and Z, as the products' exporters write it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def activity_level(day: date) -> float:
    """Weekly rhythm: weekends are quiet."""
    return 0.15 if day.weekday() >= 5 else 1.0


def work_moment(rng: random.Random, day: date) -> datetime:
    """A moment of the day, mostly in working hours (UTC 07-18)."""
    hour = rng.gauss(12.5, 3.0) if rng.random() < 0.9 else rng.uniform(0, 24)
    seconds = min(max(hour, 0.0), 23.99) * 3600
    return day_start(day) + timedelta(seconds=seconds)


def weights(rng: random.Random, count: int) -> list[float]:
    """Skewed activity: a few heavy users, many light ones (Zipf-like)."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return [1.0 / r**0.8 for r in ranks]


class Output:
    """Streams lines into one file per (source, kind, day, part); flush() closes a day."""

    def __init__(self, root: Path, gzip: bool):
        self.root = root
        self.gzip = gzip
        self.handles: dict[tuple[str, str, date, str], IO[bytes]] = {}
        self.files = 0
        self.per_kind: dict[str, int] = {}

    def add(self, source: str, kind: str, day: date, record: dict, part: str = "") -> None:
        self.add_line(source, kind, day, orjson.dumps(record), part)

    def add_line(self, source: str, kind: str, day: date, line: bytes, part: str = "") -> None:
        key = (source, kind, day, part)
        handle = self.handles.get(key) or self._open(key)
        handle.write(line + b"\n")
        self.per_kind[f"{source}_{kind}"] = self.per_kind.get(f"{source}_{kind}", 0) + 1

    def _open(self, key: tuple[str, str, date, str]) -> IO[bytes]:
        source, kind, day, part = key
        name = f"{kind}-{day:%Y%m%d}{'-' + part if part else ''}.ndjson"
        path = self.root / source / kind / f"{day:%Y/%m/%d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.gzip:
            # mtime=0 and no file name in the header: the same data gives the same bytes.
            raw = open(path.with_name(name + ".gz"), "wb")  # noqa: SIM115 (closed in flush)
            handle = gzip_module.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
            handle.raw_file = raw  # type: ignore[attr-defined]
        else:
            handle = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 (closed in flush)
        self.handles[key] = handle
        self.files += 1
        return handle

    def flush(self) -> None:
        for handle in self.handles.values():
            handle.close()
            if self.gzip:
                handle.raw_file.close()  # type: ignore[attr-defined]
        self.handles.clear()
