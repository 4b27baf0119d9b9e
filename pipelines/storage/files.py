"""Atomic replacement of files and folders: a file is written aside and renamed into
place; the report set is a folder behind a symlink swapped in one rename; what a killed
run left is cleaned up by the next."""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from pathlib import Path

from pipelines.storage.paths import Warehouse, temporary


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(dest)
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def keep_or_write(live: Path, dest: Path, data: bytes) -> bool:
    """Put data at dest; when the live file already holds exactly these bytes, link it
    instead of writing (an unchanged report is not republished). True when it changed."""
    if live.is_file() and live.stat().st_size == len(data) and live.read_bytes() == data:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(live.resolve(), dest)
        return False
    write_bytes_atomic(dest, data)
    return True


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed writer left anywhere under folder."""
    for leftover in folder.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def clean_leftovers(wh: Warehouse, past: Collection[str] = ()) -> None:
    """Remove what a killed run left behind: temporary files, unpublished reports (the
    sets after the live one, but those of the committed past runs named in `past`: the
    sets before it were published and are kept).
    (Under parquet/, its files are swept when the run commits: see Catalog.commit.)

    Called with the run lock held, so no live run owns any of it, and after an erasure
    decided but not applied (a killed `forget`) is completed (journal.py).
    """
    for tmp in [*wh.root.glob(".*.tmp*"), *wh.root.glob(".reports.*.link")]:
        tmp.unlink(missing_ok=True)
    live = wh.reports.resolve() if wh.reports.is_symlink() else None
    if wh.report_versions.is_dir():
        for folder in wh.report_versions.iterdir():
            if (live is None or folder.name > live.name) and set_run(folder) not in past:
                remove_tree(folder)


def set_run(folder: Path) -> str:
    """The run a report set was published by (`forget` publishes it again under
    <run>~<erasure>)."""
    return folder.name.split("~")[0]


def report_sets(wh: Warehouse) -> list[Path]:
    """The report sets under .reports/, oldest first (named by their run: later runs sort
    later)."""
    if not wh.report_versions.is_dir():
        return []
    return sorted(wh.report_versions.iterdir(), key=lambda folder: folder.name)


def stale_report_sets(
    wh: Warehouse, run_id: str, keep: int, past: Collection[str] = ()
) -> list[Path]:
    """The sets a swap to run_id's set removes: all but the newest `keep` (its own among
    them) of the sets before it; never a past run's (named in `past`)."""
    before = [
        folder for folder in report_sets(wh) if folder.name < run_id and set_run(folder) not in past
    ]
    return before[: max(len(before) - (keep - 1), 0)]


def publish_reports_dir(wh: Warehouse, run_id: str) -> Path:
    """A fresh folder for this run's reports; swap_reports makes it live."""
    folder = wh.report_versions / run_id
    remove_tree(folder)
    folder.mkdir(parents=True)
    return folder


def point_reports(wh: Warehouse, folder: Path) -> None:
    """Point reports/ at folder in one rename."""
    link = wh.reports
    if link.exists() and not link.is_symlink():
        # A plain folder from elsewhere: move it aside once so the symlink can take its place.
        link.rename(wh.report_versions / "previous-plain")
    tmp_link = wh.root / f".reports.{os.getpid()}.link"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(folder.relative_to(wh.root))
    os.replace(tmp_link, link)


def swap_reports(wh: Warehouse, folder: Path, keep: int = 1, past: Collection[str] = ()) -> None:
    """Point reports/ at folder in one rename, then drop the sets beyond the last `keep`
    (flows.yaml `retention.reports`) and any later set not published; the sets of the past
    runs named in `past` stay."""
    point_reports(wh, folder)
    later = [
        other
        for other in report_sets(wh)
        if other.name > folder.name and set_run(other) not in past
    ]
    for old in [*stale_report_sets(wh, folder.name, keep, past), *later]:
        remove_tree(old)
