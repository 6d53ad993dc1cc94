"""Sessions signed out before their cookie expires, shared by every process on the store.

A session cookie is signed, so any API replica accepts it until it expires; signing out (or
signing in again over an old session) must therefore be known to all of them, not only to the
process that answered. Each ended session is one small object, `signouts/<sha256 of the id>`
(the id itself, a bearer secret, is never stored), holding when its cookie would have expired
anyway; expired entries are removed at the next sign-out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time

from repository.keys import SIGNOUTS_PREFIX, signout_key
from repository.store import ObjectNotFound, ObjectStore


class SignedOut:
    """Which session ids were ended; one `stat` per question."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def end(self, sid: str, lifetime: float) -> None:
        now = time.time()
        self._forget_expired(now)
        data = json.dumps({"until": now + lifetime}).encode()
        self.store.put_bytes(signout_key(_digest(sid)), data)

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self.store.stat(signout_key(_digest(sid))) is not None

    def _forget_expired(self, now: float) -> None:
        for key in list(self.store.list(SIGNOUTS_PREFIX)):
            with contextlib.suppress(ObjectNotFound, ValueError, KeyError, TypeError):
                if json.loads(self.store.get_bytes(key))["until"] < now:
                    self.store.delete(key)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()
