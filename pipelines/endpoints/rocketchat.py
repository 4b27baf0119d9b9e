"""Rocket.Chat statistics endpoint."""

from __future__ import annotations

ROUTES: dict = {}
