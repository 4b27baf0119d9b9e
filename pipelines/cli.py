# The `usage-warehouse` command: parsing and printing only; the work is in the modules it calls.
"""Usage statistics of self-hosted Coder, Rocket.Chat, SeaTable and OpenL2M, from their
activity data: collect from the products' databases, ingest raw exports, build daily
facts, publish each product's own statistics answers as JSON files, serve them.

Start with `usage-warehouse demo`; the README has the rest.
"""

from __future__ import annotations

import ipaddress
import sys
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines import storage
from pipelines.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
# Messages are one line each, however narrow the terminal (or 80 columns when piped).
err = Console(stderr=True, soft_wrap=True)

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", help="Warehouse folder (default: flows.yaml `warehouse`)."),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Configuration file (default: ./flows.yaml).")
]
NowOpt = Annotated[
    str | None, typer.Option("--now", help="As-of instant, RFC 3339 (default: current time).")
]
RawOpt = Annotated[
    Path | None, typer.Option(help="Raw log tree (default: flows.yaml `raw`, or <warehouse>/raw).")
]


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit non-zero."""
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _settings(config: Path | None, publishing_as_of: datetime | None = None) -> Settings:
    """flows.yaml, checked whole; for a command that publishes, every report window is also
    asked of an empty warehouse as of the instant it publishes, so a bad parameter is found
    before any work."""
    try:
        settings = load_settings(config)
        if publishing_as_of is not None:
            from pipelines.publish import check_windows

            check_windows(settings, config or DEFAULT_CONFIG, publishing_as_of)
        return settings
    except ConfigError as exc:
        fail(str(exc))


def _answering(settings: Settings) -> Settings:
    """Settings for a command that answers endpoints: pseudonyms need their key (one line
    naming `privacy.key_env` when it is missing, before any answer)."""
    if settings.privacy.pseudonymize:
        from pipelines.privacy.keys import secret

        try:
            secret(settings)
        except ConfigError as exc:
            fail(str(exc))
    return settings


def _warehouse(settings: Settings, warehouse: Path | None) -> storage.Warehouse:
    return storage.Warehouse(warehouse or settings.warehouse)


def _existing_warehouse(settings: Settings, warehouse: Path | None) -> storage.Warehouse:
    """A warehouse a run has committed in; anything else is an error naming the folder."""
    wh = _warehouse(settings, warehouse)
    if not wh.root.is_dir():
        fail(f"warehouse {wh.root} does not exist (run `usage-warehouse run` first)")
    if not storage.has_run(wh):
        fail(f"warehouse {wh.root} holds no completed run (run `usage-warehouse run` first)")
    return wh


def parse_now(value: str | None) -> datetime:
    """--now as an aware instant; a value without an offset is refused."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        fail(f"--now {value!r} is not an RFC 3339 timestamp with an offset", 2)
    from pipelines.endpoints.base import RANGE_TEXT, in_range

    if not in_range(parsed):
        fail(f"--now {value!r} is not between {RANGE_TEXT}", 2)
    return parsed


def _parse_day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a YYYY-MM-DD date", 2)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the raw log tree into.")],
    days: Annotated[int, typer.Option(min=1, help="Number of days.")] = 28,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    scale: Annotated[
        str, typer.Option(help="small | medium | large | requests | requests-10x")
    ] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 1,
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .ndjson.gz files.")] = False,
    mongo_json: Annotated[
        str,
        typer.Option(help="Rocket.Chat's files as mongoexport writes them: relaxed | canonical."),
    ] = "relaxed",
) -> None:
    """Write a realistic raw log tree of sample data for all four products."""
    from pipelines.generate import generate as write_tree

    try:
        summary = write_tree(out, days, _parse_day("--start", start), scale, seed, gzip, mongo_json)
    except ValueError as exc:
        fail(str(exc), 2)
    err.print(
        f"wrote {summary.records:,} records in {summary.files:,} files under {out} "
        f"({summary.first_day} to {summary.last_day})"
    )


def _print_summary(summary: dict, wh: storage.Warehouse) -> None:
    table = Table(title=f"run {summary['run_id']} ({summary['status']})", show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # a long path wraps whole rather than losing its end
    table.add_row("as of", summary["as_of"])
    if summary["collected"]:
        table.add_row(
            "collected",
            ", ".join(f"{source} {rows:,} rows" for source, rows in summary["collected"].items()),
        )
    table.add_row(
        "files",
        f"{summary['files']} read, {summary['skipped_files']} already ingested, "
        f"{len(summary['ignored_files'])} ignored, {len(summary['changed_files'])} changed",
    )
    forgotten = f" + {summary['forgotten']:,} forgotten" if summary.get("forgotten") else ""
    table.add_row(
        "lines",
        f"{summary['lines_read']:,} read = {summary['accepted']:,} accepted + "
        f"{summary['rejected']:,} rejected + {summary['duplicates']:,} duplicate{forgotten}",
    )
    table.add_row("days rebuilt", str(summary["days_rebuilt"]))
    table.add_row(
        "reports written",
        f"{summary['reports_written']} changed, {summary['reports_unchanged']} unchanged",
    )
    table.add_row("warnings", str(len(summary["warnings"])))
    if summary.get("dropped"):
        table.add_row("dropped (retention)", _dropped(summary["dropped"]))
    table.add_row("seconds", ", ".join(f"{k} {v:.2f}" for k, v in summary["seconds"].items()))
    # A past run's report set stays beside the live one: name it, not reports/.
    reports = Path(summary["reports_folder"]) if summary["past"] else wh.reports
    table.add_row("warehouse", str(wh.root))
    table.add_row("duckdb", str(wh.duckdb_file))
    table.add_row("reports (not live)" if summary["past"] else "reports", str(reports))
    table.add_row("manifest", str(storage.reports_manifest(reports)))
    table.add_row("dashboard", str(storage.dashboard_page(reports)))
    Console().print(table)
    for w in summary["warnings"]:
        err.print(
            f"[yellow]warning {w['check_name']}:[/] {escape(w['subject'])}: {escape(w['detail'])}"
        )
    for name in summary["changed_files"]:
        err.print(f"[yellow]changed since last ingested, read again:[/] {escape(name)}")
    for name in summary["ignored_files"]:
        err.print(f"[yellow]ignored (not a raw log file):[/] {escape(name)}")


def _dropped(drops: list[dict]) -> str:
    """What a run's retention (or an erasure) removed, per layer: `records 3 tables, 1,200
    rows, before 2024-03-01`."""
    layers: dict[str, list[dict]] = {}
    for drop in drops:
        layers.setdefault(drop["layer"], []).append(drop)
    parts = []
    for layer, items in layers.items():
        files = sum(d["count_files"] for d in items)
        rows = sum(d["count_rows"] for d in items)
        through = max((str(d["last_day"]) for d in items if d["last_day"]), default=None)
        what = f"{layer} {files:,} files" + (f", {rows:,} rows" if rows else "")
        parts.append(what + (f", through {through}" if through else ""))
    return "; ".join(parts)


def _run(
    settings: Settings,
    wh: storage.Warehouse,
    raw: Path | None,
    now: datetime,
    rebuild: tuple[date, date] | None = None,
    past: bool = False,
) -> dict:
    """The nightly run in this process: the plain stages, no Prefect server to wait for
    (scheduled runs are Prefect flow runs: `schedule`). Ctrl-C and SIGTERM stop it cleanly;
    it is recorded as interrupted and the warehouse stays as it was."""
    import signal

    import duckdb

    from pipelines import interruption, pipeline
    from pipelines.collect import CollectError
    from pipelines.progress import Progress

    interruption.install()
    progress = Progress()
    try:
        summary = pipeline.run_nightly(
            settings, wh, raw, now, progress=progress, rebuild=rebuild, past=past
        )
    except (KeyboardInterrupt, duckdb.InterruptException) as exc:  # Ctrl-C, SIGTERM
        progress.close()
        by = interruption.interruption(exc)
        fail(
            f"run interrupted by {by}: recorded as interrupted, the warehouse is as it "
            "was before the run",
            128 + signal.Signals[by].value,
        )
    except (storage.WarehouseBusy, pipeline.NowBeforeLastRun, CollectError) as exc:
        progress.close()
        fail(str(exc))
    except Exception as exc:  # the run is recorded as failed; nothing half-published
        progress.close()
        fail(f"run failed: {type(exc).__name__}: {exc}")
    progress.close()
    return pipeline.summary_dict(summary)


@app.command()
def run(
    raw: RawOpt = None,
    now: NowOpt = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Rebuild this day (YYYY-MM-DD).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Rebuild from this day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Rebuild up to this day (YYYY-MM-DD).")] = None,
    as_of_past: Annotated[
        bool,
        typer.Option(
            "--as-of-past",
            help="Allow a --now before the live reports' instant: publish that run's report "
            "set beside the live reports (.reports/<run>), never in their place.",
        ),
    ] = False,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Collect, ingest new raw files, rebuild the facts they touch, publish the reports."""
    from pipelines.extract.files import missing_tree

    as_of = parse_now(now)
    settings = _settings(config)
    for source, configured in settings.sources.items():  # an unset variable, before all else
        try:
            configured.dsn(f"sources.{source}")
        except ConfigError as exc:
            fail(str(exc))
    _settings(config, publishing_as_of=as_of)
    wh = _warehouse(settings, warehouse)
    first, last = _parse_day("--start", start), _parse_day("--end", end)
    if day and (start or end):
        fail("give --date or --start/--end, not both", 2)
    if (first is None) != (last is None) or (first and last and first > last):
        fail("--start and --end go together, with --start <= --end", 2)
    single = _parse_day("--date", day)
    rebuild = (single, single) if single else ((first, last) if first else None)
    root = raw or settings.raw or wh.default_raw
    # A collector creates the tree; without one there must be something to run on.
    if not settings.sources and (problem := missing_tree(root)):
        fail(problem)
    _print_summary(_run(settings, wh, raw, as_of, rebuild, as_of_past), wh)


@app.command("collect")
def collect_command(
    source: Annotated[str, typer.Argument(help="The product: coder, openl2m or seatable.")],
    dsn: Annotated[
        str | None,
        typer.Option(
            help="Database URL (default: the variable flows.yaml sources.<source>.dsn_env names)."
        ),
    ] = None,
    raw: RawOpt = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Land the product's new records from its own database as raw files (read-only)."""
    from pipelines import collect

    settings = _settings(config)
    wh = _warehouse(settings, warehouse)
    if source not in collect.SOURCES:
        fail(
            f"collect {source!r}: not a source with a database collector "
            f"(one of: {', '.join(collect.SOURCES)})",
            2,
        )
    if dsn is None:
        configured = settings.sources.get(source)
        if configured is None:
            fail(
                f"collect {source}: give --dsn, or name the variable holding the URL in "
                f"flows.yaml (sources.{source}.dsn_env)",
                2,
            )
        try:
            dsn = configured.dsn(f"sources.{source}")
        except ConfigError as exc:
            fail(str(exc), 2)
    root = raw or settings.raw or wh.default_raw
    try:
        landed = collect.collect(
            source, dsn, wh, root, datetime.now(UTC), lambda msg: err.print(msg), wh.lock
        )
    except (collect.CollectError, storage.WarehouseBusy) as exc:
        fail(str(exc))
    table = Table(title=f"collect {source} -> {root}", show_header=False)
    for kind, rows in landed.items():
        table.add_row(kind, f"{rows:,} rows")
    Console().print(table)


@contextmanager
def _report_context(config: Path | None, warehouse: Path | None, now: str | None):
    """What `report` and `dashboard` answer from: a report session of an existing
    warehouse, as of --now."""
    from pipelines.endpoints.base import Context, open_session

    settings = _answering(_settings(config))
    wh = _existing_warehouse(settings, warehouse)
    as_of = parse_now(now)
    con = open_session(wh)
    try:
        yield Context(con, as_of, settings)
    finally:
        con.close()


@app.command()
def report(
    target: Annotated[str, typer.Argument(help="'PATH?QUERY' of a product's endpoint.")],
    now: NowOpt = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Print one endpoint's JSON body, computed from the warehouse."""
    from pipelines import endpoints
    from pipelines.publish import answer_bytes

    with _report_context(config, warehouse, now) as ctx:
        status, body = endpoints.call(ctx, target)
    sys.stdout.buffer.write(answer_bytes(status, body))
    sys.stdout.flush()
    if status != 200:
        err.print(f"HTTP {status}")
        raise typer.Exit(2)


@app.command()
def dashboard(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the page into.")],
    now: NowOpt = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write the dashboard page of the warehouse as of any instant (index.html + its script)."""
    from pipelines import dashboard as page

    with _report_context(config, warehouse, now) as ctx:
        data = page.page_data(ctx, datetime.now(UTC), {})
    page.write(out, data)
    err.print(f"wrote {storage.dashboard_page(out)}")


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, help="Days of sample data.")] = 28,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Generate a sample data set into the warehouse's raw/ and run the pipeline over it."""
    from pipelines.generate import generate as write_tree

    now = datetime.now(UTC)
    settings = _settings(config, publishing_as_of=now)
    wh = _warehouse(settings, warehouse)
    raw = settings.raw or wh.default_raw
    err.print(f"generating {days} days of sample logs into {raw} ...")
    written = write_tree(raw, days, None, "medium", 1, False)
    err.print(
        f"wrote {written.records:,} records in {written.files:,} files; running the pipeline ..."
    )
    _print_summary(_run(settings, wh, raw, now), wh)


@app.command()
def schedule(
    port: Annotated[
        int, typer.Option(help="Loopback port of the Prefect server and its UI.")
    ] = 4200,
    start_server: Annotated[
        bool, typer.Option(help="Start a Prefect server, or use PREFECT_API_URL's.")
    ] = True,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Run flows.yaml's deployments on their cron schedules until stopped (Ctrl-C), with
    Prefect's UI on loopback to watch and trigger runs."""
    import os

    from pipelines import prefect_setup, scheduling

    settings = _settings(config, publishing_as_of=datetime.now(UTC))
    wh = _warehouse(settings, warehouse)
    prefect_setup.configure(wh)
    home = Path(os.environ["PREFECT_HOME"])
    with _or_fail(wh.scheduler_lock):
        server = None
        if start_server:
            err.print(f"starting a Prefect server on 127.0.0.1:{port} (state in {home}) ...")
            server = scheduling.start_server(home, port, scheduling.server_log(home))
            os.environ.update(scheduling.server_env(home, port))
        from prefect import serve

        from pipelines.flows import deployments

        try:
            served = deployments(settings, config or DEFAULT_CONFIG, warehouse)
            err.print(scheduling.banner(settings, os.environ["PREFECT_API_URL"], home, config))
            serve(*served, print_starting_message=False)
        except KeyboardInterrupt:
            pass  # Ctrl-C: Prefect has stopped its runs; the server goes below
        finally:
            if server is not None:
                scheduling.stop_server(server)
    err.print("stopped: the scheduler, its Prefect server and the runs it started")


@app.command()
def trigger(
    deployment: Annotated[str, typer.Option(help="The flows.yaml deployment to run.")] = "nightly",
    port: Annotated[int, typer.Option(help="Loopback port `schedule` serves on.")] = 4200,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the run to end.")] = False,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Start a run of a deployment now on the running `schedule` (what the UI's Run button
    does); it runs, and is logged, there."""
    import os

    from pipelines import prefect_setup, scheduling

    settings = _settings(config)
    wh = _warehouse(settings, warehouse)
    declared = {d.name: d for d in settings.deployments}
    if deployment not in declared:
        fail(f"trigger: no deployment {deployment!r} in flows.yaml ({', '.join(declared)})", 2)
    prefect_setup.configure(wh)
    os.environ.update(scheduling.server_env(Path(os.environ["PREFECT_HOME"]), port))
    try:
        url, state = scheduling.trigger(f"{declared[deployment].flow}/{deployment}", port, wait)
    except scheduling.SchedulerUnreachable as exc:
        fail(str(exc))
    err.print(f"run {state}: {url}")
    if wait and state != "COMPLETED":
        raise typer.Exit(1)


@contextmanager
def _or_fail(lock):
    """Hold a warehouse lock, or end with its one-line refusal."""
    with ExitStack() as held:
        try:
            held.enter_context(lock())
        except storage.WarehouseBusy as exc:
            fail(str(exc))
        yield


def _size(path: Path) -> str:
    """A removed path's size, for `reset`'s account of what it removed."""
    if path.is_symlink() or path.is_file():
        return f"{path.lstat().st_size:,} bytes"
    files = [f for f in path.rglob("*") if f.is_file() and not f.is_symlink()]
    return f"{len(files):,} files, {sum(f.stat().st_size for f in files) / 2**20:,.1f} MB"


@app.command()
def reset(
    include_raw: Annotated[
        bool, typer.Option("--include-raw", help="Remove the raw landing tree too.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Start over: remove everything derived (Parquet, usage.duckdb, report sets, collect
    watermarks, Prefect's state); the raw tree is kept unless --include-raw, and the list of
    erased persons always."""
    from pipelines.storage.journal import complete as complete_erasure

    settings = _settings(config)
    wh = _warehouse(settings, warehouse)
    raw = settings.raw or wh.default_raw

    def doomed() -> list[Path]:
        paths = wh.derived() + ([raw] if include_raw else [])
        return [p for p in paths if p.exists() or p.is_symlink()]

    if not doomed():
        err.print(f"nothing to remove in {wh.root}")
        return
    if not yes:
        names = ", ".join(str(p) for p in doomed())
        if not sys.stdin.isatty():
            fail(f"reset would remove {names}: give --yes to confirm", 2)
        typer.confirm(f"remove {names}?", abort=True, err=True)
    # Neither a run nor `schedule`'s server may be using what goes (their lock files go too).
    with _or_fail(wh.scheduler_lock), _or_fail(wh.lock):
        # A killed `forget`'s erasure is completed first: its raw files, which stay, are
        # rewritten, and forgotten.json, which stays too, keeps the person out of the rebuild.
        complete_erasure(wh, err.print)
        for path in doomed():
            size = _size(path)
            if path.is_dir() and not path.is_symlink():
                storage.remove_tree(path)
            else:
                path.unlink(missing_ok=True)
            err.print(f"removed {path} ({size})")
    if not include_raw:
        err.print(f"kept the raw tree {raw}")
    if wh.forgotten.exists():
        err.print(
            f"kept {wh.forgotten} (and its key): the persons erased stay out of what is "
            "ingested again"
        )


@app.command()
def forget(
    user: Annotated[
        list[str],
        typer.Option(
            "--user",
            help="The person: a user id, username or e-mail address; repeat it for their "
            "ids in other products (OpenL2M knows a user by number only).",
        ),
    ],
    source: Annotated[
        str | None, typer.Option(help="Only this product: coder, rocketchat, seatable, openl2m.")
    ] = None,
    raw: RawOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Erase for good (asked, not assumed).")
    ] = False,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Erase a person from every layer (raw files, records, staging, facts, usage.duckdb,
    kept report sets, the dashboard) and keep them out of later ingests."""
    from pipelines import records
    from pipelines.forget import NotFound
    from pipelines.forget import forget as erase
    from pipelines.progress import Progress

    if not yes:
        fail("forget erases the person from every layer and cannot be undone: add --yes", 2)
    if source is not None and source not in records.SOURCES:
        fail(f"--source {source!r}: not a source (one of: {', '.join(records.SOURCES)})", 2)
    settings = _settings(config)
    wh = _existing_warehouse(settings, warehouse)
    progress = Progress()
    try:
        erasure = erase(settings, wh, user, source, raw, progress)
    except (NotFound, ConfigError, storage.WarehouseBusy) as exc:
        progress.close()
        fail(str(exc))
    progress.close()
    if erasure.completed_before:
        err.print("completed the erasure a killed `forget` had decided")
    if not erasure.found:
        return
    table = Table(title=f"erasure {erasure.run_id}", show_header=False)
    found = ", ".join(f"{kind} {count}" for kind, count in sorted(erasure.found.items()))
    table.add_row("found", found)
    for drop in erasure.drops:
        table.add_row(
            f"{drop.layer} {drop.subject}",
            f"{drop.count_files:,} files rewritten, {drop.count_rows:,} records removed",
        )
    table.add_row("staging and facts", f"{erasure.partitions_rebuilt:,} partitions rebuilt")
    table.add_row("report sets", f"{erasure.report_sets} computed again, dashboard included")
    table.add_row("usage.duckdb", "rebuilt")
    table.add_row("forgotten list", f"{wh.forgotten} (keyed hashes, no identifier)")
    Console().print(table)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth",
            help="Answer products (and the dashboard) without configured credentials on a "
            "non-loopback address.",
        ),
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(help="Answer as of this instant, RFC 3339 (default: each request's time)."),
    ] = None,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Answer every endpoint over HTTP, as of each request, behind each product's own auth;
    the published reports and the dashboard behind theirs."""
    import uvicorn

    from pipelines import auth
    from pipelines.serve import log_config, make_app

    settings = _answering(_settings(config))
    wh = _existing_warehouse(settings, warehouse)
    try:
        credentials = auth.configured(settings)
    except ConfigError as exc:
        fail(str(exc))
    unprotected = auth.unprotected(credentials)
    if unprotected and not _loopback(host):
        if not insecure_no_auth:
            fail(
                f"serve on {host}: {', '.join(unprotected)} would answer anyone; configure "
                "serve.auth in flows.yaml (or pass --insecure-no-auth)"
            )
        err.print(
            f"[yellow]warning:[/] serving {', '.join(unprotected)} on {host} without "
            "authentication: anyone who reaches the port reads user names and ids"
        )
    frozen = parse_now(now) if now else None
    uvicorn.run(
        make_app(settings, wh, credentials, frozen),
        host=host,
        port=port,
        access_log=False,  # serve.AccessLog writes the access lines, credentials redacted
        log_config=log_config(),
    )


@app.command()
def status(
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 10,
    warehouse: WarehouseOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show the last runs, data freshness per source and the latest run's warnings."""
    from pipelines import monitoring

    settings = _settings(config)
    wh = _existing_warehouse(settings, warehouse)
    con = storage.open_warehouse(wh)
    try:
        report = monitoring.status(con, limit)
    finally:
        con.close()
    console = Console()
    for title, rows in report.items():
        table = Table(title=title, title_justify="left", pad_edge=False)
        for column in rows[0] if rows else ["(none)"]:
            table.add_column(str(column), overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)


def main() -> None:
    app()
