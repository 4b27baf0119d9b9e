"""OpenL2M statistics endpoint."""

from __future__ import annotations

ROUTES: dict = {}
