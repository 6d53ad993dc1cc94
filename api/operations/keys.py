"""Making and revoking API keys with their audit entries: what `heritage keys create|revoke` and
the admins' workspace page (`/workspace/keys`) both do. Free of HTTP.

The token is returned once, by `create_key`, and stored nowhere (only its sha256 is, see
`repository.apikeys`). A running server's `KeyRing` caches lookups for a few seconds; the web app
forgets a key it revokes at once (`KeyRing.forget`), other processes within that time.
"""

from __future__ import annotations

from repository.apikeys import ApiKey, KeyStore
from repository.audit import Actor, AuditLog
from repository.store import ObjectStore


def create_key(
    store: ObjectStore,
    actor: Actor,
    institution: str,
    role: str,
    label: str = "",
    client: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token (shown to the person once, never again)."""
    key, token = KeyStore(store).create(institution, role, label)
    AuditLog(store).append(
        "keys create",
        actor,
        summary=f"created key {key.id}: {key.role} of {key.institution}"
        + (f" ({key.label})" if key.label else ""),
        client=client,
        key=key.id,
    )
    return key, token


def revoke_key(store: ObjectStore, actor: Actor, key_id: str, client: str | None = None) -> ApiKey:
    key = KeyStore(store).revoke(key_id)
    AuditLog(store).append(
        "keys revoke",
        actor,
        summary=f"revoked key {key.id}: {key.role} of {key.institution}",
        client=client,
        key=key.id,
    )
    return key
