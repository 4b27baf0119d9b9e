"""The secret key of the pseudonyms and of the forgotten list: flows.yaml names the
environment variable holding it (`privacy.key_env`), never the key itself."""

from __future__ import annotations

import hashlib
import hmac

from pipelines.config import ConfigError, Settings, environment

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
