"""Each product's own API authentication, for `serve`: where its clients send their token,
and the status and body the product answers when the token is missing or wrong (looked
up in each product's source: docs/serve.md). Tokens are compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pipelines.config import PRODUCTS, Settings, environment

# The endpoint paths each product answers (endpoints/<product>.py), by prefix.
PREFIXES: dict[str, tuple[str, ...]] = {
    "coder": ("api/v2/", "api/private/"),
    "seatable": ("api/v2.1/",),
    "openl2m": ("api/stats",),
    "rocketchat": ("api/v1/",),
}
CODER_SIGNED_OUT = (
    "You are signed out or your session has expired. Please sign in again to continue."
)
ROCKETCHAT_LOGGED_OUT = "You must be logged in to do this."
# The query parameter Coder reads a session token from: consumed here, never an endpoint's.
CODER_TOKEN_PARAM = "coder_session_token"

# (status, body, headers) of a refused request
Refusal = tuple[int, dict, dict[str, str]]


@dataclass(frozen=True)
class Credentials:
    token: str
    user_id: str | None = None  # Rocket.Chat only


def product_of(path: str) -> str | None:
    """The product whose API a path (without leading slash) belongs to."""
    return next((p for p, prefixes in PREFIXES.items() if path.startswith(prefixes)), None)


def configured(settings: Settings) -> dict[str, Credentials]:
    """The credentials flows.yaml's serve.auth names, read from the environment now."""
    return {
        product: Credentials(
            environment(auth.token_env, f"serve.auth.{product}.token_env"),
            environment(auth.user_id_env, f"serve.auth.{product}.user_id_env")
            if auth.user_id_env
            else None,
        )
        for product, auth in settings.serve.auth.items()
    }


def _bearer(authorization: str, schemes: tuple[str, ...]) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() in schemes else None


def presented(
    product: str,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    query: Mapping[str, str],
) -> Credentials | None:
    """The credentials a request carries for a product, where that product reads them."""
    authorization = headers.get("authorization", "")
    match product:
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
        case _:  # OpenL2M: Django REST framework's token scheme
            token = _bearer(authorization, ("token",))
    return Credentials(token) if token else None


def accepts(expected: Credentials, given: Credentials | None) -> bool:
    if given is None:
        return False
    same_token = hmac.compare_digest(expected.token.encode(), given.token.encode())
    same_user = hmac.compare_digest(
        (expected.user_id or "").encode(), (given.user_id or "").encode()
    )
    return same_token and same_user


def refusal(product: str, given: Credentials | None) -> Refusal:
    """What the product answers a request whose token is missing (given None) or wrong."""
    match product:
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
        case _:  # OpenL2M names its scheme, so both are 401
            detail = (
                "Authentication credentials were not provided."
                if given is None
                else "Invalid token"
            )
            return 401, {"detail": detail}, {"WWW-Authenticate": "Token"}


def unauthenticated_products(credentials: Mapping[str, Credentials]) -> list[str]:
    """The products `serve` would answer without asking for a token."""
    return [product for product in PRODUCTS if product not in credentials]
