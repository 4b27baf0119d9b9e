"""Landing a collect's records in the raw tree, and the watermarks that make the next
collect read only what is new.

Every file is written under a temporary dot name (which ingest never reads) and renamed
into place only when every kind of the collect is written; the watermarks are saved only
after that. A collect killed at any point leaves no partial file an ingest could read; the
next one removes the leftovers and reads again from the old watermarks (what it reads twice,
the ingest counts as duplicates).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import orjson

from pipelines import storage


class Landing:
    """One collect's files of one source: written aside, then landed all together."""

    def __init__(self, raw: Path, source: str, collected_at: datetime):
        self.raw, self.source, self.collected_at = raw, source, collected_at
        self.pending: dict[Path, Path] = {}  # temporary -> final
        storage.remove_temporaries(raw / source)  # what a killed collect left

    def write(
        self, kind: str, rows: Iterable[tuple[str, datetime | None]]
    ) -> tuple[int, datetime | None]:
        """Write one kind's (JSON line, watermark) rows aside as gzipped NDJSON; returns how
        many and the newest watermark. No file when there is no row."""
        final = storage.landing_file(self.raw, self.source, kind, self.collected_at)
        temporary = storage.temporary(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        count, newest = 0, None
        try:
            with open(temporary, "wb") as handle:
                with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, compresslevel=6) as out:
                    for line, watermark in rows:
                        out.write(line.encode() + b"\n")
                        count += 1
                        if watermark is not None and (newest is None or watermark > newest):
                            newest = watermark
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        if count:
            self.pending[temporary] = final
        else:
            temporary.unlink()
        return count, newest

    def land(self) -> list[Path]:
        """Rename every written file into place; returns them."""
        for temporary, final in self.pending.items():
            os.replace(temporary, final)
        landed = list(self.pending.values())
        self.pending.clear()
        return landed

    def discard(self) -> None:
        for temporary in self.pending:
            temporary.unlink(missing_ok=True)
        self.pending.clear()


def load_watermarks(wh: storage.Warehouse, source: str) -> dict[str, datetime]:
    """kind -> the latest watermark value collected so far (none before the first collect)."""
    path = wh.collect_state(source)
    if not path.exists():
        return {}
    state = orjson.loads(path.read_bytes())
    return {kind: datetime.fromisoformat(mark) for kind, mark in state["watermarks"].items()}


def save_watermarks(
    wh: storage.Warehouse, source: str, watermarks: dict[str, datetime], collected_at: datetime
) -> None:
    body = {
        "source": source,
        "collected_at": collected_at.isoformat(),
        "watermarks": {kind: mark.isoformat() for kind, mark in sorted(watermarks.items())},
    }
    storage.write_bytes_atomic(
        wh.collect_state(source), orjson.dumps(body, option=orjson.OPT_INDENT_2)
    )
