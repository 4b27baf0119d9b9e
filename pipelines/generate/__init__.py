"""The sample data generator: a realistic raw log tree (raw-logs.md layout) for all four
sources, deterministic for a seed, each day generated independently of the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.generate import coder, openl2m, rocketchat, seatable
from pipelines.generate.common import Output, scale_of


@dataclass(frozen=True)
class GenerateSummary:
    files: int
    records: int
    per_kind: dict[str, int]
    first_day: date
    last_day: date


def generate(
    out: Path,
    days: int = 28,
    start: date | None = None,
    scale: str = "small",
    seed: int = 1,
    gzip: bool = False,
) -> GenerateSummary:
    """Write `days` days of logs from `start` (default: the days up to yesterday, UTC)."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, got {days}")
    sizes = scale_of(scale)
    first = start or datetime.now(UTC).date() - timedelta(days=days)
    last = first + timedelta(days=days - 1)
    output = Output(Path(out), gzip)
    worlds = {
        module: module.build_world(seed, sizes, first)
        for module in (coder, rocketchat, seatable, openl2m)
    }
    for module, world in worlds.items():
        module.write_snapshots(output, world, first, seed)
    for n in range(days):
        day = first + timedelta(days=n)
        coder.write_day(output, worlds[coder], day, seed, last_day=day == last)
        rocketchat.write_day(output, worlds[rocketchat], day, seed, sizes)
        seatable.write_day(output, worlds[seatable], day, seed, sizes)
        openl2m.write_day(output, worlds[openl2m], day, seed, sizes, first)
        output.flush()
    return GenerateSummary(
        output.files, sum(output.per_kind.values()), output.per_kind, first, last
    )
