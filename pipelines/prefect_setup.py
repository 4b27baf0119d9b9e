"""Environment Prefect needs here; call configure() before the first `import prefect`."""

from __future__ import annotations

import os

from pipelines.storage import Warehouse

DEFAULTS = {
    # No network here, and none wanted from a nightly job.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def configure(wh: Warehouse) -> None:
    """Prefect's state in the warehouse folder (nothing in the home folder), unless
    PREFECT_HOME names another place."""
    os.environ.setdefault("PREFECT_HOME", str(wh.prefect_home))
    # Prefect creates its home but not the folders above it: a new warehouse has none yet.
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
