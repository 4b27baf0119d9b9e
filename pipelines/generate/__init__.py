"""The sample data generator: a realistic raw log tree (raw-logs.md layout) for all four
sources, deterministic for a seed, each day generated independently of the others."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from pathlib import Path

from pipelines.generate.common import Output, Scale, scale_of
from pipelines.generate.rocketchat import MONGO_JSON

SOURCES = ("coder", "rocketchat", "seatable", "openl2m")


@dataclass(frozen=True)
class GenerateSummary:
    files: int
    records: int
    per_kind: dict[str, int]  # "<source>_<kind>" -> records written
    first_day: date
    last_day: date


def generate(
    out: Path,
    days: int = 28,
    start: date | None = None,
    scale: str = "small",
    seed: int = 1,
    gzip: bool = False,
    mongo_json: str = "relaxed",
) -> GenerateSummary:
    """Write `days` days of logs from `start` (default: the `days` days before today, UTC)
    under `out`: <source>/<kind>/YYYY/MM/DD/<kind>-YYYYMMDD[-NN].ndjson[.gz]. Rocket.Chat's
    files are written as mongoexport writes them in `mongo_json` mode (relaxed, canonical)."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, got {days}")
    if mongo_json not in MONGO_JSON:
        raise ValueError(f"--mongo-json must be one of {', '.join(MONGO_JSON)}, got {mongo_json!r}")
    sizes = scale_of(scale)
    first = start or datetime.now(UTC).date() - timedelta(days=days)
    jobs = [(source, Path(out), gzip, seed, sizes, first, days, mongo_json) for source in SOURCES]
    if sizes.parts > 1 and (os.cpu_count() or 1) > 1:
        # Big scales: the sources are independent, so they run side by side.
        with ProcessPoolExecutor(min(len(jobs), os.cpu_count() or 1)) as pool:
            results = list(pool.map(_write_source, *zip(*jobs, strict=True)))
    else:
        results = [_write_source(*job) for job in jobs]
    per_kind = {kind: n for _, counts in results for kind, n in counts.items()}
    return GenerateSummary(
        sum(files for files, _ in results),
        sum(per_kind.values()),
        dict(sorted(per_kind.items())),
        first,
        first + timedelta(days=days - 1),
    )


def _write_source(
    source: str,
    out: Path,
    gzip: bool,
    seed: int,
    sizes: Scale,
    first: date,
    days: int,
    mongo_json: str,
) -> tuple[int, dict[str, int]]:
    """One source's days, in order; returns the files written and records per kind."""
    module = import_module(f"pipelines.generate.{source}")
    output = Output(out, gzip)
    # Only Rocket.Chat's files come out of mongoexport.
    options = {"mongo_json": mongo_json} if source == "rocketchat" else {}
    world = module.World(seed, sizes, first, days, **options)
    for n in range(days):
        module.write_day(output, world, first + timedelta(days=n))
        output.close_day()
    return output.files, output.per_kind
