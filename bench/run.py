"""Benchmark: `make bench` (or `python bench/run.py --help`). Not a test: it prints figures.

Every measurement runs in a child process, so its wall time, CPU time and peak memory
(max RSS, from wait4) are its own:

- ingest of one generated day next to a bare DuckDB `read_json` -> Parquet of the same
  files, in the same run (events/s, MB/s, ratio), and the whole nightly run (extract,
  transform, checks, publish; no Prefect) of that day: the three taking turns
  (`--large-turns`, 3), the medians;
- dlt (readers -> Parquet, tuned per its performance guide, in a virtual environment of
  its own under bench/out, made when missing: not a dependency of the project) next to our
  ingest and bare DuckDB on a sample of that day (every kind, one line in eight);
- the ingest of three large days in one run (memory stays bounded; section `memory`);
- one new day on top of 7 and of 90 days of history (cost growth with history);
- publishing every configured report with 90 days of history, and answering on each
  history only the windows that answer alike on all of them (the cost of history itself,
  apart from windows holding more days);
- `serve` under load: 8 clients asking the published windows of a demo-sized warehouse
  while a nightly run commits a new day (latency, and every answer checked against the
  old and the new state);
- the command line's fixed costs on a demo warehouse (`make demo`'s 28 medium days): a
  `usage-warehouse run` with nothing new to do, and the one-line error of a run whose
  source's connection variable is unset or names a refused port;
- Prefect's fixed cost: a trivial flow against a running Prefect server (scheduled runs);
- the request path (section `requests`, request_path.py): `serve` answering requests it has
  not answered before, per endpoint, with one client and with 8 concurrent ones, on a
  generated Coder deployment of 300 users and of 3,000; with `--baseline REV`, the code of
  a git revision taking turns with this one, every answer's bytes compared.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from common import NEW_DAY, OUT, ROOT, digest, generate, published_windows, wait_for
from request_path import requests_rows

if TYPE_CHECKING:
    from pipelines.records import RecordKind


BARE = """
import sys, duckdb
from pathlib import Path
raw, out = Path(sys.argv[1]), Path(sys.argv[2])
con = duckdb.connect()
con.execute("set TimeZone = 'UTC'")
con.execute("set enable_progress_bar = false")
for kind_dir in sorted(p for p in raw.glob("*/*") if p.is_dir()):
    files = [str(f) for f in sorted(kind_dir.rglob("*.ndjson*"))]
    if not files:
        continue
    target = out / f"{kind_dir.parent.name}_{kind_dir.name}.parquet"
    con.execute(
        f"copy (select * from read_json({files!r}, format='newline_delimited', ignore_errors=true, "
        f"union_by_name=true)) to '{target}' (format parquet, compression zstd)"
    )
"""

# dlt's filesystem readers -> Parquet files, a table per kind, tuned as its performance
# guide says (no compression, files of 100,000 items, two normalize workers).
DLT = """
import os, sys
from pathlib import Path
os.environ.update(
    DATA_WRITER__DISABLE_COMPRESSION="true",
    DATA_WRITER__FILE_MAX_ITEMS="100000",
    NORMALIZE__WORKERS="2",
    RUNTIME__LOG_LEVEL="WARNING",
)
import dlt
from dlt.sources.filesystem import filesystem, read_jsonl
raw, out = Path(sys.argv[1]), Path(sys.argv[2])
resources = [
    (filesystem(bucket_url=kind_dir.as_uri(), file_glob="**/*.ndjson") | read_jsonl()).with_name(
        f"{kind_dir.parent.name}_{kind_dir.name}"
    )
    for kind_dir in sorted(p for p in raw.glob("*/*") if p.is_dir())
]
pipeline = dlt.pipeline(
    "bench", destination=dlt.destinations.filesystem((out / "data").as_uri()),
    dataset_name="raw", pipelines_dir=str(out / "pipelines"),
)
info = pipeline.run(resources, loader_file_format="parquet")
info.raise_on_failed_jobs()
print(sum(pipeline.last_trace.last_normalize_info.row_counts.values()))
"""
DLT_VERSION = "1.31.0"
SAMPLE_EVERY = 8  # the sample: one line in eight of every raw file

INGEST = """
import sys
from datetime import date
from pathlib import Path
from pipelines.storage import Warehouse
from pipelines.extract.ingest import ingest
r = ingest(Warehouse(sys.argv[2]), Path(sys.argv[1]), "bench", date(2026, 6, 1))
print(r.lines_read)
"""

NIGHTLY = """
import json, sys
from datetime import datetime
from pathlib import Path
from pipelines import pipeline, storage
from pipelines.config import load_settings
settings = load_settings(sys.argv[3])
s = pipeline.run_nightly(settings, storage.Warehouse(sys.argv[2]), Path(sys.argv[1]),
                         datetime.fromisoformat(sys.argv[4]))
print(json.dumps(s.seconds))
"""

PUBLISH = """
import sys, time
from datetime import datetime
from pipelines import publish, storage
from pipelines.config import load_settings
settings = load_settings(sys.argv[2])
wh = storage.Warehouse(sys.argv[1])
start = time.perf_counter()
result = publish.publish(storage.Catalog.load(wh), settings, datetime.fromisoformat(sys.argv[3]),
                         "bench-publish", datetime.fromisoformat(sys.argv[3]))
print(len(result.files), time.perf_counter() - start)
"""

ANSWER = """
import sys, time
from datetime import datetime
from pipelines import endpoints, storage
from pipelines.config import load_settings
from pipelines.endpoints.base import Context, open_session
settings = load_settings(sys.argv[2])
start = time.perf_counter()
con = open_session(storage.Warehouse(sys.argv[1]))
ctx = Context(con, datetime.fromisoformat(sys.argv[3]), settings)
for target in sys.argv[4:]:
    status, _ = endpoints.call(ctx, target.lstrip("/"))
    assert status == 200, target
print(time.perf_counter() - start)
"""

TRIVIAL_FLOW = """
from prefect import flow
@flow
def trivial():
    return 1
trivial()
"""


class Measured(NamedTuple):
    seconds: float  # wall time
    peak_mb: float  # max RSS
    out: str  # the last line printed
    cpu: float  # user + system seconds of every thread: steadier than wall on a shared machine


def measure(
    script: str, *args: str, env: dict | None = None, python: Path | None = None
) -> Measured:
    """What one child process took (run by python: this one unless given)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(python or sys.executable), "-c", script, *args],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise RuntimeError(f"benchmark step failed ({status}): {script.splitlines()[1:3]}")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return Measured(seconds, usage.ru_maxrss / 1024, last, usage.ru_utime + usage.ru_stime)


CLIENTS = 8
SERVE_SECONDS = 180  # at most


def stage_history(
    history: Path, staged: Path, last: date, with_last: bool, first: date | None = None
) -> None:
    """Hard-link a generated tree into staged: its days from `first` (all when None)
    before the last, or the last day alone. A history cut at `first` starts the way a
    warehouse that began collecting that day does: its first collect lands every
    snapshot kind's state (the latest version of each key), not that day's changes only."""
    for path in history.glob("*/*/*/*/*/*"):  # <source>/<kind>/YYYY/MM/DD/<file>
        day = datetime.strptime("/".join(path.relative_to(history).parts[2:5]), "%Y/%m/%d").date()
        if (day == last) == with_last and (first is None or day >= first):
            target = staged / path.relative_to(history)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    if first is not None and not with_last:
        from pipelines import records

        for kind in records.KINDS:
            if kind.sort == "snapshot":
                land_initial_state(history, staged, kind, first)


def _version_time(record: dict, expression: str | None) -> datetime | None:
    """A snapshot record's version time: the first present field of the kind's time
    expression (a column or a coalesce of columns); Rocket.Chat wraps it in {"$date": }."""
    for name in re.findall(r"\w+", expression or ""):
        value = record.get(name)
        if isinstance(value, dict):
            value = value.get("$date")
        if name != "coalesce" and value is not None:
            return datetime.fromisoformat(value)
    return None


def land_initial_state(history: Path, staged: Path, kind: RecordKind, first: date) -> None:
    """Write the state of one snapshot kind before `first` (per key, its latest version;
    a tie or no time: the last read) into the first day's folder, as the first collect of
    a warehouse started that day lands it."""
    latest: dict[tuple, tuple[datetime | None, bytes]] = {}
    for path in sorted((history / kind.source / kind.kind).glob("*/*/*/*")):
        day = datetime.strptime("/".join(path.parts[-4:-1]), "%Y/%m/%d").date()
        if day >= first:
            continue
        for line in path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a broken line is a reject, not state
                continue
            key = tuple(json.dumps(record.get(field)) for field in kind.key)
            at = _version_time(record, kind.time)
            if key not in latest or at is None or latest[key][0] is None or at >= latest[key][0]:
                latest[key] = (at, line)
    if latest:
        folder = staged / kind.source / kind.kind / first.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        lines = b"".join(line + b"\n" for _, line in latest.values())
        (folder / f"{kind.kind}-state-before-{first:%Y%m%d}.ndjson").write_bytes(lines)


def bodies(wh: Path, config: str, targets: list[str], now: datetime) -> dict[str, bytes]:
    """What `report` answers for each target: the state a served answer must equal."""
    from pipelines import endpoints, storage
    from pipelines.config import load_settings
    from pipelines.endpoints.base import Context
    from pipelines.publish import dumps

    con = storage.open_warehouse(storage.Warehouse(wh))
    try:
        ctx = Context(con, now, load_settings(config))
        return {t: dumps(endpoints.call(ctx, t.lstrip("/"))[1]) for t in targets}
    finally:
        con.close()


def load_serve(
    port: int, targets: list[str], busy: threading.Event
) -> list[tuple[str, int, float, str]]:
    """CLIENTS threads ask the targets in turn until the run is over and two more seconds
    have passed (or SERVE_SECONDS); returns (target, status, seconds, body hash) of every
    answer."""
    answers: list[tuple[str, int, float, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SERVE_SECONDS
    after_run: list[float] = []

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = offset
        while time.monotonic() < deadline:
            if not busy.is_set():
                if not after_run:
                    after_run.append(time.monotonic() + 2)
                if time.monotonic() > after_run[0]:
                    return
            target = targets[n % len(targets)]
            started = time.perf_counter()
            conn.request("GET", target)
            response = conn.getresponse()
            body = response.read()
            seconds = time.perf_counter() - started
            with lock:
                answers.append((target, response.status, seconds, digest(body)))
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def measure_serve(config: str, history: Path, new_day: date, now: datetime) -> tuple[str, str, str]:
    """serve under load while a nightly run commits a new day; answers checked."""
    from pipelines import scheduling

    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        staged, wh = Path(tmp) / "raw", Path(tmp) / "wh"
        staged.mkdir()
        stage_history(history, staged, new_day, with_last=False)
        measure(NIGHTLY, str(staged), str(wh), config, now.isoformat())
        targets = published_windows(config, now)
        before = bodies(wh, config, targets, now)
        port = scheduling.free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipelines",
                "serve",
                "--warehouse",
                str(wh),
                "--port",
                str(port),
                "--now",
                now.isoformat(),
                "--config",
                config,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for target in targets:  # a server that has answered before: its first round
                warm.request("GET", target)
                warm.getresponse().read()
            stage_history(history, staged, new_day, with_last=True)
            busy = threading.Event()
            busy.set()
            run = subprocess.Popen(
                [sys.executable, "-c", NIGHTLY, str(staged), str(wh), config, now.isoformat()],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            threading.Thread(target=lambda: (run.wait(), busy.clear()), daemon=True).start()
            started = time.perf_counter()
            answers = load_serve(port, targets, busy)
            elapsed = time.perf_counter() - started
            run.wait()
            if run.returncode:
                raise RuntimeError("the nightly run under load failed")
        finally:
            server.terminate()
            server.wait(timeout=30)
        after = bodies(wh, config, targets, now)
    errors = sum(status >= 500 for _, status, _, _ in answers)
    mixed = sum(body not in (digest(before[t]), digest(after[t])) for t, _, _, body in answers)
    latencies = sorted(seconds for _, _, seconds, _ in answers)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    changed = sum(before[t] != after[t] for t in targets)
    return (
        f"serve: {CLIENTS} clients, {len(targets)} windows, during a run",
        f"{len(answers) / elapsed:,.0f} req/s",
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (target < 200 ms), slowest {latencies[-1] * 1000:.0f} ms; "
        f"{len(answers):,} answers in {elapsed:.0f} s, {errors} 5xx, {mixed} neither the old nor "
        f"the new state ({changed} windows changed)",
    )


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def dlt_python() -> Path:
    """The Python of bench/out/dlt-venv, with dlt installed (made when missing)."""
    venv = OUT / "dlt-venv"
    python = venv / "bin" / "python"
    marker = venv / f".dlt-{DLT_VERSION}"
    if not marker.exists():
        print(f"installing dlt {DLT_VERSION} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, f"dlt[filesystem,parquet]=={DLT_VERSION}"], check=True)
        marker.touch()
    return python


def sample(day: Path, out: Path) -> Path:
    """One line in SAMPLE_EVERY of every raw file of day, at the same paths (made once)."""
    marker = out / ".complete"
    if not marker.exists():
        print(f"sampling one line in {SAMPLE_EVERY} of {day} into {out} ...", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        for path in sorted(day.rglob("*.ndjson")):
            target = out / path.relative_to(day)
            target.parent.mkdir(parents=True, exist_ok=True)
            with path.open("rb") as lines, target.open("wb") as kept:
                kept.writelines(line for n, line in enumerate(lines) if n % SAMPLE_EVERY == 0)
        marker.touch()
    return out


def dlt_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    """A sample of the large day: dlt, our ingest and bare DuckDB, in one run."""
    python = dlt_python()
    day = generate(OUT / f"raw-{args.scale}-1day", 1, NEW_DAY, args.scale)
    part = sample(day, OUT / f"raw-{args.scale}-1day-sample{SAMPLE_EVERY}")
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        bare = measure(BARE, str(part), tmp)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        ours = measure(INGEST, str(part), tmp)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        dlt = measure(DLT, str(part), tmp, python=python)
    events = int(ours.out)
    return [
        (
            "sample input",
            f"{events:,} events, {size_mb(part):,.0f} MB",
            f"scale {args.scale}, 1 day, every kind, one line in {SAMPLE_EVERY}",
        ),
        (
            "sample: bare DuckDB read_json -> Parquet",
            f"{bare.seconds:.1f} s",
            f"cpu {bare.cpu:.1f} s",
        ),
        (
            "sample: our ingest",
            f"{ours.seconds:.1f} s",
            f"peak {ours.peak_mb:,.0f} MB, cpu {ours.cpu:.1f} s; "
            f"{ours.seconds / bare.seconds:.2f}x bare",
        ),
        (
            f"sample: dlt {DLT_VERSION} readers -> Parquet",
            f"{dlt.seconds:.1f} s",
            f"{int(dlt.out):,} rows (child tables too), peak {dlt.peak_mb:,.0f} MB, "
            f"cpu {dlt.cpu:.1f} s",
        ),
        (
            "sample: dlt / our ingest",
            f"{dlt.seconds / ours.seconds:.2f}x",
            f"target >= 5x; cpu {dlt.cpu / ours.cpu:.2f}x",
        ),
    ]


def _median(runs: list[Measured]) -> Measured:
    """The run of median wall time (its CPU and peak with it)."""
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


def ingest_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    """One large day: bare DuckDB, our ingest, the whole nightly run, taking turns
    `--large-turns` times (a shared machine's speed drifts by a third within minutes: one
    turn's ratio is as much the machine's as the code's); the medians, and each turn's
    ratios."""
    day = generate(OUT / f"raw-{args.scale}-1day", 1, NEW_DAY, args.scale)
    mb = size_mb(day)
    bares, ourses, nights = [], [], []
    for _ in range(args.large_turns):
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            bares.append(measure(BARE, str(day), tmp))
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            ourses.append(measure(INGEST, str(day), tmp))
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            nights.append(measure(NIGHTLY, str(day), tmp, config, now))
    bare, ours, night = _median(bares), _median(ourses), _median(nights)
    events = int(ours.out)
    turns = f"median of {args.large_turns}" if args.large_turns > 1 else "one turn"

    def each(runs: list[Measured]) -> str:
        if len(runs) < 2:
            return ""
        ratios = ", ".join(
            f"{r.seconds / b.seconds:.2f}x" for r, b in zip(runs, bares, strict=True)
        )
        return f"; each turn {ratios}"

    return [
        ("input", f"{events:,} events, {mb:,.0f} MB", f"scale {args.scale}, 1 day"),
        (
            "bare DuckDB read_json -> Parquet",
            f"{bare.seconds:.1f} s",
            f"{events / bare.seconds:,.0f} ev/s, {mb / bare.seconds:.1f} MB/s, "
            f"peak {bare.peak_mb:,.0f} MB, cpu {bare.cpu:.1f} s; {turns}",
        ),
        (
            "our ingest (validate, dedupe, land)",
            f"{ours.seconds:.1f} s",
            f"{events / ours.seconds:,.0f} ev/s, {mb / ours.seconds:.1f} MB/s, "
            f"peak {max(r.peak_mb for r in ourses):,.0f} MB, cpu {ours.cpu:.1f} s; {turns}",
        ),
        (
            "ingest / bare",
            f"{ours.seconds / bare.seconds:.2f}x",
            f"target <= 1.5x; cpu {ours.cpu / bare.cpu:.2f}x{each(ourses)}",
        ),
        (
            "whole nightly run, no Prefect",
            f"{night.seconds:.1f} s",
            f"peak {max(r.peak_mb for r in nights):,.0f} MB, cpu {night.cpu:.1f} s; "
            f"{night.seconds / bare.seconds:.2f}x bare ingest (target <= 2.5x, < 2 GB)"
            f"{each(nights)}",
        ),
    ]


def memory_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    """Three large weekdays landed in one run: memory stays bounded whatever the input."""
    days = generate(OUT / f"raw-{args.scale}-3weekdays", 3, NEW_DAY, args.scale)  # Mon-Wed
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        ours = measure(INGEST, str(days), tmp)
    return [
        (
            "ingest of three large weekdays in one run",
            f"{ours.seconds:.1f} s",
            f"{int(ours.out):,} events, {size_mb(days):,.0f} MB; "
            f"peak {ours.peak_mb:,.0f} MB (target < 2 GB), cpu {ours.cpu:.1f} s",
        )
    ]


def history_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    """One new day on short and long histories, and publishing on the long one."""
    rows, history_cost = [], {}
    lengths = sorted(int(n) for n in args.histories.split(","))
    # One tree: every history is its last days, and the new day is the same for all.
    history = generate(
        OUT / f"raw-{args.history_scale}-{max(lengths)}days",
        max(lengths) + 1,
        NEW_DAY - timedelta(days=max(lengths)),
        args.history_scale,
    )
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        # Land each history first; the runs that add the last day come after.
        staged, landed = {}, {}
        for days in lengths:
            staged[days], landed[days] = Path(tmp) / f"raw-{days}", Path(tmp) / f"landed-{days}"
            staged[days].mkdir()
            stage_history(history, staged[days], NEW_DAY, False, NEW_DAY - timedelta(days=days))
            measure(NIGHTLY, str(staged[days]), str(landed[days]), config, now)
            stage_history(history, staged[days], NEW_DAY, with_last=True)
        # A run of a few seconds varies here by a fifth, and the machine's speed drifts
        # over minutes: the histories take turns, each run from a fresh copy of its
        # landed history, and the medians are compared.
        runs = {days: [] for days in lengths}
        peak = dict.fromkeys(lengths, 0.0)
        wh = {days: Path(tmp) / f"wh-{days}" for days in lengths}
        for _ in range(args.repeats):
            for days in lengths:
                shutil.rmtree(wh[days], ignore_errors=True)
                shutil.copytree(landed[days], wh[days], symlinks=True)
                seconds, mem, out, _ = measure(
                    NIGHTLY, str(staged[days]), str(wh[days]), config, now
                )
                runs[days].append({"whole run": seconds, **json.loads(out)})
                peak[days] = max(peak[days], mem)
        for days in lengths:
            history_cost[days] = {
                k: statistics.median(r[k] for r in runs[days]) for k in runs[days][0]
            }
            stages = ", ".join(
                f"{k} {v:.2f}" for k, v in history_cost[days].items() if k != "whole run"
            )
            rows.append(
                (
                    f"one new day on {days} days of history",
                    f"{history_cost[days]['whole run']:.1f} s",
                    f"median of {args.repeats}, peak {peak[days]:,.0f} MB "
                    f"(scale {args.history_scale}); seconds: {stages}",
                )
            )
        targets = published_windows(config, datetime.fromisoformat(now))
        same = same_answers(wh, config, targets, now)
        rows.append(same_row(wh, same, len(targets)))
        rows.append(alike_growth(wh, same, config, now, args.repeats))
        # The last run's warehouse: the longest history with the new day.
        out = measure(PUBLISH, str(wh[lengths[-1]]), config, now).out
        count, publish_s = out.split()
        rows.append(
            (
                f"publish all {count} reports, {lengths[-1]} days of history",
                f"{float(publish_s):.2f} s",
                "target < 5 s",
            )
        )
    if len(history_cost) >= 2:
        lo, hi = min(history_cost), max(history_cost)
        for stage, seconds in history_cost[hi].items():
            if stage in history_cost[lo] and history_cost[lo][stage] > 0:
                # The ratio of each turn's two runs: how far one turn alone could stray.
                turns = sorted(
                    long[stage] / short[stage]
                    for short, long in zip(runs[lo], runs[hi], strict=True)
                    if short[stage] > 0
                )
                rows.append(
                    (
                        f"history growth {hi} vs {lo} days: {stage}",
                        f"{seconds / history_cost[lo][stage]:.2f}x",
                        f"{history_cost[lo][stage]:.2f} s -> {seconds:.2f} s "
                        f"(turns {turns[0]:.2f}x-{turns[-1]:.2f}x); target <= 1.2x",
                    )
                )
    return rows


def same_answers(wh: dict[int, Path], config: str, targets: list[str], now: str) -> list[str]:
    """The windows of targets that answer alike on every history: those within the
    shortest (the histories hold the same product state and the same recent days)."""
    answers = [bodies(w, config, targets, datetime.fromisoformat(now)) for w in wh.values()]
    return [t for t in targets if len({a[t] for a in answers}) == 1]


def same_row(wh: dict[int, Path], same: list[str], total: int) -> tuple[str, str, str]:
    return (
        f"windows answering alike on {' and '.join(map(str, wh))} days of history",
        f"{len(same)} of {total}",
        "; ".join(same) or "none",
    )


def alike_growth(
    wh: dict[int, Path], same: list[str], config: str, now: str, repeats: int
) -> tuple[str, str, str]:
    """Answering only the windows alike on every history (a session like publish's, one
    child process a run, the histories taking turns): what history itself costs, apart
    from longer windows holding more days on the longer history."""
    runs: dict[int, list[float]] = {days: [] for days in wh}
    for _ in range(repeats):
        for days, folder in wh.items():
            out = measure(ANSWER, str(folder), config, now, *same).out
            runs[days].append(float(out))
    lo, hi = min(wh), max(wh)
    short, long = statistics.median(runs[lo]), statistics.median(runs[hi])
    return (
        f"history growth {hi} vs {lo} days: the {len(same)} windows alike",
        f"{long / short:.2f}x",
        f"{short:.2f} s -> {long:.2f} s (session and answers; median of {repeats})",
    )


def serve_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    demo = generate(
        OUT / f"raw-medium-{args.demo_days}days",
        args.demo_days + 1,
        NEW_DAY - timedelta(days=args.demo_days),
        "medium",
    )
    return [measure_serve(config, demo, NEW_DAY, datetime.fromisoformat(now))]


def command(folder: Path, *args: str, env: dict | None = None, ok: bool = True) -> float:
    """Wall seconds of one `usage-warehouse` command run in folder, as a user types it."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=folder, env=env, capture_output=True
    )
    seconds = time.perf_counter() - start
    if (done.returncode == 0) != ok:
        raise RuntimeError(f"usage-warehouse {' '.join(args)}: {done.stderr.decode()[-500:]}")
    return seconds


def cli_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    """The command line's fixed costs on a demo warehouse: medians of `--repeats` runs."""
    raw = generate(OUT / "raw-demo", 28, NEW_DAY - timedelta(days=27), "medium")
    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        site = Path(folder)
        shutil.copy(config, site / "flows.yaml")
        (site / "warehouse").mkdir()
        (site / "warehouse" / "raw").symlink_to(raw)
        command(site, "run", "--now", now)  # the demo's first run
        idle = [command(site, "run", "--now", now) for _ in range(args.repeats)]
        with_source = site / "source.yaml"
        with_source.write_text(
            (site / "flows.yaml").read_text() + "sources:\n  coder: {dsn_env: BENCH_CODER_DSN}\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "BENCH_CODER_DSN"}
        unset = [
            command(site, "run", "--config", str(with_source), env=env, ok=False)
            for _ in range(args.repeats)
        ]
        refused_env = env | {"BENCH_CODER_DSN": "postgresql://reader:pw@127.0.0.1:1/coder"}
        refused = [
            command(site, "run", "--config", str(with_source), env=refused_env, ok=False)
            for _ in range(args.repeats)
        ]
    median = statistics.median
    return [
        (
            "`run` with nothing new to do (demo warehouse)",
            f"{median(idle):.2f} s",
            f"median of {args.repeats} ({min(idle):.2f}-{max(idle):.2f} s); target < 3 s",
        ),
        (
            "`run` with its source's DSN variable unset",
            f"{median(unset):.2f} s",
            f"one-line error; median of {args.repeats}; target < 2 s",
        ),
        (
            "`run` with its source's database refusing",
            f"{median(refused):.2f} s",
            f"one-line error, the run recorded failed; median of {args.repeats}",
        ),
    ]


def prefect_rows(args: argparse.Namespace, config: str, now: str) -> list[tuple[str, str, str]]:
    from pipelines import scheduling

    with tempfile.TemporaryDirectory(dir=OUT) as home:
        port = scheduling.free_port()
        server = scheduling.start_server(Path(home), port, Path(home) / "server.log")
        try:
            env = scheduling.server_env(Path(home), port)
            measure(TRIVIAL_FLOW, env=env)  # warm-up: first client start
            flow_s = measure(TRIVIAL_FLOW, env=env).seconds
            import_s = measure("import prefect", env=env).seconds
        finally:
            scheduling.stop_server(server)
    return [
        (
            "Prefect fixed cost (trivial flow, running server)",
            f"{flow_s:.1f} s",
            f"of which importing Prefect {import_s:.1f} s",
        )
    ]


SECTIONS = {
    "ingest": ingest_rows,
    "dlt": dlt_rows,
    "memory": memory_rows,
    "history": history_rows,
    "serve": serve_rows,
    "cli": cli_rows,
    "prefect": prefect_rows,
    "requests": requests_rows,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", help="scale of the measured day")
    parser.add_argument("--history-scale", default="medium", help="scale of history days")
    parser.add_argument("--histories", default="7,90", help="history lengths to compare")
    parser.add_argument("--repeats", type=int, default=5, help="new-day runs per history")
    parser.add_argument("--demo-days", type=int, default=28, help="days of the served warehouse")
    parser.add_argument(
        "--request-sizes",
        default="requests,requests-10x",
        help="scales of the request path's deployment (requests: 300 Coder users; requests-10x)",
    )
    parser.add_argument(
        "--request-count", type=int, default=60, help="random requests per endpoint and pass"
    )
    parser.add_argument("--turns", type=int, default=1, help="request-path passes per code")
    parser.add_argument(
        "--large-turns",
        type=int,
        default=3,
        help="turns of bare DuckDB, our ingest and the nightly run on the large day",
    )
    parser.add_argument(
        "--baseline",
        help="a git revision whose code answers the request path's requests too, taking "
        "turns; every answer's bytes compared",
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run, of {', '.join(SECTIONS)}"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    config = str(ROOT / "flows.yaml")
    now = f"{NEW_DAY + timedelta(days=1)}T06:00:00+00:00"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    for section in args.only.split(","):  # each section's rows as soon as it ends
        for name, value, note in SECTIONS[section](args, config, now):
            print(f"{name:<48}  {value:>12}  {note}", flush=True)


if __name__ == "__main__":
    main()
