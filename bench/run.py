"""Benchmark: `make bench` (or `python bench/run.py --help`). Not a test: it prints figures.

Every measurement runs in a child process, so its wall time and peak memory (max RSS,
from wait4) are its own:

- ingest of one generated day next to a bare DuckDB `read_json` -> Parquet of the same
  files, in the same run (events/s, MB/s, ratio);
- the whole nightly run (extract, transform, checks, publish; no Prefect) of that day;
- one new day on top of 7 and of 90 days of history (cost growth with history);
- publishing every configured report with 90 days of history;
- Prefect's fixed cost: a trivial flow against a running Prefect server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
NEW_DAY = date(2026, 6, 1)

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
import sys
from datetime import datetime
from pathlib import Path
from pipelines import pipeline, storage
from pipelines.config import load_settings
settings = load_settings(sys.argv[3])
s = pipeline.run_nightly(settings, storage.Warehouse(sys.argv[2]), Path(sys.argv[1]),
                         datetime.fromisoformat(sys.argv[4]))
print(s.lines_read, s.seconds.get("publish", 0.0))
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

TRIVIAL_FLOW = """
from prefect import flow
@flow
def trivial():
    return 1
trivial()
"""


def measure(script: str, *args: str, env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak MB, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
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
    return seconds, usage.ru_maxrss / 1024, last


def generate(out: Path, days: int, start: date, scale: str) -> Path:
    """Generate once and reuse: a marker file says the tree is complete."""
    marker = out / ".complete"
    if not marker.exists():
        from pipelines.generate import generate as write_tree

        print(f"generating {days} day(s) at scale {scale} into {out} ...", flush=True)
        write_tree(out, days, start, scale, 7, False)
        marker.touch()
    return out


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", help="scale of the measured day")
    parser.add_argument("--history-scale", default="medium", help="scale of history days")
    parser.add_argument("--histories", default="7,90", help="history lengths to compare")
    parser.add_argument("--skip-prefect", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    config = str(ROOT / "flows.yaml")
    rows: list[tuple[str, str, str]] = []

    day = generate(OUT / f"raw-{args.scale}-1day", 1, NEW_DAY, args.scale)
    mb = size_mb(day)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        bare_s, bare_mem, _ = measure(BARE, str(day), tmp)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        ours_s, ours_mem, lines = measure(INGEST, str(day), tmp)
    events = int(lines)
    rows += [
        ("input", f"{events:,} events, {mb:,.0f} MB", f"scale {args.scale}, 1 day"),
        (
            "bare DuckDB read_json -> Parquet",
            f"{bare_s:.1f} s",
            f"{events / bare_s:,.0f} ev/s, {mb / bare_s:.1f} MB/s, peak {bare_mem:,.0f} MB",
        ),
        (
            "our ingest (validate, dedupe, land)",
            f"{ours_s:.1f} s",
            f"{events / ours_s:,.0f} ev/s, {mb / ours_s:.1f} MB/s, peak {ours_mem:,.0f} MB",
        ),
        ("ingest / bare", f"{ours_s / bare_s:.2f}x", "target <= 1.3x"),
    ]
    now = f"{NEW_DAY + timedelta(days=1)}T06:00:00+00:00"
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        night_s, night_mem, _ = measure(NIGHTLY, str(day), tmp, config, now)
    rows += [
        (
            "whole nightly run, no Prefect",
            f"{night_s:.1f} s",
            f"peak {night_mem:,.0f} MB; {night_s / bare_s:.2f}x bare ingest (target <= 2x, < 2 GB)",
        ),
    ]

    history_cost = {}
    for days in [int(n) for n in args.histories.split(",")]:
        history = generate(
            OUT / f"raw-{args.history_scale}-{days}days",
            days + 1,
            NEW_DAY - timedelta(days=days),
            args.history_scale,
        )
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            # Land the history first, then time the run that adds the last day.
            staged = Path(tmp) / "raw"
            staged.mkdir()
            last = NEW_DAY.strftime("%Y/%m/%d")
            for path in history.rglob("*"):
                if path.is_file() and last not in path.as_posix():
                    target = staged / path.relative_to(history)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, target)
            measure(NIGHTLY, str(staged), str(Path(tmp) / "wh"), config, now)
            for path in history.rglob("*"):
                if path.is_file() and last in path.as_posix():
                    target = staged / path.relative_to(history)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, target)
            seconds, mem, _ = measure(NIGHTLY, str(staged), str(Path(tmp) / "wh"), config, now)
            history_cost[days] = seconds
            rows.append(
                (
                    f"one new day on {days} days of history",
                    f"{seconds:.1f} s",
                    f"peak {mem:,.0f} MB (scale {args.history_scale})",
                )
            )
            if days == max(int(n) for n in args.histories.split(",")):
                _, _, out = measure(PUBLISH, str(Path(tmp) / "wh"), config, now)
                count, publish_s = out.split()
                rows.append(
                    (
                        f"publish all {count} reports, {days} days of history",
                        f"{float(publish_s):.2f} s",
                        "target < 5 s",
                    )
                )
    if len(history_cost) >= 2:
        lo, hi = min(history_cost), max(history_cost)
        rows.append(
            (
                f"history growth {hi} vs {lo} days",
                f"{history_cost[hi] / history_cost[lo]:.2f}x",
                "target <= 1.2x",
            )
        )

    if not args.skip_prefect:
        from pipelines import scheduling

        with tempfile.TemporaryDirectory(dir=OUT) as home:
            port = scheduling.free_port()
            server = scheduling.start_server(Path(home), port, Path(home) / "server.log")
            try:
                env = scheduling.server_env(Path(home), port)
                measure(TRIVIAL_FLOW, env=env)  # warm-up: first client start
                flow_s, _, _ = measure(TRIVIAL_FLOW, env=env)
                import_s, _, _ = measure("import prefect", env=env)
            finally:
                scheduling.stop_server(server)
        rows.append(
            (
                "Prefect fixed cost (trivial flow, running server)",
                f"{flow_s:.1f} s",
                f"of which importing Prefect {import_s:.1f} s",
            )
        )

    width = max(len(r[0]) for r in rows)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
