"""flows.yaml -> typed, validated settings, with errors that name the key."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from cronsim import CronSim, CronSimError
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.config_errors import ConfigError, environment

DEFAULT_CONFIG = Path("flows.yaml")

# Date tokens in report parameter values, resolved against the run's `now` (publish.py):
#   {date±N}      local date (flows.yaml timezone), YYYY-MM-DD
#   {utc_date±N}  UTC date
#   {week±N}      local Monday of now's ISO week, minus/plus N weeks
#   {utc_week±N}  UTC Monday
#   {month±N}     local month as YYYYMM
DATE_TOKEN = re.compile(r"\{(date|utc_date|week|utc_week|month)([+-]\d+)?\}")
ANY_TOKEN = re.compile(r"\{[^{}]*\}")
# A window's name is its file's name in the report set: one plain segment.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Deployment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    flow: Literal["nightly"] = "nightly"
    cron: str
    parameters: dict[str, object] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:
            CronSim(value, datetime(2000, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"{value!r} is not a cron expression ({exc})") from None
        return value


class ReportWindow(BaseModel):
    """One published file: an endpoint, a stable name and its query parameters.

    Parameter values may hold date tokens, resolved at publish time (publish.py).
    """

    model_config = ConfigDict(extra="forbid")

    endpoint: str
    name: str
    params: dict[str, str] = Field(default_factory=dict)

    @field_validator("endpoint")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.lstrip("/")

    @field_validator("name")
    @classmethod
    def _file_name(cls, value: str) -> str:
        if not FILE_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a file name (letters, digits, '.', '_' and '-', not first a dot)"
            )
        return value

    @field_validator("params")
    @classmethod
    def _known_tokens(cls, params: dict[str, str]) -> dict[str, str]:
        for name, value in params.items():
            for token in ANY_TOKEN.findall(value):
                if not DATE_TOKEN.fullmatch(token):
                    raise ValueError(
                        f"{name}: unknown date token {token} (known: {{date±N}}, {{utc_date±N}}, "
                        "{week±N}, {utc_week±N}, {month±N})"
                    )
        return params


class Checks(BaseModel):
    """Thresholds of the data-quality checks run after every run (warnings, not failures)."""

    model_config = ConfigDict(extra="forbid")

    max_reject_rate: float = Field(0.01, ge=0, le=1)  # share of a file's lines
    future_tolerance_minutes: int = Field(10, ge=0)  # event times ahead of `now`
    volume_ratio: float = Field(5.0, gt=1)  # a day vs the median of its weekday before
    # a source that has landed files before but no new one for this long
    max_source_silence_hours: int = Field(48, gt=0)


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
            _env_name(name)
        return value

    def dsn(self, key: str) -> str | dict[str, str]:
        """The connection URL (or URLs) from the environment; a ConfigError names the key."""
        if isinstance(self.dsn_env, str):
            return environment(self.dsn_env, f"{key}.dsn_env")
        return {
            database: environment(name, f"{key}.dsn_env.{database}")
            for database, name in self.dsn_env.items()
        }


def _env_name(value: str | None) -> str | None:
    """A name of an environment variable; the value is not repeated (it may be a secret)."""
    if value is not None and not ENV_NAME.fullmatch(value):
        raise ValueError(
            "not an environment variable name: name the variable that holds the secret, "
            "never the secret itself"
        )
    return value


PRODUCTS = ("coder", "rocketchat", "seatable", "openl2m")


class ProductAuth(BaseModel):
    """The token `serve` asks of a product's clients, as that product does (serve.py)."""

    model_config = ConfigDict(extra="forbid")

    token_env: str
    user_id_env: str | None = None  # Rocket.Chat: the user the token belongs to (X-User-Id)

    @field_validator("token_env", "user_id_env")
    @classmethod
    def _env_names(cls, value: str | None) -> str | None:
        return _env_name(value)


class DashboardAuth(BaseModel):
    """The HTTP Basic credentials `serve` asks of the dashboard's readers (what a browser
    sends, and what http://user:password@host/reports/index.html carries)."""

    model_config = ConfigDict(extra="forbid")

    user_env: str
    password_env: str

    @field_validator("user_env", "password_env")
    @classmethod
    def _env_names(cls, value: str) -> str:
        return _env_name(value)


class ServeAuth(BaseModel):
    """Who may read what `serve` answers: each product's clients with its own token, the
    dashboard's readers with their own credentials (docs/serve.md)."""

    model_config = ConfigDict(extra="forbid")

    coder: ProductAuth | None = None
    rocketchat: ProductAuth | None = None
    seatable: ProductAuth | None = None
    openl2m: ProductAuth | None = None
    dashboard: DashboardAuth | None = None

    @field_validator("rocketchat")
    @classmethod
    def _rocketchat_user(cls, auth: ProductAuth | None) -> ProductAuth | None:
        if auth is not None and auth.user_id_env is None:
            raise ValueError("user_id_env is needed too (Rocket.Chat sends X-User-Id)")
        return auth

    def products(self) -> dict[str, ProductAuth]:
        """The products that ask for a token, by name."""
        return {p: auth for p in PRODUCTS if (auth := getattr(self, p)) is not None}


class Serve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auth: ServeAuth = Field(default_factory=ServeAuth)


DURATION = re.compile(r"(\d+)d")
FOREVER = "forever"


def _days(value: object) -> int | None:
    """A retention duration: `<N>d` (N days back from the run's UTC date) or `forever`
    (None)."""
    if value == FOREVER or value is None:
        return None
    match = DURATION.fullmatch(str(value).strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"{value!r} is not a duration: use <N>d (N >= 1) or forever")
    return int(match.group(1))


class Layers(BaseModel):
    """How long each layer keeps a source's data, in days back from the run's UTC date
    (None: forever). Unset layers take the value for all sources."""

    model_config = ConfigDict(extra="forbid")

    raw: int | None = None
    records: int | None = None
    facts: int | None = None

    @field_validator("raw", "records", "facts", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int | None:
        return _days(value)


class Retention(Layers):
    """flows.yaml `retention:` (docs/privacy.md): per layer for all sources, overridden per
    source (`openl2m: {records: 200d}`), and how many report sets the runs keep."""

    reports: int = Field(1, ge=1)  # the live set and the sets of the runs before it
    coder: Layers = Field(default_factory=Layers)
    rocketchat: Layers = Field(default_factory=Layers)
    seatable: Layers = Field(default_factory=Layers)
    openl2m: Layers = Field(default_factory=Layers)

    def days(self, source: str, layer: str) -> int | None:
        """Days a layer keeps a source's data (None: forever)."""
        own = getattr(getattr(self, source), layer)
        return own if layer in getattr(self, source).model_fields_set else getattr(self, layer)

    def key(self, source: str, layer: str) -> str:
        """The flows.yaml key that sets a source's layer."""
        own = layer in getattr(self, source).model_fields_set
        return f"retention.{source}.{layer}" if own else f"retention.{layer}"


class Privacy(BaseModel):
    """flows.yaml `privacy:` (docs/privacy.md): pseudonymous publishing, and the key of the
    pseudonyms and of the forgotten list (named by an environment variable)."""

    model_config = ConfigDict(extra="forbid")

    pseudonymize: bool = False
    key_env: str = "USAGE_WAREHOUSE_PSEUDONYM_KEY"
    min_group: int = Field(0, ge=0)  # per-user rows of a window with fewer users: "others"

    @field_validator("key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        return _env_name(value)


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
    serve: Serve = Field(default_factory=Serve)
    # Rocket.Chat's api/v1/statistics body: `seed`, the contract's 0.x body
    # ({"statistics": {...}, "success": true}); `current`, today's Rocket.Chat (8.x): IStats
    # flat, plus success (docs/sources/rocketchat.md).
    rocketchat_statistics: Literal["seed", "current"] = "seed"
    retention: Retention = Field(default_factory=Retention)
    privacy: Privacy = Field(default_factory=Privacy)

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


def _key(location: tuple) -> str:
    """A pydantic error location as a flows.yaml key: reports[3].params."""
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else f".{part}" if key else str(part)
    return key


def load_settings(path: Path | str | None = None) -> Settings:
    """Read flows.yaml (the given file, else ./flows.yaml); a missing or bad file is a
    ConfigError naming the file and the key."""
    config = Path(path) if path is not None else DEFAULT_CONFIG
    if not config.is_file():
        hint = "" if path is not None else " (run from the folder that holds it, or give --config)"
        raise ConfigError(f"{config.absolute()}: no such config file{hint}")
    try:
        data = yaml.safe_load(config.read_text()) or {}
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(f"{config}: not valid YAML: {problem}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_key(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise ConfigError(f"{config}: {problems}") from None
    # Relative locations in flows.yaml are relative to the file itself.
    base = config.resolve().parent
    settings.warehouse = base / settings.warehouse
    if settings.raw is not None:
        settings.raw = base / settings.raw
    return settings


def _shift_month(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def resolve_params(params: dict[str, str], now: datetime, settings: Settings) -> dict[str, str]:
    """Replace the date tokens (DATE_TOKEN) in a window's parameter values, as of now."""
    local = now.astimezone(settings.zone).date()
    utc = now.astimezone(UTC).date()

    def token(match: re.Match) -> str:
        name, offset = match.group(1), int(match.group(2) or 0)
        if name == "month":
            return _shift_month(local.year, local.month, offset)
        base = utc if name.startswith("utc_") else local
        if name.endswith("week"):
            return str(base - timedelta(days=base.weekday()) + timedelta(weeks=offset))
        return str(base + timedelta(days=offset))

    return {key: DATE_TOKEN.sub(token, value) for key, value in params.items()}
