"""The request path (`bench/run.py --only requests`): `serve` answering requests it has
not answered before, per endpoint, at two sizes of one deployment.

A generated deployment (scale `requests`: Coder with 300 users and 6 templates, an agent
report every 30 s while a workspace runs, about 2.4 million reports and 10,000 app sessions
over 60 days; the other products demo-sized) is run into a warehouse, and `serve` answers
it on loopback with every scope's credentials, as of a fixed instant (`--now`, the run's).
The requests: the eighteen windows of issue 30 (Coder's templates insights over 7 and 28
days by day and by week, of all templates and of one; user activity and user latency over
7 and 28 days, all templates and one; DAUs), every window flows.yaml publishes, and random
ones of every endpoint (start and end on day boundaries, some in other offsets; random
template subsets, intervals, categories, organizations, months, pages). `serve` keeps its
answers, so no request repeats within a server's life: each pass starts a fresh `serve`,
and endpoints whose answer depends on the instant alone are asked it anew by a parameter
they ignore (OpenL2M) or repeat (Rocket.Chat's `refresh`). Clients ask as a browser does
(`Accept-Encoding: gzip`). Each endpoint's requests are asked in turn, so its figures
are its own: by one client first (the cost of a request alone), then by 8 concurrent
clients, a process each, each sending its next request as soon as its last is answered
(a closed loop: with the server busy, a request also waits for the ones before it). Per
endpoint p50, p95, p99 and the server's CPU per request; the server's memory (RSS). Then
the same deployment at ten times the size (scale `requests-10x`: 3,000 users).

With `--baseline REV` the code of a git revision answers the same requests from a
warehouse it built itself from the same generated tree, the two codes taking turns, and
every answer's bytes are compared: the comparison of old and new answers.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil
from pathlib import Path
from urllib.parse import urlencode

from common import NEW_DAY, OUT, ROOT, generate, published_windows, wait_for

DAYS = 60  # of history, the last ending the day before NEW_DAY
NOW = f"{NEW_DAY}T06:00:00+00:00"
SIZES = {"requests": "300 users", "requests-10x": "3,000 users"}
CLIENTS = 8

# The secrets a benchmark's `serve` asks for, made anew for each run of the benchmark.
SECRETS = {
    "USAGE_WAREHOUSE_CODER_TOKEN": secrets.token_hex(16),
    "USAGE_WAREHOUSE_SEATABLE_TOKEN": secrets.token_hex(16),
    "USAGE_WAREHOUSE_OPENL2M_TOKEN": secrets.token_hex(16),
    "USAGE_WAREHOUSE_ROCKETCHAT_TOKEN": secrets.token_hex(16),
    "USAGE_WAREHOUSE_ROCKETCHAT_USER_ID": secrets.token_hex(8),
    "USAGE_WAREHOUSE_DASHBOARD_USER": "bench",
    "USAGE_WAREHOUSE_DASHBOARD_PASSWORD": secrets.token_hex(16),
}
AUTH = """
serve:
  auth:
    coder: {token_env: USAGE_WAREHOUSE_CODER_TOKEN}
    seatable: {token_env: USAGE_WAREHOUSE_SEATABLE_TOKEN}
    openl2m: {token_env: USAGE_WAREHOUSE_OPENL2M_TOKEN}
    rocketchat: {token_env: USAGE_WAREHOUSE_ROCKETCHAT_TOKEN,
                 user_id_env: USAGE_WAREHOUSE_ROCKETCHAT_USER_ID}
    dashboard: {user_env: USAGE_WAREHOUSE_DASHBOARD_USER,
                password_env: USAGE_WAREHOUSE_DASHBOARD_PASSWORD}
"""
# What each product's client sends (docs/serve.md), and what a browser adds.
HEADERS = {
    "coder": {"Coder-Session-Token": SECRETS["USAGE_WAREHOUSE_CODER_TOKEN"]},
    "seatable": {"Authorization": f"Token {SECRETS['USAGE_WAREHOUSE_SEATABLE_TOKEN']}"},
    "openl2m": {"Authorization": f"Token {SECRETS['USAGE_WAREHOUSE_OPENL2M_TOKEN']}"},
    "rocketchat": {
        "X-Auth-Token": SECRETS["USAGE_WAREHOUSE_ROCKETCHAT_TOKEN"],
        "X-User-Id": SECRETS["USAGE_WAREHOUSE_ROCKETCHAT_USER_ID"],
    },
}
BROWSER = {"Accept-Encoding": "gzip"}

# One client: its share of the requests, in order, on one connection; a line per answer:
# index, status, seconds, the SHA-256 of the body (unzipped).
CLIENT = """
import gzip, hashlib, http.client, json, sys, time
port, share = int(sys.argv[1]), json.load(open(sys.argv[2]))
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
lines = []
for index, headers, target in share:
    started = time.perf_counter()
    conn.request("GET", target, headers=headers)
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    lines.append(f"{index} {response.status} {seconds} {hashlib.sha256(body).hexdigest()}")
print("\\n".join(lines))
"""


@dataclass
class Code:
    """A version of the code: its folder and the warehouse it built."""

    name: str
    folder: Path
    warehouse: Path = field(default=Path())


def code_of(revision: str | None) -> Code:
    """This checkout, or a git revision's tree exported once under bench/out."""
    if revision is None:
        return Code("this checkout", ROOT)
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folder = OUT / f"code-{sha[:12]}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(folder)], stdin=archive.stdout, check=True)
        if archive.wait():
            raise RuntimeError(f"git archive {sha} failed")
        (folder / ".complete").touch()
    return Code(f"{revision} ({sha[:12]})", folder)


def build(code: Code, scale: str) -> None:
    """The code's own warehouse of the generated tree (a run as of NOW; again on every
    benchmark run: with nothing new landed it rebuilds only models whose SQL changed)."""
    raw = generate(OUT / f"raw-{scale}-{DAYS}days", DAYS, NEW_DAY - timedelta(days=DAYS), scale)
    label = "current" if code.folder == ROOT else code.folder.name
    code.warehouse = OUT / f"wh-{scale}-{label}"
    print(f"running {code.name} into {code.warehouse} ...", flush=True)
    command = ["-m", "pipelines", "run", "--now", NOW, "--raw", str(raw)]
    # 60 days landed in one run: the 30-minute rollup of 24 million agent reports (10x)
    # needs more than DuckDB's default 1 GB of the nightly run (MEMORY_ENV).
    memory = {"USAGE_WAREHOUSE_MEMORY_LIMIT": "6GB"}
    done = subprocess.run(
        [sys.executable, *command, "--warehouse", str(code.warehouse)],
        cwd=code.folder,
        env={**os.environ, "PYTHONPATH": str(code.folder), **memory},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"run of {code.name} failed: {done.stderr[-2000:]}")


@contextmanager
def serving(code: Code) -> Iterator[tuple[int, int]]:
    """A fresh `serve` of the code's warehouse with every scope's credentials, on a free
    loopback port; yields (port, pid)."""
    from pipelines.scheduling import free_port

    with tempfile.TemporaryDirectory(dir=OUT) as folder:
        config = Path(folder) / "flows.yaml"
        config.write_text((code.folder / "flows.yaml").read_text() + AUTH)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "serve", "--now", NOW, "--port", str(port)]
            + ["--warehouse", str(code.warehouse), "--config", str(config)],
            cwd=code.folder,
            env={**os.environ, **SECRETS, "PYTHONPATH": str(code.folder)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=60)


# ------------------------------------------------------------------------- requests


def _ids(wh: Path) -> tuple[list[str], list[str]]:
    """The warehouse's Coder template ids and organization ids."""
    from pipelines import storage
    from pipelines.endpoints.base import open_session

    con = open_session(storage.Warehouse(wh))
    try:
        templates = con.execute("select distinct template_id from fct_coder_usage_30m").fetchall()
        orgs = con.execute(
            "select distinct organization_id from stg_coder_organization_members"
        ).fetchall()
    finally:
        con.close()
    return sorted(t for (t,) in templates), sorted(o for (o,) in orgs)


def _days(start: date, end: date, offset: str) -> dict[str, str]:
    """An insights window from one midnight to another in an offset ("Z": UTC)."""
    return {"start_time": f"{start}T00:00:00{offset}", "end_time": f"{end}T00:00:00{offset}"}


def _fixed(templates: list[str]) -> list[tuple[str, str]]:
    """Issue 30's eighteen windows: templates over 7 and 28 days by day and by week, all
    templates and one (8); user activity and user latency over 7 and 28 days, all and one
    (8); DAUs in UTC and at UTC-5 (2)."""
    asked = []
    for days in (7, 28):
        window = _days(NEW_DAY - timedelta(days=days), NEW_DAY, "Z")
        for subset in ({}, {"template_ids": templates[0]}):
            for interval in ("day", "week"):
                asked.append(("templates", {**window, "interval": interval, **subset}))
            asked += [
                ("user-activity", {**window, **subset}),
                ("user-latency", {**window, **subset}),
            ]
    asked += [("daus", {"tz_offset": "0"}), ("daus", {"tz_offset": "-5"})]
    return [(f"api/v2/insights/{name}", urlencode(params)) for name, params in asked]


OFFSETS = ("+02:00", "-05:00", "+05:30", "+09:00", "-08:00")


def _insights_window(rng: random.Random) -> dict[str, str]:
    """Random whole days within the history (1 to 42 of them), mostly in UTC; in another
    offset the window ends a day earlier (its midnight must not be in the future)."""
    offset = rng.choice(OFFSETS) if rng.random() < 0.2 else "Z"
    last = NEW_DAY - timedelta(days=0 if offset == "Z" else 1)
    length = rng.randint(1, 42)
    end = last - timedelta(days=rng.randint(0, DAYS - length))
    return _days(end - timedelta(days=length), end, offset)


def _subset(rng: random.Random, templates: list[str]) -> dict[str, str]:
    if rng.random() < 0.5:
        return {}
    return {"template_ids": ",".join(rng.sample(templates, rng.randint(1, len(templates) - 1)))}


def _random(endpoint: str, rng: random.Random, templates: list[str], orgs: list[str]) -> str:
    """The query of one random request of an endpoint."""
    if endpoint in ("api/v2/insights/user-activity", "api/v2/insights/user-latency"):
        return urlencode({**_insights_window(rng), **_subset(rng, templates)})
    if endpoint == "api/v2/insights/templates":
        window = _insights_window(rng)
        length = (
            datetime.fromisoformat(window["end_time"])
            - datetime.fromisoformat(window["start_time"])
        ).days
        intervals = ["", "day"] + (["week"] if length % 7 in (0, 6) else [])
        params = {**window, "interval": rng.choice(intervals), **_subset(rng, templates)}
        sections = rng.choice([None] * 8 + ["report", "interval_reports"])
        return urlencode(params | ({"sections": sections} if sections else {}))
    if endpoint == "api/v2/insights/daus":  # the same offset written anew: "+0005", "-02"
        offset = rng.randint(-12, 14)
        sign = "-" if offset < 0 else rng.choice(["", "+"])
        return urlencode({"tz_offset": f"{sign}{'0' * rng.randint(0, 6)}{abs(offset)}"})
    if endpoint == "api/private/metrics/activity":
        window = _insights_window(rng)
        params = {"start": window["start_time"], "end": window["end_time"]}
        params["interval"] = rng.choice(["1 day", "1 week", "2 days", "1 month"])
        params["category"] = rng.choice(["any", "ide", "login", "app", "tunnel", "web_terminal"])
        return urlencode(params | ({"org": rng.choice(orgs)} if rng.random() < 0.3 else {}))
    if endpoint == "api/v2.1/admin/statistics/active-users":
        first = rng.randint(0, DAYS)
        start = NEW_DAY - timedelta(days=first)
        end = start + timedelta(days=rng.randint(0, first))
        return urlencode({"start": f"{start} 00:00:00", "end": f"{end} 00:00:00"})
    if endpoint == "api/v2.1/admin/statistics/scripts-running":
        params = {
            "month": rng.choice(["202603", "202604", "202605", "202606"]),
            "is_user": rng.choice(["true", "false"]),
            "order_by": rng.choice(["", "total_run_count", "-total_run_count", "-total_run_time"]),
            "page": str(rng.randint(1, 3)),
            "per_page": rng.choice(["10", "25", "100"]),
        }
        return urlencode(params)
    if endpoint == "api/stats":  # no parameter: one it ignores makes the request new
        return urlencode({"n": rng.getrandbits(32)})
    if endpoint == "api/v1/statistics":  # its one parameter, given again and again
        return urlencode([("refresh", rng.choice(["true", "false"]))] * rng.randint(1, 500))
    raise ValueError(endpoint)


def request_pool(wh: Path, count: int, seed: int = 30) -> list[tuple[str, str]]:
    """(endpoint, target) of every request of a pass, none twice, in a random order: the
    fixed windows, the published ones, and `count` random ones of each endpoint."""
    from pipelines import endpoints

    templates, orgs = _ids(wh)
    rng = random.Random(seed)
    asked = {f"/{path}?{query}": path for path, query in _fixed(templates)}
    for target in published_windows(str(ROOT / "flows.yaml"), datetime.fromisoformat(NOW)):
        asked[target] = endpoints.normalise_path(target.split("?")[0])
    for path in endpoints.ENDPOINTS:
        made = 0
        while made < count:
            target = f"/{path}?{_random(path, rng, templates, orgs)}"
            if target not in asked:
                asked[target] = path
                made += 1
    pool = [(path, target) for target, path in asked.items()]
    rng.shuffle(pool)
    return pool


# ------------------------------------------------------------------------- measuring


@dataclass
class Pass:
    """The answers of one pass: per request (status, seconds, body hash), the server's CPU
    seconds per request of each endpoint and its memory after the pass (resident and peak,
    MB)."""

    answers: list[tuple[int, float, str]]
    cpu: dict[str, float]
    rss: float
    peak: float


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory(pid: int) -> tuple[float, float]:
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def ask(code: Code, pool: list[tuple[str, str]], clients: int) -> Pass:
    """Every request of the pool asked of a fresh `serve` of the code, an endpoint at a
    time (its figures its own, not those of a mix with slower endpoints), by `clients`
    concurrent clients (its i-th request by client i mod clients)."""
    from pipelines import auth

    answers: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(pool)
    cpu: dict[str, float] = {}
    with serving(code) as (port, pid), tempfile.TemporaryDirectory(dir=OUT) as folder:
        # A first request outside the pool, alone: the server has answered once.
        warm = Path(folder) / "warm.json"
        coder = HEADERS["coder"] | BROWSER
        warm.write_text(json.dumps([(-1, coder, "/api/v2/insights/daus?tz_offset=00000000")]))
        _clients(port, [warm])
        for endpoint in sorted({path for path, _ in pool}):
            asked = [(i, t) for i, (path, t) in enumerate(pool) if path == endpoint]
            headers = HEADERS[auth.product_of(endpoint)] | BROWSER
            shares = []
            for k in range(clients):
                shares.append(Path(folder) / f"client-{k}.json")
                shares[-1].write_text(json.dumps([(i, headers, t) for i, t in asked[k::clients]]))
            before = _cpu_seconds(pid)
            for line in _clients(port, shares):
                index, status, seconds, body = line.split()
                answers[int(index)] = (int(status), float(seconds), body)
            cpu[endpoint] = (_cpu_seconds(pid) - before) / len(asked)
        rss, peak = _memory(pid)
    return Pass(answers, cpu, rss, peak)


def _clients(port: int, shares: list[Path]) -> list[str]:
    started = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(port), str(share)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    lines = []
    for client in started:
        out, _ = client.communicate()
        if client.returncode:
            raise RuntimeError("a benchmark client failed")
        lines += out.split()
    return [" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, ceil(q * len(ordered)) - 1)]


def _latencies(pool: list[tuple[str, str]], passes: list[Pass]) -> dict[str, list[float]]:
    """Seconds per endpoint over the passes; every answer must be a 200."""
    per: dict[str, list[float]] = {}
    for done in passes:
        for (path, target), (status, seconds, _) in zip(pool, done.answers, strict=True):
            if status != 200:
                raise RuntimeError(f"{target} answered {status}")
            per.setdefault(path, []).append(seconds)
    return per


def _figures(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{percentile(ms, 0.5):.1f}/{percentile(ms, 0.95):.1f}/{percentile(ms, 0.99):.1f}"


def _short(path: str) -> str:
    return path.removeprefix("api/").replace("admin/statistics/", "")


def requests_rows(args, config: str, now: str) -> list[tuple[str, str, str]]:
    """Per size: per endpoint p50/p95/p99 (ms) with one client and with 8; the server's
    CPU per request and memory; with --baseline, the same of the baseline's code and the
    bytes of every answer compared."""
    current = code_of(None)
    baseline = code_of(args.baseline) if args.baseline else None
    codes = [current] + ([baseline] if baseline else [])
    rows: list[tuple[str, str, str]] = []
    p50s: dict[str, dict[str, float]] = {}
    for scale in args.request_sizes.split(","):
        size = SIZES[scale]
        for code in codes:
            build(code, scale)
        pool = request_pool(current.warehouse, args.request_count)
        rows.append(_data_row(current.warehouse, size, len(pool)))
        passes: dict[tuple[str, int], list[Pass]] = {}
        for _ in range(args.turns):  # the codes take turns, one client then eight
            for clients in (1, CLIENTS):
                for code in reversed(codes):
                    passes.setdefault((code.name, clients), []).append(ask(code, pool, clients))
        for clients in (1, CLIENTS):
            ours = _latencies(pool, passes[current.name, clients])
            theirs = _latencies(pool, passes[baseline.name, clients]) if baseline else {}
            if clients == CLIENTS:
                p50s[scale] = {path: percentile(s, 0.5) for path, s in ours.items()}
            for path, seconds in sorted(ours.items()):
                cpu = statistics.median(p.cpu[path] for p in passes[current.name, clients])
                before = ""
                if path in theirs:
                    ratio = percentile(theirs[path], 0.5) / percentile(seconds, 0.5)
                    before = f"; before {_figures(theirs[path])} ({ratio:.1f}x faster at p50)"
                rows.append(
                    (
                        f"{size}, {clients} client{'s' if clients > 1 else ''}: {_short(path)}",
                        f"{percentile(seconds, 0.5) * 1000:.1f} ms",
                        f"p50/p95/p99 {_figures(seconds)} ms over {len(seconds)}, server CPU "
                        f"{cpu * 1000:.2f} ms a request{before}",
                    )
                )
        rows += _server_rows(size, codes, passes, len(pool))
        rows.append(floor_row(current, size))
        if baseline:
            rows.append(_same_row(size, pool, passes, current, baseline))
    if len(p50s) == 2:
        small, large = (p50s[s] for s in args.request_sizes.split(","))
        for path in sorted(small):
            rows.append(
                (
                    f"10x the size: {_short(path)}, 8 clients",
                    f"{large[path] / small[path]:.2f}x",
                    f"p50 {small[path] * 1000:.1f} -> {large[path] * 1000:.1f} ms; target <= 1.5x",
                )
            )
    return rows


def _data_row(wh: Path, size: str, asked: int) -> tuple[str, str, str]:
    from pipelines import storage

    tables = ["coder_workspace_agent_stats", "coder_workspace_app_stats"]
    con = storage.open_warehouse(storage.Warehouse(wh), tables=tables)
    try:
        reports, sessions = (con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables)
    finally:
        con.close()
    return (
        f"request path, {size}",
        f"{asked:,} requests",
        f"{DAYS} days: {reports:,} agent reports, {sessions:,} app sessions; serve --now {NOW}",
    )


def floor_row(code: Code, size: str, asked: int = 200) -> tuple[str, str, str]:
    """What a request costs 8 clients here with no answer to compute: an answer serve keeps
    (Coder's DAUs, 4 KB) asked again and again, as the endpoints' passes ask (HTTP, auth,
    routing, gzip and the access log alone)."""
    target = "/api/v2/insights/daus?tz_offset=0"
    headers = HEADERS["coder"] | BROWSER
    with serving(code) as (port, pid), tempfile.TemporaryDirectory(dir=OUT) as folder:
        shares = [Path(folder) / f"client-{k}.json" for k in range(CLIENTS)]
        for k, share in enumerate(shares):
            share.write_text(json.dumps([(k * asked + i, headers, target) for i in range(asked)]))
        _clients(port, shares[:1])  # the answer computed, then held
        before = _cpu_seconds(pid)
        seconds = [float(line.split()[2]) for line in _clients(port, shares)]
        cpu = (_cpu_seconds(pid) - before) / len(seconds)
    return (
        f"{size}: the floor, 8 clients asking an answer serve holds",
        f"{percentile(seconds, 0.5) * 1000:.1f} ms",
        f"p50/p95/p99 {_figures(seconds)} ms over {len(seconds)}, server CPU "
        f"{cpu * 1000:.2f} ms a request: HTTP, auth, routing, gzip and the log alone",
    )


def _server_rows(
    size: str, codes: list[Code], passes: dict[tuple[str, int], list[Pass]], asked: int
) -> list[tuple[str, str, str]]:
    rows = []
    for code in codes:
        alone, busy = passes[code.name, 1], passes[code.name, CLIENTS]
        cpu = statistics.median(sum(p.cpu.values()) / len(p.cpu) for p in alone) * 1000
        throughput = [asked / sum(s for _, s, _ in p.answers) * CLIENTS for p in busy]
        rows.append(
            (
                f"{size}: serve ({code.name})",
                f"{max(p.rss for p in alone + busy):,.0f} MB",
                f"RSS after a pass (peak {max(p.peak for p in alone + busy):,.0f} MB; target "
                f"< 500 MB at 10x); CPU {cpu:.2f} ms a request (mean of the endpoints'); 8 clients: "
                f"{statistics.median(throughput):,.0f} requests/s",
            )
        )
    return rows


def _same_row(
    size: str,
    pool: list[tuple[str, str]],
    passes: dict[tuple[str, int], list[Pass]],
    current: Code,
    baseline: Code,
) -> tuple[str, str, str]:
    """Every answer of every pass of both codes against the baseline's first."""
    reference = [body for _, _, body in passes[baseline.name, 1][0].answers]
    differ = {
        target
        for done in (p for key, ps in passes.items() for p in ps)
        for (_, target), (_, _, body), expected in zip(pool, done.answers, reference, strict=True)
        if body != expected
    }
    endpoints = len({path for path, _ in pool})
    return (
        f"{size}: answers identical to {baseline.name}",
        f"{len(pool) - len(differ)} of {len(pool)}",
        f"bytes of every answer, {endpoints} endpoints; differing: {sorted(differ)[:3] or 'none'}",
    )
