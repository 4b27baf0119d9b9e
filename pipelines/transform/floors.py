"""The first day from which a table's partitions can still be built from what it reads.

Retention (pipelines/retention.py) drops a record table's days (and an event staging
model's, a fact's) before a horizon, and the catalog keeps that horizon as the table's
floor. A model's partition P reads its inputs' days P-N..P+N (`-- window: N days`; a week:
P..P+6): built again from inputs that lack days before their floor, it would count less
than it did. So a model's floor is the latest of its own and of its inputs' floors plus
its window, and the runner never rebuilds a partition before it: those partitions are
final, kept as they were built (a whole rebuild, after a model's SQL changed, rebuilds the
partitions from the floor on).
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.sqlcatalog import models
from pipelines.storage import Catalog


def floor(catalog: Catalog, name: str) -> date | None:
    """The first day of `name` whose partition its inputs can build (None: every day)."""
    own = catalog.floors.get(name)
    found = [date.fromisoformat(own)] if own else []
    model = models().get(name)
    if model is not None and model.versions_of is None:
        width = 0 if model.is_view or model.window_days is None else model.window_days
        for table in model.inputs:
            below = floor(catalog, table)
            if below is not None:
                found.append(below + timedelta(days=width))
    return max(found, default=None)
