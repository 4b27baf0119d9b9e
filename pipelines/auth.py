"""Who may read what `serve` answers. Each product's clients send their token where that
product's own API reads it, and are refused with the status and body that product answers
when the token is missing or wrong (looked up in each product's source: docs/serve.md).
The dashboard's readers send HTTP Basic credentials, which a browser can. Every secret is
compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pipelines.config import PRODUCTS, Settings, environment

DASHBOARD = "dashboard"
# What a credential opens: a product's endpoints and report files, or the dashboard (the
# page and every file of a report set that is no product's).
SCOPES = (*PRODUCTS, DASHBOARD)
# The endpoint paths each product answers (endpoints/<product>.py), by leading segments.
PREFIXES: dict[str, tuple[str, ...]] = {
    "coder": ("api/v2", "api/private"),
    "seatable": ("api/v2.1",),
    "openl2m": ("api/stats",),
    "rocketchat": ("api/v1",),
}
CODER_SIGNED_OUT = (
    "You are signed out or your session has expired. Please sign in again to continue."
)
ROCKETCHAT_LOGGED_OUT = "You must be logged in to do this."
# The query parameter Coder reads a session token from: consumed here, never an endpoint's.
CODER_TOKEN_PARAM = "coder_session_token"
AUTHENTICATION_REQUIRED = {"error": "authentication required"}

# (status, body, headers) of a refused request
Refusal = tuple[int, dict, dict[str, str]]


@dataclass(frozen=True)
class Credentials:
    token: str  # a product's token; the dashboard's password
    user_id: str | None = None  # Rocket.Chat's user id; the dashboard's user name


def product_of(path: str) -> str | None:
    """The product whose API a normalised path (no leading slash) belongs to."""
    return next(
        (
            product
            for product, prefixes in PREFIXES.items()
            for prefix in prefixes
            if path == prefix or path.startswith(prefix + "/")
        ),
        None,
    )


def scope_of_file(relative: str) -> str:
    """The scope of a file of a report set: its product's for a report, else the
    dashboard's (the page, its script)."""
    return product_of(relative) or DASHBOARD


def configured(settings: Settings) -> dict[str, Credentials]:
    """The credentials flows.yaml's serve.auth names, read from the environment now."""
    credentials = {
        product: Credentials(
            environment(auth.token_env, f"serve.auth.{product}.token_env"),
            environment(auth.user_id_env, f"serve.auth.{product}.user_id_env")
            if auth.user_id_env
            else None,
        )
        for product, auth in settings.serve.auth.products().items()
    }
    dashboard = settings.serve.auth.dashboard
    if dashboard is not None:
        credentials[DASHBOARD] = Credentials(
            environment(dashboard.password_env, "serve.auth.dashboard.password_env"),
            environment(dashboard.user_env, "serve.auth.dashboard.user_env"),
        )
    return credentials


def _bearer(authorization: str, schemes: tuple[str, ...]) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() in schemes else None


def _basic(authorization: str) -> Credentials | None:
    """HTTP Basic credentials (RFC 7617) as Credentials(password, user)."""
    encoded = _bearer(authorization, ("basic",))
    try:
        decoded = base64.b64decode(encoded or "", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return Credentials(password, user) if colon else None


def presented(
    scope: str,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    query: Mapping[str, str],
) -> Credentials | None:
    """The credentials a request carries for a scope, where its clients send them."""
    authorization = headers.get("authorization", "")
    match scope:
        case "coder":  # Coder: cookie, query parameter, its own header, or a bearer token
            token = (
                cookies.get(CODER_TOKEN_PARAM)
                or query.get(CODER_TOKEN_PARAM)
                or headers.get("coder-session-token")
                or _bearer(authorization, ("bearer",))
            )
        case "rocketchat":  # Rocket.Chat: the token and the id of its user
            token = headers.get("x-auth-token")
            if token:
                return Credentials(token, headers.get("x-user-id", ""))
        case "seatable":  # SeaTable accepts both schemes
            token = _bearer(authorization, ("token", "bearer"))
        case "openl2m":  # Django REST framework's token scheme
            token = _bearer(authorization, ("token",))
        case _:  # the dashboard: what a browser sends
            return _basic(authorization)
    return Credentials(token) if token else None


def accepts(expected: Credentials, given: Credentials | None) -> bool:
    if given is None:
        return False
    same_token = hmac.compare_digest(expected.token.encode(), given.token.encode())
    same_user = hmac.compare_digest(
        (expected.user_id or "").encode(), (given.user_id or "").encode()
    )
    return same_token and same_user


def refusal(scope: str, given: Credentials | None) -> Refusal:
    """What a scope answers a request whose credentials are missing (given None) or wrong:
    each product as it does itself; the dashboard a Basic challenge, so a browser asks."""
    match scope:
        case "coder":
            detail = (
                'Cookie "coder_session_token" or query parameter must be provided.'
                if given is None
                else "API key is invalid."
            )
            return 401, {"message": CODER_SIGNED_OUT, "detail": detail}, {}
        case "rocketchat":  # the same for a missing and a wrong token
            body = {
                "success": False,
                "error": ROCKETCHAT_LOGGED_OUT,
                "status": "error",
                "message": ROCKETCHAT_LOGGED_OUT,
            }
            return 401, body, {}
        case "seatable":
            # Django REST framework: without a WWW-Authenticate scheme a missing token is 403.
            if given is None:
                return 403, {"detail": "Authentication credentials were not provided."}, {}
            return 401, {"detail": "Invalid token"}, {}
        case "openl2m":  # OpenL2M names its scheme, so both are 401
            detail = (
                "Authentication credentials were not provided."
                if given is None
                else "Invalid token"
            )
            return 401, {"detail": detail}, {"WWW-Authenticate": "Token"}
        case _:
            challenge = 'Basic realm="Usage Warehouse dashboard", charset="UTF-8"'
            return 401, AUTHENTICATION_REQUIRED, {"WWW-Authenticate": challenge}


def granted(
    credentials: Mapping[str, Credentials],
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    query: Mapping[str, str],
) -> set[str]:
    """The scopes a request may read: those that ask for nothing, and those whose
    credentials it carries."""
    return {
        scope
        for scope in SCOPES
        if scope not in credentials
        or accepts(credentials[scope], presented(scope, headers, cookies, query))
    }


def unprotected(credentials: Mapping[str, Credentials]) -> list[str]:
    """The scopes `serve` would answer without asking for credentials."""
    return [scope for scope in SCOPES if scope not in credentials]
