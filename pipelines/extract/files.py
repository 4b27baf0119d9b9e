"""Find raw files and read them as numbered lines, surviving broken gzip and bad UTF-8."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

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


def _read_bytes(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes, decompressed as far as they go, and why reading stopped early."""
    if not path.name.endswith(".gz"):
        return path.read_bytes(), None
    decompressor = zlib.decompressobj(wbits=31)
    out: list[bytes] = []
    data = path.read_bytes()
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


def _batch(first_line: int, texts: list[str], broken: list[str | None] | None) -> pa.Table:
    """Lines numbered from first_line; blank ones dropped (they are skipped, not read)."""
    table = pa.table(
        {
            "_line": pa.array(range(first_line, first_line + len(texts)), pa.int64()),
            "raw": pa.array(texts, pa.string()),
            "broken": pa.array(broken, pa.string())
            if broken
            else pa.nulls(len(texts), pa.string()),
        }
    )
    blank = pc.equal(pc.utf8_trim_whitespace(table["raw"]), "")
    keep = pc.or_(pc.invert(blank), pc.is_valid(table["broken"]))
    return table.filter(keep)


def read_batches(path: Path) -> Iterator[pa.Table]:
    """The file's lines as Arrow batches of (_line, raw, broken).

    `broken` names why a line is rejected before JSON parsing: the rest of a file that is
    not UTF-8 from that line on, or the partial last line of a truncated gzip.
    """
    data, stopped = _read_bytes(path)
    tail = None
    if stopped is not None:
        cut = data.rfind(b"\n") + 1
        data, tail = data[:cut], data[cut:]
    try:
        text, rest = data.decode("utf-8"), b""
    except UnicodeDecodeError as exc:
        cut = data.rfind(b"\n", 0, exc.start) + 1
        text, rest = data[:cut].decode("utf-8"), data[cut:]
        bad_reason = f"not UTF-8 ({exc.reason} at byte {exc.start}); rest of file rejected"
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    lines = (
        [line[:-1] if line.endswith("\r") else line for line in lines] if "\r" in text else lines
    )
    for start in range(0, len(lines), CHUNK_LINES):
        yield _batch(start + 1, lines[start : start + CHUNK_LINES], None)
    number = len(lines) + 1
    if rest:
        pieces = rest.split(b"\n")
        if pieces[-1] == b"":
            pieces.pop()
        texts = [p.decode("utf-8", errors="replace") for p in pieces]
        yield _batch(number, texts, [bad_reason] * len(texts))
        number += len(texts)
    if stopped is not None:
        yield _batch(number, [tail.decode("utf-8", errors="replace")], [stopped])


def stray(raw_root: Path) -> list[str]:
    """Files outside every <source>/ folder: ignored, and reported by the run."""
    if not raw_root.is_dir():
        return []
    return sorted(
        p.relative_to(raw_root).as_posix()
        for p in raw_root.rglob("*")
        if p.is_file() and p.relative_to(raw_root).parts[0] not in records.SOURCES
    )
