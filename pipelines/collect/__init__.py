"""Collect: read a product's own database and land its new records as raw files in the
landing tree (docs/raw-logs.md), incrementally by watermark.

One module per product: its TABLES, its plan (the reads of one collect) and the DATABASE
module that reads them (postgres.py, mysql.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from importlib import import_module
from pathlib import Path

from pipelines import storage
from pipelines.collect.landing import Collect

# The products whose database `collect` reads (Rocket.Chat's MongoDB is exported with
# mongoexport instead: docs/sources/rocketchat.md).
SOURCES = ("coder", "openl2m", "seatable")


class CollectError(RuntimeError):
    """A collect failed; the message is one line naming the source and what failed."""


def collect(
    source: str,
    dsn: str | dict[str, str],
    wh: storage.Warehouse,
    raw: Path,
    collected_at: datetime,
    say: Callable[[str], None],
    guard: Callable[[], AbstractContextManager],
) -> dict[str, int]:
    """Land the source's new records under raw; returns kind -> rows landed. `dsn` is a
    connection URL, or one per database of the product (sources.<source>.dsn_env).

    `guard` is taken once the database answers (the warehouse lock, or nothing when the
    caller, the nightly run, holds it already). Raises CollectError with a one-line message.
    """
    product = import_module(f"pipelines.collect.{source}")
    run = Collect(source, wh, raw, collected_at, say, guard)
    return product.DATABASE.collect(run, dsn, product.TABLES, product.plan)
