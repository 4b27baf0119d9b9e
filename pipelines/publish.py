"""Write the configured report windows through the endpoint functions, atomically.

All files of one run go to a fresh folder with manifest.json; one symlink swap makes
them live, so readers see the previous set or the new one, never a mix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import orjson

from pipelines import endpoints, storage
from pipelines.config import Settings
from pipelines.endpoints.base import Context
from pipelines.storage import Catalog

# Date tokens in flows.yaml parameter values, resolved against the run's `now`:
#   {date±N}      local date (flows.yaml timezone), YYYY-MM-DD
#   {utc_date±N}  UTC date
#   {week±N}      local Monday of now's ISO week, minus/plus N weeks
#   {utc_week±N}  UTC Monday
#   {month±N}     local month as YYYYMM
TOKEN = re.compile(r"\{(date|utc_date|week|utc_week|month)([+-]\d+)?\}")


class PublishError(RuntimeError):
    """A configured window did not produce a report."""


@dataclass
class PublishResult:
    folder: Path  # the new report set; storage.swap_reports makes it live
    files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the files whose bytes are new


def _shift_month(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def resolve_params(params: dict[str, str], now: datetime, settings: Settings) -> dict[str, str]:
    """Replace date tokens in a window's parameter values."""
    local = now.astimezone(settings.zone).date()
    utc = now.astimezone(UTC).date()

    def token(match: re.Match) -> str:
        name, offset = match.group(1), int(match.group(2) or 0)
        if name == "month":
            return _shift_month(local.year, local.month, offset)
        base = utc if name.startswith("utc_") else local
        if name.endswith("week"):
            return str(base - timedelta(days=base.weekday()) + timedelta(weeks=offset))
        return str(base + timedelta(days=offset))

    return {key: TOKEN.sub(token, value) for key, value in params.items()}


def dumps(body: dict) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def publish(
    catalog: Catalog, settings: Settings, now: datetime, run_id: str, generated_at: datetime
) -> PublishResult:
    """Compute every configured window as of `now` into a fresh folder (not yet live)."""
    folder = storage.publish_reports_dir(catalog.wh, run_id)
    result = PublishResult(folder)
    con = storage.open_warehouse(catalog.wh, catalog)
    manifest_entries = []
    try:
        ctx = Context(con, now, settings)
        for window in settings.reports:
            params = resolve_params(window.params, now, settings)
            target = f"{window.endpoint}?{urlencode(params)}"
            status, body = endpoints.call(ctx, target)
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
    finally:
        con.close()
    manifest = {
        "run_id": run_id,
        "now": now.isoformat(),
        "generated_at": generated_at.isoformat(),
        "timezone": settings.timezone,
        "reports": manifest_entries,
    }
    storage.write_bytes_atomic(storage.reports_manifest(folder), dumps(manifest))
    return result
