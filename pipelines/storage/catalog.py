"""The catalog: which file is live for each partition of each table.

Files are never overwritten: a run writes new files under its own name and makes them
live all at once by replacing the catalog (one rename). Readers (the views, usage.duckdb,
the endpoints) read exactly the files the catalog names, so a run killed at any point
leaves the previous state whole, and an open reader keeps a consistent snapshot."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import orjson

from pipelines.storage.files import write_bytes_atomic
from pipelines.storage.paths import Warehouse, catalog_file

MIXED = "mixed"  # a table whose live files do not all share one schema


def schema_signature(columns: dict[str, str]) -> str:
    """What identifies the schema of the files written from a declaration (column -> type)."""
    return hashlib.sha256(orjson.dumps(list(columns.items()))).hexdigest()[:16]


class Catalog:
    """Which file is live for each partition of each table.

    A run loads the committed catalog, points partitions at the new files it writes,
    and commits once: one atomic rename makes the whole run visible.
    """

    def __init__(
        self,
        wh: Warehouse,
        tables: dict[str, dict[str, str]] | None = None,
        models: dict[str, str] | None = None,
        run_id: str | None = None,
        schemas: dict[str, str] | None = None,
        floors: dict[str, str] | None = None,
        as_of: datetime | None = None,
        past_reports: list[str] | None = None,
    ):
        self.wh = wh
        self.run_id = run_id  # the run that committed this catalog
        # the instant the live reports are as of: a later run may not go back before it
        self.as_of = as_of
        # runs as of an earlier instant (--as-of-past) whose report sets are kept beside
        # the live one under .reports/<run id>
        self.past_reports: list[str] = past_reports or []
        # table -> partition key ("2024-05-01", a run id, or "" for a flat table) -> file
        # path relative to parquet/ (days packed in one file all name it)
        self.tables: dict[str, dict[str, str]] = tables or {}
        # fact model -> fingerprint of what built its files (SQL text, time zone)
        self.models: dict[str, str] = models or {}
        # table -> the schema every live file of it was written with (MIXED when they
        # differ; absent when unknown): a view need not read each file's schema to line
        # their columns up (union_by_name), a cost that grows with the files
        self.schemas: dict[str, str] = schemas or {}
        # table -> the first day whose partition its inputs can still build: retention
        # dropped the days before (transform/floors.py); the partitions before it are final
        self.floors: dict[str, str] = floors or {}

    @classmethod
    def load(cls, wh: Warehouse) -> Catalog:
        current = catalog_file(wh)
        if not current.exists():
            return cls(wh)
        body = orjson.loads(current.read_bytes())
        as_of = body.get("as_of")
        return cls(
            wh,
            body["tables"],
            body.get("models", {}),
            body.get("run_id"),
            body.get("schemas"),
            body.get("floors"),
            datetime.fromisoformat(as_of) if as_of else None,
            body.get("past_reports"),
        )

    def partitions(self, table: str) -> list[str]:
        return sorted(self.tables.get(table, {}))

    def has_files(self, table: str) -> bool:
        return bool(self.tables.get(table))

    def file(self, table: str, key: str) -> Path | None:
        relative = self.tables.get(table, {}).get(key)
        return self.wh.parquet / relative if relative else None

    def files(self, table: str, keys: set[str] | None = None) -> list[Path]:
        """The live files of a table, or of the partitions named by keys; a file that
        several partitions share (packed days) once."""
        parquet = self.wh.parquet
        named = dict.fromkeys(
            rel
            for key, rel in sorted(self.tables.get(table, {}).items())
            if keys is None or key in keys
        )
        return [parquet / rel for rel in named]

    def put(self, table: str, key: str, path: Path, schema: str) -> None:
        """Make path the live file of a partition; schema: its schema_signature (or a
        model's fingerprint)."""
        others = any(k != key for k in self.tables.get(table, {}))
        if others and self.schemas.get(table) != schema:
            schema = MIXED
        self.schemas[table] = schema
        self.tables.setdefault(table, {})[key] = path.relative_to(self.wh.parquet).as_posix()

    def drop(self, table: str, key: str) -> None:
        self.tables.get(table, {}).pop(key, None)
        if not self.tables.get(table):
            self.schemas.pop(table, None)

    def uniform(self, table: str) -> bool:
        """Whether every live file of the table is known to share one schema."""
        return self.schemas.get(table, MIXED) != MIXED

    def body(self, run_id: str) -> bytes:
        """The catalog file's bytes, as committed by run_id."""
        content = {
            "run_id": run_id,
            "tables": self.tables,
            "models": self.models,
            "schemas": self.schemas,
        }
        if self.floors:
            content["floors"] = self.floors
        if self.as_of:
            content["as_of"] = self.as_of.isoformat()
        if self.past_reports:
            content["past_reports"] = self.past_reports
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)

    def commit(self, run_id: str, keep: int = 3, sweep: bool = False) -> None:
        """Make this catalog live, then delete files no recent catalog names: those the
        catalogs leaving the last `keep` named, or (sweep) every such file under parquet/,
        temporaries too, as a killed or failed run leaves files no catalog names."""
        install(self.wh, run_id, self.body(run_id))
        collect_garbage(self.wh, keep, sweep)


def install(wh: Warehouse, run_id: str, body: bytes) -> None:
    """Make a catalog body live: the history copy first, then current.json (one rename)."""
    write_bytes_atomic(wh.catalog_dir / f"{run_id}.json", body)
    write_bytes_atomic(catalog_file(wh), body)


def collect_garbage(wh: Warehouse, keep: int, sweep: bool) -> None:
    """Keep the files of the last `keep` catalogs before the current one (open readers may
    still use them); `keep` 0 keeps the current catalog's alone (an erasure)."""
    current = catalog_file(wh)
    history = sorted(p for p in wh.catalog_dir.glob("*.json") if p != current)
    leaving = history[: max(len(history) - keep, 0)]
    live = {rel for catalog in [*history[len(leaving) :], current] for rel in _named(catalog)}
    if sweep:  # every file: of failed or killed runs, and their temporaries
        candidates = {
            path.relative_to(wh.parquet).as_posix()
            for path in wh.parquet.rglob("*")
            if path.suffix in (".parquet", ".tmp")
        }
    else:
        candidates = {rel for catalog in leaving for rel in _named(catalog)}
    for relative in candidates - live:
        path = wh.parquet / relative
        path.unlink(missing_ok=True)
        for folder in path.parents:  # partition folders left empty
            if folder == wh.parquet or "=" not in folder.name or any(folder.iterdir()):
                break
            folder.rmdir()
    for old in leaving:
        old.unlink()


def _named(catalog: Path) -> set[str]:
    """The files a catalog file names."""
    return {
        rel
        for table in orjson.loads(catalog.read_bytes())["tables"].values()
        for rel in table.values()
    }


def has_run(wh: Warehouse) -> bool:
    """Whether a run has committed in this warehouse."""
    return catalog_file(wh).is_file()
