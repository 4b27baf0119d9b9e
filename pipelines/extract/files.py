"""Find raw files and read them as numbered lines, surviving broken gzip and bad UTF-8."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines import records

SUFFIXES = (".ndjson", ".jsonl", ".json")
CHUNK_LINES = 200_000


@dataclass(frozen=True)
class RawFile:
    path: Path
    relative: str  # path below the raw root: the order in which copies are read
    kind: records.RecordKind


@dataclass
class Discovery:
    files: list[RawFile]
    ignored: list[str]  # anything in the tree that is not a raw log file


def _is_log_name(name: str) -> bool:
    base = name[:-3] if name.endswith(".gz") else name
    return base.endswith(SUFFIXES)


def discover(raw_root: Path, source: str | None = None) -> Discovery:
    """Every raw log file under <raw>/<source>/<kind>/** (one source, or all), in path order.

    With a source, only that source's folder is searched; stray files elsewhere are
    reported by the run that searches the whole tree.
    """
    files: list[RawFile] = []
    ignored: list[str] = []
    top = raw_root / source if source else raw_root
    if not top.is_dir():
        return Discovery(files, ignored)
    for path in sorted(p for p in top.rglob("*") if p.is_file()):
        relative = path.relative_to(raw_root).as_posix()
        parts = relative.split("/")
        kind = records.kind_for(parts[0], parts[1]) if len(parts) >= 3 else None
        if kind is None or not _is_log_name(path.name) or path.name.startswith("."):
            ignored.append(relative)
            continue
        files.append(RawFile(path, relative, kind))
    return Discovery(files, ignored)


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Line:
    number: int  # 1-based physical line number
    text: str
    broken: str | None = None  # why the line is rejected before JSON parsing, if it is


def _read_bytes(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes, decompressed as far as they go, and why reading stopped early."""
    if not path.name.endswith(".gz"):
        return path.read_bytes(), None
    decompressor = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        while data:
            out.append(decompressor.decompress(data))
            data = decompressor.unused_data
            if data:  # concatenated gzip members
                decompressor = zlib.decompressobj(wbits=31)
        out.append(decompressor.flush())
        if not decompressor.eof:
            return b"".join(out), "truncated gzip: the file ends before the end of the stream"
    except zlib.error as exc:
        return b"".join(out), f"corrupt gzip: {exc}"
    return b"".join(out), None


def read_lines(path: Path) -> Iterator[list[Line]]:
    """Numbered non-blank lines in chunks; what cannot be read comes as broken lines."""
    data, stopped = _read_bytes(path)
    pieces = data.split(b"\n")
    # The piece after the last newline is a partial line when reading stopped early.
    tail = pieces.pop() if stopped is not None else None
    if pieces and pieces[-1] == b"" and stopped is None:
        pieces.pop()
    chunk: list[Line] = []
    bad_utf8_from: int | None = None
    for index, piece in enumerate(pieces, start=1):
        if piece.endswith(b"\r"):
            piece = piece[:-1]
        if bad_utf8_from is None:
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_utf8_from = index
                reason = f"not UTF-8 ({exc.reason} at byte {exc.start}); rest of file rejected"
        if bad_utf8_from is not None:
            text = piece.decode("utf-8", errors="replace")
            if index > bad_utf8_from:
                reason = f"not UTF-8 from line {bad_utf8_from} on; rest of file rejected"
            chunk.append(Line(index, text, reason))
        elif text.strip():
            chunk.append(Line(index, text))
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if stopped is not None:
        chunk.append(
            Line(len(pieces) + 1, (tail or b"").decode("utf-8", errors="replace"), stopped)
        )
    if chunk:
        yield chunk


def stray(raw_root: Path) -> list[str]:
    """Files outside every <source>/ folder: ignored, and reported by the run."""
    if not raw_root.is_dir():
        return []
    return sorted(
        p.relative_to(raw_root).as_posix()
        for p in raw_root.rglob("*")
        if p.is_file() and p.relative_to(raw_root).parts[0] not in records.SOURCES
    )
