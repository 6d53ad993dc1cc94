"""Who is calling: an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) or, without a key,
a signed-in session (`api.http.sessions`) → a `Caller`.

Keys and callers: `api.operations.callers`; users: `api.operations.accounts`. A key wins over a
session. A session that has ended counts as no session (anonymous); an unsafe request it
authenticates must carry its CSRF token (403 otherwise).

No key: an anonymous reader (the public). A key that is wrong, malformed or revoked: 401, on
reads too, so a client never silently gets less than it asked for. A valid key without the role a
route needs: 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.http.sessions import SAFE_METHODS, check_csrf, session_caller
from api.http.state import shared
from api.operations.callers import Caller, KeyRing
from repository.apikeys import KeyStore, Role

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


def keyring(request: Request) -> KeyRing:
    """The app's key ring (`app.state.keyring`), made on first use."""
    return shared(
        request,
        "keyring",
        lambda services: KeyRing(
            KeyStore(services.store), services.settings.api_key_set, services.settings.institution
        ),
    )


async def current_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header_key)],
) -> Caller | None:
    """The caller behind the key sent (401 for a key that is not valid), else the signed-in
    session's (403 for an unsafe request without its CSRF token), else None."""
    presented = bearer.credentials if bearer else header_key
    if not presented:
        caller = await run_in_threadpool(session_caller, request)  # reads the user's record
        if caller is not None and request.method not in SAFE_METHODS:
            await check_csrf(request)
        if caller is not None:
            request.state.caller = caller
        return caller
    caller = keyring(request).resolve(presented)
    if caller is None:
        raise HTTPException(
            401,
            "the API key is not valid (unknown or revoked)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.caller = caller
    return caller


OptionalCaller = Annotated[Caller | None, Depends(current_caller)]


def require_role(role: Role) -> Callable[..., Caller]:
    """A dependency: the caller, who must hold at least `role` (401 without a key, 403 below).

    Marks the request as a write, so `api.http.audit.AuditMiddleware` logs it when it succeeds."""

    def dependency(request: Request, caller: OptionalCaller) -> Caller:
        if caller is None:
            raise HTTPException(
                401,
                "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
                "(or sign in at /workspace/login)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not caller.has_role(role):
            held = "account" if caller.user else "key"
            raise HTTPException(
                403, f"this needs the {role} role or above; your {held} is {caller.role}"
            )
        request.state.writer = caller
        return caller

    return dependency


require_api_key = require_role("archivist")
"""Any valid key: the guard for writes that every role may make."""

ArchivistDep = Annotated[Caller, Depends(require_api_key)]
CuratorDep = Annotated[Caller, Depends(require_role("curator"))]
AdminDep = Annotated[Caller, Depends(require_role("admin"))]
