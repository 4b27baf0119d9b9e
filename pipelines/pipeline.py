"""The nightly run's stages as plain functions; flows.py wraps them in Prefect tasks."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from pipelines import checks, collect, records, storage
from pipelines.config import Settings
from pipelines.extract.files import missing_tree, stray
from pipelines.extract.ingest import IngestResult, ingest
from pipelines.interruption import interruption, signals_ignored, stopping_at_steps
from pipelines.publish import PublishResult, publish
from pipelines.retention.drop import drop_old, remove_raw
from pipelines.retention.policy import Drop
from pipelines.storage import Catalog, Warehouse
from pipelines.storage.internal import CHECKS, RUNS
from pipelines.storage.journal import complete as complete_erasure
from pipelines.transform.runner import TransformResult, build_facts

Progress = Callable[[str], None]


class NoRawData(RuntimeError):
    """The raw folder is missing or holds no source folder: nothing to run on."""


class NowBeforeLastRun(RuntimeError):
    """A run as of an instant earlier than the one the live reports are as of."""


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    as_of: datetime
    status: str = "running"
    collected: dict[str, int] = field(default_factory=dict)  # source -> rows landed
    files: int = 0
    skipped_files: int = 0
    ignored_files: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    lines_read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    forgotten: int = 0  # records of a person `forget` erased, kept out
    # table -> partition keys rewritten by this run's ingest (what the transform rebuilds from)
    touched: dict[str, set[str]] = field(default_factory=dict)
    days_rebuilt: int = 0
    warnings: list[checks.Warning] = field(default_factory=list)
    reports_written: int = 0  # reports whose content changed (the others are kept as they were)
    reports_unchanged: int = 0
    dropped: list[Drop] = field(default_factory=list)  # by the retention
    seconds: dict[str, float] = field(default_factory=dict)
    finished_at: datetime | None = None
    message: str = ""
    # sources that landed no new record this run although earlier runs landed theirs
    silent_sources: list[str] = field(default_factory=list)
    # a run as of an instant before the live reports' (--as-of-past): its report set is
    # kept beside the live one, never swapped in
    past: bool = False
    reports_folder: Path | None = None

    @property
    def reconciles(self) -> bool:
        return self.lines_read == self.accepted + self.rejected + self.duplicates + self.forgotten

    def add_ingest(self, result: IngestResult) -> None:
        self.files += len(result.files)
        self.skipped_files += result.skipped
        self.ignored_files += result.ignored
        self.changed_files += [f.file for f in result.files if f.status == "changed"]
        self.lines_read += result.lines_read
        self.accepted += result.accepted
        self.rejected += result.rejected
        self.duplicates += result.duplicates
        self.forgotten += result.forgotten
        for table, days in result.touched.items():
            self.touched.setdefault(table, set()).update(str(d) for d in days)

    def rebuild(self, first: date, last: date) -> None:
        """Ask the transform to rebuild these days of every event table (backfill)."""
        days = {str(first + timedelta(days=n)) for n in range((last - first).days + 1)}
        for kind in records.KINDS:
            if kind.sort == "event" and kind.partitioned:
                self.touched.setdefault(kind.table, set()).update(days)


def new_run_id(started_at: datetime) -> str:
    return started_at.strftime("%Y%m%dT%H%M%S%fZ")


def start_run(now: datetime | None = None) -> RunSummary:
    started = datetime.now(UTC)
    return RunSummary(new_run_id(started), started, (now or started).astimezone(UTC))


def raw_root(wh: Warehouse, settings: Settings, raw: Path | None) -> Path:
    return Path(raw) if raw else (settings.raw or wh.default_raw)


def collect_source(
    settings: Settings,
    wh: Warehouse,
    raw: Path,
    summary: RunSummary,
    source: str,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Land a configured source's new records from its database (under the run's lock)."""
    dsn = settings.sources[source].dsn(f"sources.{source}")
    # Snapshots without a time of their own are stamped with the run's as-of instant, so a
    # run with --now sees what it collected.
    return collect.collect(
        source, dsn, wh, raw, summary.as_of, progress or (lambda _msg: None), nullcontext
    )


def extract_source(
    catalog: Catalog, raw: Path, summary: RunSummary, source: str, progress: Progress | None = None
) -> IngestResult:
    """Ingest one source's new raw files into the run's catalog."""
    return ingest(
        catalog.wh,
        raw,
        f"{summary.run_id}-{source}",
        summary.started_at.date(),
        progress,
        source=source,
        catalog=catalog,
    )


def transform(
    catalog: Catalog, settings: Settings, summary: RunSummary, progress: Progress | None = None
) -> TransformResult:
    """Rebuild the fact partitions the run's new data (or --start/--end) can change."""
    return build_facts(catalog.wh, settings, progress, catalog, summary.run_id, summary.touched)


def check(
    catalog: Catalog, settings: Settings, summary: RunSummary, transformed: TransformResult
) -> list[checks.Warning]:
    """Run the data-quality checks; their warnings join the run's catalog as `checks`."""
    con = checks.open_session(catalog, summary.touched)
    try:
        found = checks.landed_nothing(summary.silent_sources) + checks.run_checks(
            con,
            summary.run_id,
            summary.touched,
            transformed.rebuilt,
            summary.as_of,
            settings.checks,
        )
        if found:
            rows = pa.Table.from_pylist([{"run_id": summary.run_id, **asdict(w)} for w in found])
            con.register("warnings", rows)
            CHECKS.write(con, catalog, "select * from warnings", summary.run_id)
    finally:
        con.close()
    return found


def publish_reports(catalog: Catalog, settings: Settings, summary: RunSummary) -> PublishResult:
    """Write every configured report from the run's (not yet committed) catalog; its
    dashboard lists the run as it stands."""
    return publish(
        catalog, settings, summary.as_of, summary.run_id, summary.started_at, run_row(summary)
    )


def run_row(summary: RunSummary) -> dict:
    """The run's row of the runs table, as it stands."""
    return {
        "run_id": summary.run_id,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "as_of": summary.as_of,
        "status": summary.status,
        "files": summary.files,
        "lines_read": summary.lines_read,
        "accepted": summary.accepted,
        "rejected": summary.rejected,
        "duplicates": summary.duplicates,
        "forgotten": summary.forgotten,
        "days_rebuilt": summary.days_rebuilt,
        "reports_written": summary.reports_written,
        "seconds": round(sum(summary.seconds.values()), 3),
        "extract_seconds": summary.seconds.get("extract", 0.0),
        "transform_seconds": summary.seconds.get("transform", 0.0),
        "publish_seconds": summary.seconds.get("publish", 0.0),
        "message": summary.message,
    }


def record_run(catalog: Catalog, summary: RunSummary) -> None:
    """Add the run's row to the runs table of the catalog."""
    table = pa.Table.from_pylist([run_row(summary)])
    con = storage.connect()
    try:
        con.register("run_row", table)
        RUNS.write(con, catalog, "select * from run_row", summary.run_id)
    finally:
        con.close()


class Stopwatch:
    """Times a stage into summary.seconds[name]."""

    def __init__(self, summary: RunSummary, name: str):
        self.summary, self.name = summary, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc) -> None:
        elapsed = time.perf_counter() - self.start
        self.summary.seconds[self.name] = round(self.summary.seconds.get(self.name, 0) + elapsed, 3)


def finish(catalog: Catalog, summary: RunSummary, status: str, message: str = "") -> RunSummary:
    """Record the run in the catalog and commit it: the one moment the run becomes visible.
    After a failed or interrupted run, or one that follows a killed run, the commit also
    sweeps away the files no catalog names."""
    summary.status = status
    summary.message = message
    summary.finished_at = datetime.now(UTC)
    record_run(catalog, summary)
    catalog.commit(summary.run_id, sweep=status != "ok" or catalog.wh.interrupted)
    return summary


def refuse_past(catalog: Catalog, summary: RunSummary) -> None:
    """A run as of an instant before the live reports' would replace them with an older
    picture (a past --now on a warehouse run today publishes zeros): refused, unless asked
    for as a past run."""
    live = catalog.as_of
    if live is not None and summary.as_of < live and not summary.past:
        raise NowBeforeLastRun(
            f"--now {summary.as_of.isoformat()} is before {live.isoformat()}, the instant the "
            "live reports are as of; give --as-of-past to publish a report set of that "
            "instant beside them"
        )


def _sources_with_records(catalog: Catalog) -> set[str]:
    return {k.source for k in records.KINDS if catalog.has_files(k.table)}


def summary_dict(summary: RunSummary) -> dict:
    data = asdict(summary)
    data["touched"] = {table: sorted(days) for table, days in summary.touched.items()}
    for drop in data["dropped"]:
        for key in ("first_day", "last_day"):
            drop[key] = drop[key] and str(drop[key])
    for key in ("started_at", "as_of", "finished_at"):
        data[key] = data[key].isoformat() if data[key] else None
    data["reports_folder"] = str(summary.reports_folder) if summary.reports_folder else None
    return data


@dataclass(frozen=True)
class Stages:
    """The callables run_nightly uses; flows.py passes Prefect task versions of these."""

    collect: Callable[..., dict[str, int]] = collect_source
    extract: Callable[..., IngestResult] = extract_source
    transform: Callable[..., TransformResult] = transform
    check: Callable[..., list[checks.Warning]] = check
    publish: Callable[..., PublishResult] = publish_reports


def run_nightly(
    settings: Settings,
    wh: Warehouse,
    raw: Path | None = None,
    now: datetime | None = None,
    stages: Stages = Stages(),
    progress: Progress | None = None,
    rebuild: tuple[date, date] | None = None,
    past: bool = False,
) -> RunSummary:
    """Collect the configured sources, extract every source, rebuild the facts, publish;
    record the run whatever happens: ok, failed, or interrupted (Ctrl-C, SIGTERM, a
    cancelled Prefect run), the last two leaving the previous state whole.

    `rebuild` (first, last) also rebuilds those days from the landed data. `past` allows a
    `now` before the live reports' (see refuse_past): that run collects nothing (a collect
    lands what the product holds now) and keeps its reports beside the live ones.
    """
    for source, configured in settings.sources.items():
        configured.dsn(f"sources.{source}")  # an unset variable fails before any work
    progress = stopping_at_steps(progress or (lambda _message: None))
    say = progress
    summary = start_run(now)
    summary.past = past
    if rebuild:
        summary.rebuild(*rebuild)
    root = raw_root(wh, settings, raw)
    with wh.lock():
        complete_erasure(wh)  # a killed `forget` decided its erasure: completed first
        catalog = Catalog.load(wh)
        refuse_past(catalog, summary)
        try:
            storage.clean_leftovers(wh, catalog.past_reports)
            had_records = _sources_with_records(catalog)
            with Stopwatch(summary, "collect"):
                for source in [] if past else settings.sources:
                    landed = stages.collect(settings, wh, root, summary, source, progress)
                    summary.collected[source] = sum(landed.values())
            if problem := missing_tree(root):
                raise NoRawData(problem)
            with Stopwatch(summary, "extract"):
                for source in records.SOURCES:
                    ingested = stages.extract(catalog, root, summary, source, progress)
                    summary.add_ingest(ingested)
                    if source in had_records and ingested.accepted == 0:
                        summary.silent_sources.append(source)
                summary.ignored_files = stray(root) + summary.ignored_files
            with Stopwatch(summary, "transform"):
                transformed = stages.transform(catalog, settings, summary, progress)
                summary.days_rebuilt = transformed.partitions_written
            with Stopwatch(summary, "checks"):
                say("checking the data")
                summary.warnings = stages.check(catalog, settings, summary, transformed)
            with Stopwatch(summary, "retention"):  # after the facts that aggregate it
                kept = drop_old(catalog, settings, summary.run_id, summary.as_of, root, say)
                summary.dropped = kept.drops
            with Stopwatch(summary, "publish"):
                say(f"publishing {len(settings.reports)} reports")
                published = stages.publish(catalog, settings, summary)
                summary.reports_written = len(published.changed)
                summary.reports_unchanged = len(published.files) - len(published.changed)
                summary.reports_folder = published.folder
        except BaseException as exc:
            # Only the run's row is committed; the data stays as it was.
            stopped_by = interruption(exc)
            with signals_ignored():
                if stopped_by:
                    finish(Catalog.load(wh), summary, "interrupted", f"interrupted by {stopped_by}")
                else:
                    finish(Catalog.load(wh), summary, "failed", f"{type(exc).__name__}: {exc}")
            raise
        with signals_ignored():
            say("committing the run")
            if past:
                catalog.past_reports.append(summary.run_id)
            else:
                catalog.as_of = summary.as_of
            finish(catalog, summary, "ok")
            if not past:
                storage.swap_reports(
                    wh, published.folder, settings.retention.reports, catalog.past_reports
                )
            remove_raw(root, kept.raw_files)
            storage.rebuild_duckdb_file(wh)
        return summary
