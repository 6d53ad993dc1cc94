"""Making and revoking keys: the token is returned once and is in neither the store nor the audit
log; both changes are audited with their actor; a revoked key no longer authenticates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.operations.callers import KeyRing
from api.operations.keys import create_key, revoke_key
from repository import LocalStore
from repository.apikeys import KeyNotFound, KeyStore
from repository.audit import Actor, AuditLog

ADMIN = Actor("museum-a/admin (user ada)", None, "museum-a", "admin", "ada")


def test_a_key_is_made_audited_and_revoked(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key, token = create_key(store, ADMIN, "museum-a", "curator", "scanner", client="10.0.0.7")
    assert KeyStore(store).authenticate(token) == key
    revoked = revoke_key(store, ADMIN, key.id)
    assert revoked.revoked and KeyStore(store).authenticate(token) is None
    entries = list(AuditLog(store).day(datetime.now(UTC).date()))
    assert [(e["action"], e["key"], e["actor"]["user"]) for e in entries] == [
        ("keys create", key.id, "ada"),
        ("keys revoke", key.id, "ada"),
    ]
    assert entries[0]["client"] == "10.0.0.7" and "scanner" in entries[0]["summary"]
    assert all(token not in str(e) and key.token_sha256 not in str(e) for e in entries)
    with pytest.raises(KeyNotFound):
        revoke_key(store, ADMIN, "000000000000")


def test_a_key_ring_forgets_a_revoked_key_at_once(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key, token = create_key(store, ADMIN, "museum-a", "curator")
    ring = KeyRing(KeyStore(store), frozenset(), "operator", ttl=3600)
    assert ring.resolve(token) is not None
    revoke_key(store, ADMIN, key.id)
    assert ring.resolve(token) is not None  # the cached answer, until it expires…
    ring.forget(key.token_sha256)
    assert ring.resolve(token) is None  # …or is forgotten
