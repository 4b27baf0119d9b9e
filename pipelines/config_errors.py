"""What is wrong with flows.yaml or an environment variable it names, apart from config.py:
code that reads no settings (the ingest's forgotten list) raises these without importing
config.py's pydantic models (a fifth of a second of a run's start)."""

from __future__ import annotations

import os


class ConfigError(ValueError):
    """flows.yaml is missing or invalid; the message names the file and key."""


def environment(name: str, key: str) -> str:
    """The value of an environment variable flows.yaml names; a ConfigError names the key."""
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return value
