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


def clean_leftovers(wh: Warehouse, keep: Collection[str] = ()) -> None:
    """Remove what a killed run left behind: temporary files, unpublished reports (all
    report sets but the live one and those of the committed past runs named in keep).
    (Under parquet/, its files are swept when the run commits: see Catalog.commit.)

    Called with the run lock held, so no live run owns any of it.
    """
    for tmp in [*wh.root.glob(".*.tmp*"), *wh.root.glob(".reports.*.link")]:
        tmp.unlink(missing_ok=True)
    live = wh.reports.resolve() if wh.reports.is_symlink() else None
    if wh.report_versions.is_dir():
        for folder in wh.report_versions.iterdir():
            if folder.resolve() != live and folder.name not in keep:
                remove_tree(folder)


def publish_reports_dir(wh: Warehouse, run_id: str) -> Path:
    """A fresh folder for this run's reports; swap_reports makes it live."""
    folder = wh.report_versions / run_id
    remove_tree(folder)
    folder.mkdir(parents=True)
    return folder


def swap_reports(wh: Warehouse, folder: Path, keep: Collection[str] = ()) -> None:
    """Point reports/ at folder in one rename, then drop older versions (but the report
    sets of past runs named in keep)."""
    link = wh.reports
    if link.exists() and not link.is_symlink():
        # A plain folder from elsewhere: move it aside once so the symlink can take its place.
        link.rename(wh.report_versions / "previous-plain")
    tmp_link = wh.root / f".reports.{os.getpid()}.link"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(folder.relative_to(wh.root))
    os.replace(tmp_link, link)
    for old in wh.report_versions.iterdir():
        if old != folder and old.name not in keep:
            remove_tree(old)
