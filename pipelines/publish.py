"""Write the configured report windows through the endpoint functions, atomically, and the
dashboard page beside them.

All files of one run go to a fresh folder with manifest.json; one symlink swap makes
them live, so readers see the previous set or the new one, never a mix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import orjson

from pipelines import dashboard, endpoints, storage
from pipelines.config import ConfigError, Settings, resolve_params
from pipelines.endpoints.base import Context, open_session
from pipelines.retention import policy
from pipelines.storage import Catalog


class PublishError(RuntimeError):
    """A configured window did not produce a report."""


@dataclass
class PublishResult:
    folder: Path  # the new report set; storage.swap_reports makes it live
    files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the files whose bytes are new


def check_windows(settings: Settings, config: Path, now: datetime) -> None:
    """Ask every configured window's endpoint to check its parameters as of `now` (no data
    read): a parameter it refuses is a ConfigError naming the file and the window, found
    before any work starts; so is a retention that would drop what a window reads
    (retention.policy.check)."""
    ctx = Context(None, now, settings)
    windows = []
    for index, window in enumerate(settings.reports):
        params = resolve_params(window.params, now, settings)
        label = f"reports[{index}] ({window.endpoint} {window.name!r})"
        status, body = endpoints.call(ctx, f"{window.endpoint}?{urlencode(params)}")
        if status != 200:
            raise ConfigError(f"{config}: {label}: HTTP {status} {orjson.dumps(body).decode()}")
        windows.append((label, window, params))
    policy.check(settings, config, now, windows)


def dumps(body: dict) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def answer_bytes(status: int, body: dict) -> bytes:
    """An endpoint's answer as `report` prints it and `serve` sends it: a report indented
    as published, an error on one line."""
    return dumps(body) if status == 200 else orjson.dumps(body) + b"\n"


def publish(
    catalog: Catalog,
    settings: Settings,
    now: datetime,
    run_id: str,
    generated_at: datetime,
    run: dict | None = None,
) -> PublishResult:
    """Compute every configured window as of `now` into a fresh folder (not yet live);
    `run`: the row of the run publishing, which its dashboard lists as running."""
    folder = storage.publish_reports_dir(catalog.wh, run_id)
    result = PublishResult(folder)
    con = open_session(catalog.wh, catalog)
    manifest_entries = []
    published: dict[str, dict] = {}
    try:
        ctx = Context(con, now, settings)
        for window in settings.reports:
            params = resolve_params(window.params, now, settings)
            target = f"{endpoints.normalise_path(window.endpoint)}?{urlencode(params)}"
            status, body = endpoints.call(ctx, target)
            published[target] = body
            if status != 200:
                raise PublishError(
                    f"flows.yaml report {window.endpoint} {window.name!r} with {params}: "
                    f"HTTP {status} {orjson.dumps(body).decode()}"
                )
            relative = storage.report_file(endpoints.normalise_path(window.endpoint), window.name)
            if storage.keep_or_write(catalog.wh.reports / relative, folder / relative, dumps(body)):
                result.changed.append(relative.as_posix())
            result.files.append(relative.as_posix())
            manifest_entries.append(
                {
                    "file": relative.as_posix(),
                    "endpoint": endpoints.normalise_path(window.endpoint),
                    "query": params,
                    "now": now.isoformat(),
                    "generated_at": generated_at.isoformat(),
                }
            )
        # The dashboard goes with the reports: one swap makes page and data live together.
        dashboard.write(
            folder, dashboard.page_data(ctx, generated_at, published, run), catalog.wh.reports
        )
    finally:
        con.close()
    manifest = {
        "run_id": run_id,
        "now": now.isoformat(),
        "generated_at": generated_at.isoformat(),
        "timezone": settings.timezone,
        "dashboard": storage.dashboard_page(folder).name,
        "reports": manifest_entries,
    }
    storage.write_bytes_atomic(storage.reports_manifest(folder), dumps(manifest))
    return result
