"""The write guard: routes that change anything depend on `require_api_key`.

A key comes as `Authorization: Bearer KEY` or `X-API-Key: KEY` and must be one of
`HERITAGE_API_KEYS`. With no keys configured, writing over HTTP is off.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <HERITAGE_API_KEYS key>")
_header_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="One of the HERITAGE_API_KEYS keys"
)


def key_is_allowed(presented: str, allowed: frozenset[str]) -> bool:
    """Constant-time comparison against every allowed key."""
    given = presented.encode()
    return any(hmac.compare_digest(given, key.encode()) for key in allowed)


def require_api_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header_key)],
) -> str:
    """The caller's key, or 401/403 with a message that says what to send."""
    allowed = request.app.state.services.settings.api_key_set
    if not allowed:
        raise HTTPException(403, "writing is disabled on this server: HERITAGE_API_KEYS is empty")
    presented = bearer.credentials if bearer else header_key
    if not presented:
        raise HTTPException(
            401,
            "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not key_is_allowed(presented, allowed):
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    return presented
