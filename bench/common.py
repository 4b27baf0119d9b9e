"""What the benchmark's sections share: where data goes, the measured day, generated trees
(made once and reused), waiting for a server, hashing bodies."""

from __future__ import annotations

import hashlib
import http.client
import time
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
NEW_DAY = date(2026, 6, 1)


def generate(out: Path, days: int, start: date, scale: str) -> Path:
    """Generate once and reuse: a marker file says the tree is complete."""
    marker = out / ".complete"
    if not marker.exists():
        from pipelines.generate import generate as write_tree

        print(f"generating {days} day(s) at scale {scale} into {out} ...", flush=True)
        write_tree(out, days, start, scale, 7, False)
        marker.touch()
    return out


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def published_windows(config: str, now: datetime) -> list[str]:
    """The request of every report window flows.yaml publishes, as of now."""
    from pipelines import endpoints
    from pipelines.config import load_settings, resolve_params

    settings = load_settings(config)
    return [
        "/"
        + endpoints.normalise_path(w.endpoint)
        + "?"
        + urlencode(resolve_params(w.params, now, settings))
        for w in settings.reports
    ]
