"""Who is acting: a `Caller` (an institution and a role) resolved from an API key by `KeyRing`,
or from a signed-in user (`api.operations.accounts`): both meet the same permission checks.

Keys are made with `heritage keys create` and stored hashed (`repository.apikeys`); each acts for
one institution with one role. `HERITAGE_API_KEYS` (comma-separated) are bootstrap admin keys for
the operator, acting for `HERITAGE_INSTITUTION`; they never touch storage. Lookups are cached for
`KEY_CACHE_SECONDS`, so revoking takes effect within that time without a storage read on every
request (at once in the process that revoked it, which calls `KeyRing.forget`). Free of HTTP: the
web app, the CLI and workers share it.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from repository.apikeys import ROLES, KeyStore, Role, hash_token
from repository.audit import Actor

KEY_CACHE_SECONDS = 5.0
MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True)
class Caller:
    """An authenticated key or user: the institution it acts for and its role.

    A key has its `key_id`; a signed-in person has `user` (their name) and no key id."""

    key_id: str | None
    institution: str
    role: Role
    user: str | None = None

    def has_role(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def agent(self) -> str:
        """How provenance events name this caller."""
        who = f"user {self.user}" if self.user is not None else f"key {self.key_id}"
        return f"{self.institution}/{self.role} ({who})"

    def actor(self) -> Actor:
        return Actor(self.agent, self.key_id, self.institution, self.role, self.user)


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

    def forget(self, token_sha256: str) -> None:
        """Drop a key's cached lookup (its token's sha256), so a key this process revoked is
        refused at once rather than when the cache entry expires."""
        with self._lock:
            self._cache.pop(token_sha256, None)
