"""Landing a collect's records in the raw tree, and the state (watermarks, digests) that
makes the next collect land only what is new; shared by every product's collector.

Every file is written under a temporary dot name (which ingest never reads) and renamed
into place only when every kind of the collect is written; the watermarks are saved only
after that. A collect killed at any point leaves no partial file an ingest could read; the
next one removes the leftovers and reads again from the old watermarks (what it reads twice,
the ingest counts as duplicates).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from pipelines import storage


@dataclass(frozen=True)
class Collect:
    """One collect of a source: where it lands (the warehouse's state, the raw tree), its
    instant, where progress goes, and the guard taken once the database answers (the
    warehouse lock, or nothing when the caller holds it already)."""

    source: str
    wh: storage.Warehouse
    raw: Path
    collected_at: datetime
    say: Callable[[str], None]
    guard: Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Read:
    """One kind's query in a collect.

    Incremental (`overlap` set): rows of (JSON line, watermark) whose watermark is at or
    after `since`, the kind's last watermark minus the overlap, so rows committed a little
    late are read again (the ingest drops what it already has).
    Whole (`overlap` None), for tables without a time column: every row each collect, as
    (JSON line stamped with the collect instant, the row's content); landed only when the
    content differs from the last landed, so an unchanged table adds no new version.
    """

    kind: str
    sql: str
    overlap: timedelta | None
    params: dict = field(default_factory=dict)


@dataclass
class State:
    """What a source's collects remember (collect/<source>.json)."""

    watermarks: dict[str, datetime] = field(default_factory=dict)  # incremental kinds
    digests: dict[str, str] = field(default_factory=dict)  # whole kinds: the content landed


class Landing:
    """One collect's files of one source: written aside, then landed all together."""

    def __init__(self, raw: Path, source: str, collected_at: datetime):
        self.raw, self.source, self.collected_at = raw, source, collected_at
        self.pending: dict[Path, Path] = {}  # temporary -> final
        storage.remove_temporaries(raw / source)  # what a killed collect left

    def write(self, read: Read, rows: Iterable[tuple[str, object]], state: State) -> int:
        """Write one read's rows aside as gzipped NDJSON and advance its state (the newest
        watermark, or the content digest); returns the rows to land. No file when none, nor
        for a whole read whose content has not changed."""
        final = storage.landing_file(self.raw, self.source, read.kind, self.collected_at)
        temporary = storage.temporary(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        count, newest, content = 0, None, hashlib.sha256()
        try:
            with open(temporary, "wb") as handle:
                with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, compresslevel=6) as out:
                    for line, mark in rows:
                        out.write(line.encode() + b"\n")
                        count += 1
                        if read.overlap is None:
                            content.update(f"{mark}\n".encode())
                        elif newest is None or mark > newest:
                            newest = mark
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        if read.overlap is None:
            digest = content.hexdigest()
            if state.digests.get(read.kind) == digest:
                count = 0
            state.digests[read.kind] = digest
        elif newest is not None:
            # Never past the collect's own instant: a row stamped ahead (a product clock
            # running fast) would otherwise hide the rows committed before its time. What
            # is read again until then, the ingest keeps once.
            newest = min(newest, self.collected_at)
            mark = state.watermarks.get(read.kind)
            state.watermarks[read.kind] = max(newest, mark) if mark else newest
        if count:
            self.pending[temporary] = final
        else:
            temporary.unlink()
        return count

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


def load_state(wh: storage.Warehouse, source: str) -> State:
    """The source's collect state (empty before its first collect)."""
    path = wh.collect_state(source)
    if not path.exists():
        return State()
    body = orjson.loads(path.read_bytes())
    return State(
        {kind: datetime.fromisoformat(mark) for kind, mark in body["watermarks"].items()},
        body.get("digests", {}),
    )


def save_state(wh: storage.Warehouse, source: str, state: State, collected_at: datetime) -> None:
    body = {
        "source": source,
        "collected_at": collected_at.isoformat(),
        "watermarks": {kind: mark.isoformat() for kind, mark in sorted(state.watermarks.items())},
        "digests": dict(sorted(state.digests.items())),
    }
    storage.write_bytes_atomic(
        wh.collect_state(source), orjson.dumps(body, option=orjson.OPT_INDENT_2)
    )


EARLIEST = datetime.fromisoformat("0001-01-01T00:00:00+00:00")


def land_reads(
    run: Collect,
    state: State,
    reads: list[Read],
    rows_of: Callable[[Read, datetime], Iterable[tuple[str, object]]],
) -> dict[str, int]:
    """Write every read's rows aside (rows_of(read, since) runs its query), land them all,
    then save the state; returns kind -> rows landed. On any error nothing is landed."""
    source = run.source
    files = Landing(run.raw, source, run.collected_at)
    counts: dict[str, int] = {}
    try:
        for read in reads:
            mark = state.watermarks.get(read.kind)
            since = max(mark - read.overlap, EARLIEST) if mark and read.overlap else EARLIEST
            run.say(
                f"collecting {source} {read.kind}"
                + (f" since {since:%Y-%m-%d %H:%M}" if mark else "")
            )
            counts[read.kind] = files.write(read, rows_of(read, since), state)
    except BaseException:
        files.discard()
        raise
    files.land()
    save_state(run.wh, source, state, run.collected_at)
    return counts
