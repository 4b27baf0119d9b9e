"""The test servers' loopback ports. A port free when asked may be taken before the
server binds it: every client's outgoing connection draws from the same range. A server
that finds its port taken is started again on another, a few times."""

from __future__ import annotations

from pathlib import Path

PORT_ATTEMPTS = 5


def port_taken(log: Path) -> bool:
    """The server's log says its port was taken (PostgreSQL and MariaDB say it alike)."""
    return log.exists() and "Address already in use" in log.read_text(errors="replace")
