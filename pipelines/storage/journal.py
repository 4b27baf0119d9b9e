"""An erasure decided but not yet wholly applied (`usage-warehouse forget`), kept in
<warehouse>/erasure-journal.json: the catalog to install, the report sets to keep and the
one to make live, the raw files to rename into place, the forgotten list to write.

An erasure prepares everything aside (new Parquet files, report sets under new names, raw
files under `.<name>.erasure`), then writes the journal in one rename: that is the moment
it happens. `complete` applies it, every step one that can be done again: whoever takes
the warehouse next (a run, the next forget) completes a killed erasure
first. Killed before the journal, nothing of it is visible, and the next run or forget
sweeps what it left (`prepare` noted where its raw files were being written). The journal
names files and hashes, never a person.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from pipelines.storage.catalog import collect_garbage, install
from pipelines.storage.files import point_reports, remove_tree, report_sets, write_bytes_atomic
from pipelines.storage.paths import Warehouse
from pipelines.storage.views import rebuild_duckdb_file


def prepare(wh: Warehouse, raw: Path) -> None:
    """Note, before an erasure writes raw files aside, where: a killed one's are removed."""
    write_bytes_atomic(wh.erasure_prepared, orjson.dumps({"raw": str(raw)}))


def write(
    wh: Warehouse,
    run_id: str,
    catalog: bytes,
    live: str | None,
    kept_sets: list[str],
    raw: list[tuple[Path, Path]],
    forgotten: bytes,
) -> None:
    """Decide the erasure: the journal, written in one rename."""
    entry = {
        "run_id": run_id,
        "catalog": orjson.loads(catalog),
        "live": live,
        "report_sets": kept_sets,
        "raw": [[str(temporary), str(dest)] for temporary, dest in raw],
        "forgotten": orjson.loads(forgotten),
    }
    write_bytes_atomic(wh.erasure_journal, orjson.dumps(entry))


def complete(wh: Warehouse, say=None) -> bool:
    """Apply a decided erasure, if one is pending (True), and remove what an erasure
    killed before it was decided left."""
    if not wh.erasure_journal.is_file():
        _discard_prepared(wh)
        return False
    say = say or (lambda _message: None)
    entry = orjson.loads(wh.erasure_journal.read_bytes())
    say("installing the catalog")
    install(wh, entry["run_id"], orjson.dumps(entry["catalog"], option=orjson.OPT_SORT_KEYS))
    if entry["live"]:
        point_reports(wh, wh.report_versions / entry["live"])
    for folder in report_sets(wh):
        if folder.name not in entry["report_sets"]:
            remove_tree(folder)
    rebuild_duckdb_file(wh)
    for temporary, dest in entry["raw"]:
        if Path(temporary).exists():  # not renamed yet
            say(f"renaming {dest}")
            os.replace(temporary, dest)
    write_bytes_atomic(wh.forgotten, orjson.dumps(entry["forgotten"], option=orjson.OPT_INDENT_2))
    say("removing the files of the catalogs before")
    collect_garbage(wh, keep=0, sweep=True)
    wh.erasure_journal.unlink()
    _discard_prepared(wh)
    return True


def _discard_prepared(wh: Warehouse) -> None:
    if wh.erasure_prepared.is_file():
        raw = Path(orjson.loads(wh.erasure_prepared.read_bytes())["raw"])
        for leftover in raw.rglob(".*.erasure"):
            leftover.unlink()
        wh.erasure_prepared.unlink()
