"""Coder insights (v2) and usage metrics (v1) endpoints."""

from __future__ import annotations

ROUTES: dict = {}
