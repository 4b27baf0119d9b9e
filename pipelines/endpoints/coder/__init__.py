"""Coder endpoints. go.py: what coderd's Go code does to a request (its query parser,
UUIDs, RFC 3339 times and Go's error texts, its error body); insights.py: the v2
insights endpoints; metrics.py: the v1 usage metrics endpoint."""

from __future__ import annotations

from pipelines.endpoints.coder import insights, metrics

ROUTES = {**insights.ROUTES, **metrics.ROUTES}
