"""Shared fixtures: small warehouses built from hand-written records through the real path;
the helpers of the collect tests (a product's database in a real PostgreSQL server)."""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import pytest

from pipelines import endpoints, pipeline, records, storage
from pipelines.config import Settings, Source, load_settings
from pipelines.endpoints.base import Context
from pipelines.extract.ingest import ingest
from pipelines.generate import generate
from pipelines.scheduling import free_port
from pipelines.transform.runner import build_facts
from tests.servers import serve_config, serving, start_on_a_free_port

ROOT = Path(__file__).resolve().parent.parent


def write_raw(raw: Path, table: str, rows: list[dict | str], name: str = "part.ndjson") -> Path:
    """Write rows (dicts, or verbatim lines) as one raw file of a record kind."""
    kind = records.BY_TABLE[table]
    path = raw / kind.source / kind.kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in rows]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def reports(root: Path) -> dict[str, bytes]:
    """The published report files of a warehouse (not the manifest), path -> bytes."""
    folder = storage.Warehouse(root).reports
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.json"))
        if p.name != "manifest.json"
    }


def query(root: Path, sql: str) -> list[tuple]:
    """Rows of one query over a warehouse's committed state."""
    con = storage.open_warehouse(storage.Warehouse(root))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_only_cataloged_files(root: Path) -> None:
    """Every Parquet file of a warehouse is one its kept catalogs name: a failed or killed
    run's files (and its temporaries) are gone."""
    wh = storage.Warehouse(root)
    named = {
        rel
        for catalog in wh.catalog_dir.glob("*.json")
        for table in orjson.loads(catalog.read_bytes())["tables"].values()
        for rel in table.values()
    }
    files = {
        p.relative_to(wh.parquet).as_posix()
        for p in wh.parquet.rglob("*")
        if p.is_file() and p.parent != wh.catalog_dir
    }
    assert files == named


class MiniWarehouse:
    """A warehouse in tmp_path: add records, build, ask endpoints."""

    def __init__(self, root: Path, settings: Settings):
        self.wh = storage.Warehouse(root / "wh")
        self.raw = root / "raw"
        self.settings = settings
        self._files = 0

    def add(self, table: str, rows: list[dict | str]) -> Path:
        self._files += 1
        return write_raw(self.raw, table, rows, f"part-{self._files:04d}.ndjson")

    def build(self) -> None:
        run_id = f"test-{self._files:04d}"
        ingest(self.wh, self.raw, run_id, date(2024, 1, 1))
        build_facts(self.wh, self.settings, run_id=run_id)

    def call(self, target: str, now: datetime | str = "2030-01-01T00:00:00Z") -> tuple[int, dict]:
        if isinstance(now, str):
            now = datetime.fromisoformat(now)
        con = storage.open_warehouse(self.wh)
        try:
            return endpoints.call(Context(con, now.astimezone(UTC), self.settings), target)
        finally:
            con.close()


@pytest.fixture
def mini(tmp_path: Path) -> Callable[..., MiniWarehouse]:
    """mini(timezone="UTC", **settings) -> an empty MiniWarehouse in tmp_path."""

    def make(**overrides) -> MiniWarehouse:
        return MiniWarehouse(tmp_path, Settings(**overrides))

    return make


@pytest.fixture(scope="module")
def module_mini(tmp_path_factory) -> Callable[..., MiniWarehouse]:
    """mini() for a module-scoped fixture: a warehouse built once (ingest and build take
    seconds), which the module's tests only ask."""

    def make(**overrides) -> MiniWarehouse:
        return MiniWarehouse(tmp_path_factory.mktemp("mini"), Settings(**overrides))

    return make


# ---------------------------------------------------------------- one Prefect server


def _shared_root(tmp_path_factory) -> Path:
    """The folder every process of this test session shares: under xdist, the workers'
    base folders sit in the controller's."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def prefect_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One real Prefect server for the whole test session, however many xdist workers ask:
    the first to ask starts it (its ~30 s database migration once), the others use it, and
    the process that owns the session root stops it (pytest_unconfigure below)."""
    from pipelines import scheduling

    root = _shared_root(tmp_path_factory)
    state = root / "prefect-server.json"
    with open(root / "prefect-server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held while starting: the others wait for it
        if not state.exists():
            home, log = root / "prefect-home", root / "prefect-server.log"

            def start(port: int) -> None:
                server = scheduling.start_server(home, port, log)
                state.write_bytes(
                    orjson.dumps({"pid": server.pid, "home": str(home), "port": port})
                )

            start_on_a_free_port(start, log)
    server = orjson.loads(state.read_bytes())
    yield scheduling.server_env(Path(server["home"]), server["port"])
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        _stop_shared_server(root)


def _stop_shared_server(root: Path) -> None:
    state = root / "prefect-server.json"
    if state.exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(orjson.loads(state.read_bytes())["pid"], signal.SIGTERM)
        state.unlink()


def pytest_unconfigure(config) -> None:
    """The controller of an xdist run stops the server its workers shared."""
    factory = getattr(config, "_tmp_path_factory", None)
    # (pytest's own attribute: only a session that made its base folder can own a server)
    if not os.environ.get("PYTEST_XDIST_WORKER") and getattr(factory, "_basetemp", None):
        _stop_shared_server(factory.getbasetemp())


# Session fixtures each xdist worker builds for itself (a server start, a nightly run): the
# tests using one go to one worker, which builds it once.
PER_WORKER = ("generated", "postgres", "mariadb")


def sharing_group(item) -> str | None:
    """The group of a test that shares an expensive fixture with others: the per-worker
    session fixture it uses, else its module when it uses one of the module's own fixtures
    (built once by each worker that runs a test of the module); None if it shares none."""
    fixtures = getattr(item, "_fixtureinfo", None)  # (pytest's own attribute)
    if fixtures is None:  # not a function (a doctest)
        return None
    used = fixtures.name2fixturedefs
    for name in PER_WORKER:
        if name in used:
            return name
    for definitions in used.values():
        if definitions[-1].scope == "module":
            return item.path.stem
    return None


def _groups_file(config) -> Path:
    """Where the workers of an xdist session leave each test's group for the controller."""
    base = config._tmp_path_factory.getbasetemp()  # (pytest's own attribute, as below)
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "groups.json"


def pytest_collection_modifyitems(config, items) -> None:
    """A test using a Prefect server is a `prefect` test: `make test-fast` leaves it out.

    Under xdist the tests of a group run on one worker (pytest_xdist_make_scheduler). The
    `long` tests go first, so that the workers end together rather than one of them
    starting the longest test last; then the groups (big units); the single tests last,
    filling in whichever worker is free."""
    for item in items:
        if "prefect_env" in getattr(item, "fixturenames", ()) or item.get_closest_marker("long"):
            item.add_marker(pytest.mark.prefect)
    groups = {item.nodeid: group for item in items if (group := sharing_group(item))}
    items.sort(
        key=lambda item: (item.get_closest_marker("long") is None, item.nodeid not in groups)
    )
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):  # every worker collects the same
        path = _groups_file(config)
        temporary = path.with_name(f"groups.{worker}.tmp")
        temporary.write_bytes(orjson.dumps(groups))
        os.replace(temporary, path)


@pytest.hookimpl(optionalhook=True)  # (a hook of xdist's: unknown under -p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """xdist's `loadscope` scheduling, a test's scope being its group (or the test alone),
    taken in the order collected: a worker asks for the next unit when it has two tests
    or fewer left."""
    from xdist.scheduler import LoadScopeScheduling

    class SharingScheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # read once the workers have collected
                self.groups = orjson.loads(_groups_file(config).read_bytes())
            return self.groups.get(nodeid, nodeid)

    config.option.loadscopereorder = False  # (it would put the units of most tests first)
    return SharingScheduling(config, log)


@pytest.fixture(scope="session")
def postgres() -> Iterator:
    """A real PostgreSQL server for the session (each xdist worker its own)."""
    from tests import postgres as pg

    yield from pg.server()


@pytest.fixture(scope="session")
def mariadb() -> Iterator:
    """A real MariaDB server for the session (each xdist worker its own)."""
    from tests import mariadb as server

    yield from server.server()


# ---------------------------------------------------------------- a generated warehouse

GENERATED_NOW = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """The root of a generated warehouse (10 days from 2026-03-02, all four products) after
    one nightly run of the repository's flows.yaml as of GENERATED_NOW: its reports, its
    dashboard. Tests only read it."""
    root = tmp_path_factory.mktemp("generated")
    generate(root / "raw", 10, date(2026, 3, 2), "small", 3)
    wh = storage.Warehouse(root / "wh")
    summary = pipeline.run_nightly(
        load_settings(ROOT / "flows.yaml"), wh, root / "raw", GENERATED_NOW
    )
    assert summary.status == "ok"
    return wh.root


@pytest.fixture(scope="session")
def live_serve(generated, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`usage-warehouse serve` of the generated warehouse on loopback, every scope behind
    its credentials (tests/servers.py), as of the warehouse's run: (base URL, its log)."""
    folder = tmp_path_factory.mktemp("serve")
    config = serve_config(folder, generated)
    log = folder / "serve.log"
    with serving("--config", str(config), "--now", GENERATED_NOW.isoformat(), log=log) as base:
        yield base, log


# ---------------------------------------------------------------- collect tests


def repo_settings(**overrides) -> Settings:
    """The repository's flows.yaml, with overrides."""
    return load_settings(ROOT / "flows.yaml").model_copy(update=overrides)


def configured_source(monkeypatch, source: str, dsn: str | dict[str, str]) -> dict[str, Source]:
    """flows.yaml `sources:` naming a variable that holds dsn (for a URL per database, a
    variable each)."""
    if isinstance(dsn, str):
        variable = f"TEST_{source.upper()}_DSN"
        monkeypatch.setenv(variable, dsn)
        return {source: Source(dsn_env=variable)}
    variables = {key: f"TEST_{source.upper()}_{key.upper()}_DSN" for key in dsn}
    for key, url in dsn.items():
        monkeypatch.setenv(variables[key], url)
    return {source: Source(dsn_env=variables)}


def direct_landing(root: Path, source: str, start: date, days: int, seed: int, now: datetime):
    """A generated tree under root/generated, and the warehouse root/direct-wh made by one
    nightly run over the source's generated files as they are: (generated, warehouse)."""
    generate(root / "generated", days, start, "small", seed)
    shutil.copytree(root / "generated" / source, root / "direct" / source)
    wh = root / "direct-wh"
    pipeline.run_nightly(repo_settings(), storage.Warehouse(wh), root / "direct", now)
    return root / "generated", wh


def day_records(raw: Path, source: str, day: date) -> dict[str, list[dict]]:
    """kind -> the generated records of one day's files of a source, in file order."""
    found: dict[str, list[dict]] = {}
    for kind in (k.kind for k in records.KINDS if k.source == source):
        for path in sorted((raw / source / kind / f"{day:%Y/%m/%d}").glob("*.ndjson")):
            found.setdefault(kind, []).extend(
                orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()
            )
    return found


def collect_every_night(
    load: Callable[[dict[str, list[dict]]], None],
    generated: Path,
    source: str,
    days: list[date],
    settings: Settings,
    wh: storage.Warehouse,
    raw: Path,
) -> int:
    """Each day: its generated records loaded into the product's database (`load`), then
    the next morning's nightly run, collect included; every run ok, something collected,
    nothing rejected, counts reconciled. Returns the duplicates the runs dropped (a
    collect reads again what the previous one may have read)."""
    duplicates = 0
    for day in days:
        load(day_records(generated, source, day))
        morning = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
        summary = pipeline.run_nightly(settings, wh, raw, morning + timedelta(hours=6))
        assert summary.status == "ok" and summary.collected[source] > 0
        assert summary.rejected == 0 and summary.reconciles
        duplicates += summary.duplicates
    return duplicates


def raw_lines(raw: Path, source: str) -> dict[str, list[dict]]:
    """kind -> every record collected into raw/<source>, in landing order."""
    lines: dict[str, list[dict]] = {}
    for path in sorted((raw / source).rglob("*.ndjson.gz")):
        kind = path.relative_to(raw / source).parts[0]
        lines.setdefault(kind, []).extend(
            orjson.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()
        )
    return lines


def assert_declared_fields_only(raw: Path, source: str, secrets: list[str]) -> None:
    """Every collected line holds only fields records.py declares for its kind, and no file
    holds any of the secrets."""
    for kind, rows in raw_lines(raw, source).items():
        fields = {f.name for f in records.BY_TABLE[f"{source}_{kind}"].fields}
        assert all(set(row) <= fields for row in rows), kind
    for path in (raw / source).rglob("*.gz"):
        text = gzip.decompress(path.read_bytes()).decode()
        assert not [secret for secret in secrets if secret in text], path


def collect(
    source: str, dsn: str | dict[str, str], wh: storage.Warehouse, raw: Path, at: datetime
) -> dict:
    """One collect in this process, under the warehouse lock; kind -> rows landed."""
    from pipelines import collect as collector

    return collector.collect(source, dsn, wh, raw, at, lambda _msg: None, wh.lock)


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        **kw,
    )


def assert_a_collect_killed_while_writing_lands_nothing(
    raw: Path, wh: Path, args: list[str], kind: str, size: int, rows: int
) -> None:
    """`usage-warehouse <args>` (a collect) killed once the temporary file of `kind` holds
    more than `size` bytes: only temporary dot files, which the ingest never reads, and no
    watermark; the next collect removes them and lands all `rows` of the kind."""
    from pipelines.extract.files import discover

    source = args[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines", *args], cwd=ROOT, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        writing = list(raw.rglob(f".{kind}-*.tmp"))
        if writing and writing[0].stat().st_size > size:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the collect ended before it could be killed"
    assert list(raw.rglob(".*.tmp"))
    assert discover(raw).files == []
    assert not storage.Warehouse(wh).collect_state(source).exists()
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert not list(raw.rglob(".*.tmp"))
    assert len(raw_lines(raw, source)[kind]) == rows


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def documented_sql(source: str) -> list[str]:
    """The ```sql blocks of docs/sources/<source>.md."""
    text = (ROOT / "docs" / "sources" / f"{source}.md").read_text()
    return re.findall(r"```sql\n(.*?)```", text, re.DOTALL)


def documented_reader(postgres, database: str, documented: str, statements: list[str]) -> str:
    """Run a doc's role and grants in a database of the test server (its `database
    <documented>` renamed); the URL of the role they create. Roles span databases: a role
    an earlier test created is not created again."""
    with psycopg.connect(postgres.dsn(database), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_roles where rolname = 'usage_warehouse_reader'"
        ).fetchone()
        for statement in statements:
            if not (exists and statement.startswith("create role")):
                conn.execute(statement.replace(f"database {documented}", f"database {database}"))
    return postgres.dsn(database, user="usage_warehouse_reader", password="choose-a-password")


# A string that breaks naive exports (COPY's text format, hand-built JSON).
AWKWARD = 'a "quoted" \\back\\slash\\ line\nbreak\ttab, non-ASCII: Zoë Łódź 東京 🚀'

COLLECT_PROBLEMS = ["wrong password", "refused connection", "missing table", "unset variable"]


def assert_collect_fails_cleanly(
    tmp_path: Path, postgres, source: str, database: str, problem: str, table: str
) -> None:
    """After a good collect, `problem` (one of COLLECT_PROBLEMS; `table` is the one dropped)
    makes `usage-warehouse collect <source>` fail: one line naming the source and what
    failed, never the URL's password, exit non-zero, and nothing under tmp_path changed."""
    wh, raw = tmp_path / "wh", tmp_path / "raw"
    dsn = postgres.dsn(database)
    collect(source, dsn, storage.Warehouse(wh), raw, datetime.now(UTC))
    if problem == "wrong password":
        dsn = postgres.dsn(database, password="wrong")
    elif problem == "refused connection":
        dsn = f"postgresql://postgres:x@127.0.0.1:{free_port()}/{source}"
    elif problem == "missing table":
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"drop table {table}")
    config = tmp_path / "flows.yaml"
    config.write_text(f"sources:\n  {source}: {{dsn_env: TEST_UNSET_DSN}}\n")
    before = tree(tmp_path)
    where = ["--raw", str(raw), "--warehouse", str(wh)]
    if problem == "unset variable":
        result = cli("collect", source, "--config", str(config), *where)
    else:
        result = cli("collect", source, "--dsn", dsn, *where)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in message
    expected = {
        "wrong password": "password authentication failed",
        "refused connection": "cannot connect",
        "missing table": table,
        "unset variable": f"sources.{source}.dsn_env: environment variable TEST_UNSET_DSN",
    }[problem]
    assert expected in message
    if problem != "unset variable":
        assert f"collect {source}: " in message
    assert "x@" not in message  # never the password of the URL
    assert tree(tmp_path) == before
