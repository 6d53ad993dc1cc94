"""Who is calling: an API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`) → a `Caller`.

Keys are made with `heritage keys create` and stored hashed (`repository.apikeys`); each acts for
one institution with one role. `HERITAGE_API_KEYS` (comma-separated) are bootstrap admin keys for
the operator, acting for `HERITAGE_INSTITUTION`; they never touch storage.

No key: an anonymous reader (the public). A key that is wrong, malformed or revoked: 401, on
reads too, so a client never silently gets less than it asked for. A valid key without the role a
route needs: 403. Lookups are cached for `KEY_CACHE_SECONDS`, so revoking takes effect within
that time without a storage read on every request.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from repository.apikeys import ROLES, KeyStore, Role, hash_token
from repository.audit import Actor

KEY_CACHE_SECONDS = 5.0
MAX_CACHED_KEYS = 10_000

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


@dataclass(frozen=True)
class Caller:
    """An authenticated key: the institution it acts for and its role."""

    key_id: str
    institution: str
    role: Role

    def has_role(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def agent(self) -> str:
        """How provenance events name this caller."""
        return f"{self.institution}/{self.role} (key {self.key_id})"

    def actor(self) -> Actor:
        return Actor(self.agent, self.key_id, self.institution, self.role)


def key_is_allowed(presented: str, allowed: frozenset[str]) -> bool:
    """Constant-time comparison against every allowed key."""
    given = presented.encode()
    return any(hmac.compare_digest(given, key.encode()) for key in allowed)


class KeyRing:
    """Resolves tokens to callers: bootstrap keys first, then stored keys through a short cache
    (misses are cached too, so a flood of wrong keys does not reach storage)."""

    def __init__(
        self,
        keys: KeyStore,
        bootstrap: frozenset[str],
        institution: str,
        ttl: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.keys = keys
        self.bootstrap = bootstrap
        self.institution = institution
        self.ttl = ttl
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, Caller | None]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, token: str) -> Caller | None:
        if self.bootstrap and key_is_allowed(token, self.bootstrap):
            return Caller(f"env-{hash_token(token)[:8]}", self.institution, "admin")
        digest = hash_token(token)
        now = self.clock()
        with self._lock:
            cached = self._cache.get(digest)
            if cached is not None and cached[0] > now:
                return cached[1]
        key = self.keys.authenticate(token)
        caller = Caller(key.id, key.institution, key.role) if key else None
        with self._lock:
            self._cache[digest] = (now + self.ttl, caller)
            self._cache.move_to_end(digest)
            while len(self._cache) > MAX_CACHED_KEYS:
                self._cache.popitem(last=False)
        return caller


def keyring(request: Request) -> KeyRing:
    """The app's key ring (`app.state.keyring`), made on first use."""
    state = request.app.state
    if getattr(state, "keyring", None) is None:
        services = state.services
        state.keyring = KeyRing(
            KeyStore(services.store), services.settings.api_key_set, services.settings.institution
        )
    return state.keyring


def current_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header_key)],
) -> Caller | None:
    """The caller behind the key sent, None without a key, 401 for a key that is not valid."""
    presented = bearer.credentials if bearer else header_key
    if not presented:
        return None
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

    Marks the request as a write, so `api.operations.items.AuditMiddleware` logs it when it succeeds."""

    def dependency(request: Request, caller: OptionalCaller) -> Caller:
        if caller is None:
            raise HTTPException(
                401,
                "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not caller.has_role(role):
            raise HTTPException(
                403, f"this needs the {role} role or above; your key is {caller.role}"
            )
        request.state.writer = caller
        return caller

    return dependency


require_api_key = require_role("archivist")
"""Any valid key: the guard for writes that every role may make."""

ArchivistDep = Annotated[Caller, Depends(require_api_key)]
CuratorDep = Annotated[Caller, Depends(require_role("curator"))]
AdminDep = Annotated[Caller, Depends(require_role("admin"))]
