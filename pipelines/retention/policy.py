"""What each layer keeps (flows.yaml `retention:`, docs/privacy.md), and the check that no
published window reads what it drops. drop.py does the dropping."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines import records
from pipelines.config import ConfigError, ReportWindow, Settings

DATED_FOLDER = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/|/(\d{4})-(\d{2})-(\d{2})/")


@dataclass(frozen=True)
class Drop:
    """What a run (or an erasure) removed from one table or place."""

    layer: str  # raw, records, facts, reports
    subject: str  # a table, `<source> raw files`, `report sets`
    first_day: date | None = None
    last_day: date | None = None
    count_files: int = 0
    count_rows: int = 0
    count_bytes: int = 0
    reason: str = "retention"


def horizon(settings: Settings, source: str, layer: str, now: datetime) -> date | None:
    """The first UTC day a layer keeps of a source (None: every day)."""
    days = settings.retention.days(source, layer)
    return None if days is None else now.astimezone(UTC).date() - timedelta(days=days)


def landed_day(relative: str) -> date | None:
    """The day of a raw file's dated folder (`YYYY/MM/DD/` or `YYYY-MM-DD/`), or None."""
    match = DATED_FOLDER.search(f"/{relative}")
    if not match:
        return None
    year, month, day = [g for g in match.groups() if g is not None]
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# ------------------------------------------------------------- what the reports read


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _reads(endpoint: str, params: dict[str, str], now: datetime, settings: Settings) -> dict:
    """(source, layer) -> the first UTC day a window reads (None: all of history)."""
    today = now.astimezone(UTC).date()
    local = now.astimezone(settings.zone).date()
    path = endpoint.strip("/")
    if path == "api/v2.1/admin/statistics/active-users":
        return {("seatable", "facts"): date.fromisoformat(params["start"][:10]) - timedelta(days=1)}
    if path == "api/v2.1/admin/statistics/scripts-running":
        month = params.get("month") or f"{local:%Y%m}"
        return {("seatable", "facts"): date(int(month[:4]), int(month[4:6]), 1) - timedelta(days=1)}
    if path == "api/stats":  # the log's retention window, and the 31 days of the usage
        first = min(
            (now - timedelta(days=settings.log_max_age_days)).astimezone(UTC).date(),
            local - timedelta(days=31),
        )
        return {("openl2m", "facts"): first, ("openl2m", "records"): first}
    if path == "api/v1/statistics":  # every message ever; today's from the records
        return {("rocketchat", "facts"): None, ("rocketchat", "records"): today}
    if path == "api/v2/insights/daus":
        return {("coder", "facts"): today - timedelta(days=61)}
    start = params.get("start_time") or params.get("start")
    if start is None:
        return {}
    first = _instant(start).date() - timedelta(days=1)
    if path == "api/v2/insights/templates":  # the builds' parameters come from the records
        return {("coder", "facts"): first, ("coder", "records"): first}
    return {("coder", "facts"): first}


def _dashboard_reads(now: datetime, settings: Settings) -> dict:
    """What the dashboard reads besides its windows: 90 days of DAU, WAU and MAU, twelve
    months of script runs, every Rocket.Chat message, 30 days of rejected lines."""
    from pipelines.dashboard import OVERVIEW_DAYS

    local = now.astimezone(settings.zone).date()
    reads = {(s, "facts"): local - timedelta(days=OVERVIEW_DAYS + 31) for s in records.SOURCES}
    reads |= {
        (s, "records"): now.astimezone(UTC).date() - timedelta(days=30) for s in records.SOURCES
    }
    reads[("seatable", "facts")] = local.replace(day=1) - timedelta(days=336)
    reads[("rocketchat", "facts")] = None
    return reads


def check(
    settings: Settings, config: Path, now: datetime, windows: list[tuple[str, ReportWindow, dict]]
) -> None:
    """Refuse a retention that drops what a published window (label, window, its resolved
    parameters) or the dashboard reads: a ConfigError naming the key and the reader."""
    from pipelines.config import resolve_params
    from pipelines.dashboard import WINDOWS

    readers = [(label, _reads(w.endpoint, params, now, settings)) for label, w, params in windows]
    for window in WINDOWS.values():
        params = resolve_params(window.params, now, settings)
        readers.append(
            ("the dashboard (reports/index.html)", _reads(window.endpoint, params, now, settings))
        )
    readers.append(("the dashboard (reports/index.html)", _dashboard_reads(now, settings)))
    today = now.astimezone(UTC).date()
    for label, reads in readers:
        for (source, layer), first in reads.items():
            kept = settings.retention.days(source, layer)
            needed = None if first is None else (today - first).days
            if kept is None or (needed is not None and kept >= needed):
                continue
            wants = "forever" if needed is None else f"{needed}d"
            raise ConfigError(
                f"{config}: {settings.retention.key(source, layer)}: {kept}d drops {source} "
                f"{layer} that {label} reads (keep at least {wants})"
            )
