"""The secret key of the pseudonyms and of the forgotten list: flows.yaml names the
environment variable holding it (`privacy.key_env`), never the key itself. Without that
variable, the forgotten list keeps a key of its own beside it (forgotten.key), so that
`forget` works on any warehouse."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import TYPE_CHECKING

from pipelines import storage
from pipelines.config_errors import ConfigError, environment

if TYPE_CHECKING:
    from pipelines.config import Settings

MIN_KEY_CHARACTERS = 16


def secret(settings: Settings) -> bytes:
    """The key; a ConfigError naming `privacy.key_env` when it is unset or too short."""
    name = settings.privacy.key_env
    value = environment(name, "privacy.key_env")
    if len(value) < MIN_KEY_CHARACTERS:
        raise ConfigError(
            f"privacy.key_env: {name} holds {len(value)} characters; a key needs at least "
            f"{MIN_KEY_CHARACTERS} (a random secret, kept as long as the warehouse)"
        )
    return value.encode()


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of text under key, as hex: nobody without the key can tell what it hashes."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def forgetting_key(settings: Settings, wh: storage.Warehouse) -> tuple[bytes, str | None]:
    """The key the forgotten list hashes with, and the variable holding it: `privacy.key_env`
    when set, else (key, None) from the warehouse's own key file, made on first use."""
    if os.environ.get(settings.privacy.key_env):
        return secret(settings), settings.privacy.key_env
    if not wh.forgotten_key.is_file():
        storage.write_bytes_atomic(wh.forgotten_key, secrets.token_hex(32).encode())
        wh.forgotten_key.chmod(0o600)
    return wh.forgotten_key.read_bytes().strip(), None
