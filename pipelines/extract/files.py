"""Find raw files and read them as numbered lines, surviving broken gzip and bad UTF-8."""

from __future__ import annotations

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
    """A content fingerprint that notices a changed file (CRC-32 of the bytes, with the size).

    CRC-32 rather than a cryptographic hash: it only has to tell an edit from no edit, and
    it runs at memory speed on the nightly gigabytes.
    """
    crc = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            crc = zlib.crc32(block, crc)
    return f"crc32:{crc:08x}:{path.stat().st_size}"


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


NEWLINE = pa.scalar(10, pa.uint8())


def _split_lines(data: bytes) -> pa.LargeStringArray:
    """Lines of UTF-8 bytes as an Arrow array, each keeping its newline: no copy, no
    Python object per line (a newline is JSON whitespace, so parsing ignores it).
    Raises pa.ArrowInvalid when the bytes are not UTF-8."""
    buffer = pa.py_buffer(data)
    as_bytes = pa.Array.from_buffers(pa.uint8(), len(data), [None, buffer])
    ends = pc.add(pc.indices_nonzero(pc.equal(as_bytes, NEWLINE)), 1).cast(pa.int64())
    bounds = [pa.array([0], pa.int64()), ends]
    if data and not data.endswith(b"\n"):
        bounds.append(pa.array([len(data)], pa.int64()))
    offsets = pa.concat_arrays(bounds)
    lines = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, offsets.buffers()[1], buffer]
    )
    return lines.cast(pa.large_string())


def _batches(first_line: int, lines: pa.Array, broken: str | None) -> Iterator[pa.Table]:
    """Numbered lines in batches; each batch in record batches DuckDB scans in parallel."""
    for start in range(0, len(lines), CHUNK_LINES):
        chunk = lines.slice(start, CHUNK_LINES)
        first = first_line + start
        table = pa.table(
            {
                "_line": pa.array(range(first, first + len(chunk)), pa.int64()),
                "raw": chunk,
                "broken": pa.array([broken] * len(chunk), pa.string())
                if broken
                else pa.nulls(len(chunk), pa.string()),
            }
        )
        yield pa.Table.from_batches(table.to_batches(max_chunksize=16_384))


def read_batches(path: Path) -> Iterator[pa.Table]:
    """The file's lines as Arrow batches of (_line, raw, broken); blank lines are still in.

    `broken` names why a line is rejected before JSON parsing: the rest of a file that is
    not UTF-8 from that line on, or the partial last line of a truncated gzip.
    """
    data, stopped = _read_bytes(path)
    tail = b""
    if stopped is not None:
        cut = data.rfind(b"\n") + 1
        data, tail = data[:cut], data[cut:]
    try:
        good, rest = _split_lines(data), b""
    except pa.ArrowInvalid:
        # Rare: find the first bad byte; its line and everything after are rejected.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            cut = data.rfind(b"\n", 0, exc.start) + 1
            bad_reason = f"not UTF-8 ({exc.reason} at byte {exc.start}); rest of file rejected"
        good, rest = _split_lines(data[:cut]), data[cut:]
    yield from _batches(1, good, None)
    number = len(good) + 1
    if rest:
        texts = rest.decode("utf-8", errors="replace").split("\n")
        if texts[-1] == "":
            texts.pop()
        yield from _batches(number, pa.array(texts, pa.large_string()), bad_reason)
        number += len(texts)
    if stopped is not None:
        yield from _batches(
            number, pa.array([tail.decode("utf-8", errors="replace")], pa.large_string()), stopped
        )


def stray(raw_root: Path) -> list[str]:
    """Files outside every <source>/ folder: ignored, and reported by the run."""
    if not raw_root.is_dir():
        return []
    return sorted(
        p.relative_to(raw_root).as_posix()
        for p in raw_root.rglob("*")
        if p.is_file() and p.relative_to(raw_root).parts[0] not in records.SOURCES
    )
