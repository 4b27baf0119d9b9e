"""The Prefect flows: wiring only. Every stage is a plain function of pipeline.py."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.schedules import Cron

from pipelines import pipeline
from pipelines.config import Settings, load_settings
from pipelines.storage import Warehouse

# Inputs are warehouse handles, not values worth caching. Only collecting retries: it reads
# a product's database over the network, and a retry starts again from the saved
# watermarks. A failed extract has already put part of its tables in the run's catalog, so
# a retry would count them as duplicates; the run is recorded failed instead, and the next
# one starts from the committed state. A collect's connection URL is read from the
# environment inside the task, never passed as a parameter (Prefect would keep it).
collect_task = task(
    pipeline.collect_source,
    name="collect-source",
    task_run_name="collect-{source}",
    retries=2,
    retry_delay_seconds=10,
    cache_policy=NO_CACHE,
)
extract_task = task(
    pipeline.extract_source,
    name="extract-source",
    task_run_name="extract-{source}",
    cache_policy=NO_CACHE,
)
transform_task = task(pipeline.transform, name="transform", cache_policy=NO_CACHE)
check_task = task(pipeline.check, name="checks", cache_policy=NO_CACHE)
publish_task = task(pipeline.publish_reports, name="publish", cache_policy=NO_CACHE)


@flow(name="nightly", log_prints=True)
def nightly(
    warehouse: str | None = None,
    config: str | None = None,
    raw: str | None = None,
    now: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict:
    """Collect the configured sources, ingest new raw files, rebuild the facts they touch
    (and the days start..end), publish the configured reports."""
    settings = load_settings(config)
    log = get_run_logger()  # progress in the run's log: the Prefect UI shows it live
    summary = pipeline.run_nightly(
        settings,
        Warehouse(warehouse or settings.warehouse),
        raw=Path(raw) if raw else None,
        now=datetime.fromisoformat(now) if now else None,
        stages=pipeline.Stages(
            collect=collect_task,
            extract=extract_task,
            transform=transform_task,
            check=check_task,
            publish=publish_task,
        ),
        progress=log.info,
        rebuild=(date.fromisoformat(start), date.fromisoformat(end or start)) if start else None,
    )
    log.info(
        f"run {summary.run_id}: {summary.lines_read:,} lines read = {summary.accepted:,} "
        f"accepted + {summary.rejected:,} rejected + {summary.duplicates:,} duplicate; "
        f"{summary.days_rebuilt} days rebuilt; {summary.reports_written} reports changed"
    )
    for w in summary.warnings:
        log.warning(f"{w.check_name}: {w.subject}: {w.detail}")
    create_table_artifact(
        key="nightly-checks",
        table=[asdict(w) for w in summary.warnings]
        or [{"check_name": "all", "detail": "no warnings"}],
        description=f"Data-quality warnings of run {summary.run_id}",
    )
    return pipeline.summary_dict(summary)


FLOWS = {"nightly": nightly}


def deployments(settings: Settings, config: Path, warehouse: Path | None = None) -> list:
    """flows.yaml's deployments as Prefect runner deployments on their cron schedules."""
    fixed = {"config": str(config.resolve())}
    if warehouse is not None:
        fixed["warehouse"] = str(warehouse.resolve())
    return [
        FLOWS[d.flow].to_deployment(
            name=d.name,
            schedules=[Cron(d.cron, timezone=settings.timezone)],
            parameters={**fixed, **d.parameters},
            concurrency_limit=1,  # a second scheduled run waits instead of colliding
        )
        for d in settings.deployments
    ]
