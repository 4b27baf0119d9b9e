"""flows.yaml -> typed, validated settings, with errors that name the key."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG = Path("flows.yaml")


class ConfigError(ValueError):
    """flows.yaml is missing or invalid; the message names the file and key."""


class Deployment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    flow: str = "nightly"
    cron: str
    parameters: dict[str, object] = Field(default_factory=dict)


class ReportWindow(BaseModel):
    """One published file: an endpoint, a stable name and its query parameters.

    Parameter values may hold date tokens resolved at publish time (see publish.py).
    """

    model_config = ConfigDict(extra="forbid")

    endpoint: str
    name: str
    params: dict[str, str] = Field(default_factory=dict)

    @field_validator("endpoint")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.lstrip("/")


class Checks(BaseModel):
    """Thresholds of the data-quality checks run after every run (warnings, not failures)."""

    model_config = ConfigDict(extra="forbid")

    max_reject_rate: float = Field(0.01, ge=0, le=1)  # share of a file's lines
    future_tolerance_minutes: int = Field(10, ge=0)  # event times ahead of `now`
    volume_ratio: float = Field(5.0, gt=1)  # a day vs the median of its weekday before


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Source(BaseModel):
    """A product database the nightly run collects from (`usage-warehouse collect`).

    The connection URL holds a password, so flows.yaml only names the environment
    variable that holds it; a product with several databases names one per database
    (`{database: VARIABLE}`).
    """

    model_config = ConfigDict(extra="forbid")

    dsn_env: str | dict[str, str] = Field(validation_alias=AliasChoices("dsn_env", "dsn"))

    @field_validator("dsn_env")
    @classmethod
    def _env_names(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        for name in [value] if isinstance(value, str) else value.values():
            if not ENV_NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not an environment variable name: name the variable that "
                    "holds the connection URL, never the URL itself"
                )
        return value

    def dsn(self, key: str) -> str | dict[str, str]:
        """The connection URL (or URLs) from the environment; a ConfigError names the key."""

        def read(name: str) -> str:
            value = os.environ.get(name, "")
            if not value:
                raise ConfigError(f"{key}.dsn_env: environment variable {name} is not set")
            return value

        if isinstance(self.dsn_env, str):
            return read(self.dsn_env)
        return {database: read(name) for database, name in self.dsn_env.items()}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: Path = Path("warehouse")
    raw: Path | None = None
    timezone: str = "UTC"
    log_max_age_days: int = Field(180, ge=1)
    deployments: list[Deployment] = Field(default_factory=list)
    reports: list[ReportWindow] = Field(default_factory=list)
    checks: Checks = Field(default_factory=Checks)
    sources: dict[Literal["coder", "openl2m", "seatable"], Source] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(path: Path | str | None = None) -> Settings:
    """Read flows.yaml; a missing default file gives the defaults, a bad one a ConfigError."""
    config = Path(path) if path is not None else DEFAULT_CONFIG
    if not config.exists():
        if path is not None:
            raise ConfigError(f"{config}: no such config file")
        return Settings()
    try:
        data = yaml.safe_load(config.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config}: not valid YAML: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{config}: {problems}") from None
    # Relative locations in flows.yaml are relative to the file itself.
    base = config.resolve().parent
    settings.warehouse = base / settings.warehouse
    if settings.raw is not None:
        settings.raw = base / settings.raw
    return settings
