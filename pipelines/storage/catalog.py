"""The catalog: which file is live for each partition of each table.

Files are never overwritten: a run writes new files under its own name and makes them
live all at once by replacing the catalog (one rename). Readers (the views, usage.duckdb,
the endpoints) read exactly the files the catalog names, so a run killed at any point
leaves the previous state whole, and an open reader keeps a consistent snapshot."""

from __future__ import annotations

from pathlib import Path

import orjson

from pipelines.storage.files import write_bytes_atomic
from pipelines.storage.paths import Warehouse, catalog_file


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
    ):
        self.wh = wh
        self.run_id = run_id  # the run that committed this catalog
        # table -> partition key ("2024-05-01", a run id, or "" for a flat table) -> file
        # path relative to parquet/
        self.tables: dict[str, dict[str, str]] = tables or {}
        # fact model -> fingerprint of what built its files (SQL text, time zone)
        self.models: dict[str, str] = models or {}

    @classmethod
    def empty(cls) -> Catalog:
        """A catalog of no files: every view typed and empty."""
        return cls(Warehouse("."))

    @classmethod
    def load(cls, wh: Warehouse) -> Catalog:
        current = catalog_file(wh)
        if not current.exists():
            return cls(wh)
        body = orjson.loads(current.read_bytes())
        return cls(wh, body["tables"], body.get("models", {}), body.get("run_id"))

    def partitions(self, table: str) -> list[str]:
        return sorted(self.tables.get(table, {}))

    def file(self, table: str, key: str) -> Path | None:
        relative = self.tables.get(table, {}).get(key)
        return self.wh.parquet / relative if relative else None

    def files(self, table: str, keys: set[str] | None = None) -> list[Path]:
        """The live files of a table, or of the partitions named by keys."""
        return [
            self.wh.parquet / rel
            for key, rel in sorted(self.tables.get(table, {}).items())
            if keys is None or key in keys
        ]

    def put(self, table: str, key: str, path: Path) -> None:
        self.tables.setdefault(table, {})[key] = path.relative_to(self.wh.parquet).as_posix()

    def drop(self, table: str, key: str) -> None:
        self.tables.get(table, {}).pop(key, None)

    def commit(self, run_id: str, keep: int = 3) -> None:
        """Make this catalog live, then delete files no recent catalog names."""
        body = orjson.dumps(
            {"run_id": run_id, "tables": self.tables, "models": self.models},
            option=orjson.OPT_SORT_KEYS,
        )
        write_bytes_atomic(self.wh.catalog_dir / f"{run_id}.json", body)
        write_bytes_atomic(catalog_file(self.wh), body)
        self._collect_garbage(keep)

    def _collect_garbage(self, keep: int) -> None:
        """Keep the files of the last `keep` catalogs (open readers may still use them)."""
        current = catalog_file(self.wh)
        history = sorted(p for p in self.wh.catalog_dir.glob("*.json") if p != current)
        for old in history[:-keep]:
            old.unlink()
        live = {
            rel
            for catalog in [*history[-keep:], current]
            for table in orjson.loads(catalog.read_bytes())["tables"].values()
            for rel in table.values()
        }
        for path in self.wh.parquet.rglob("*.parquet"):
            relative = path.relative_to(self.wh.parquet).as_posix()
            if relative not in live:
                path.unlink()
        for folder in sorted(self.wh.parquet.rglob("*=*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def has_run(wh: Warehouse) -> bool:
    """Whether a run has committed in this warehouse."""
    return catalog_file(wh).is_file()
