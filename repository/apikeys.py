"""API keys, kept in the object store under `keys/<id>.json`.

A key is a random token `hk_<id>_<secret>` (the secret: 32 random bytes) shown once, when it is
made. The store keeps only the token's sha256 beside what the key may do: the institution it acts
for and its role. The id inside the token finds the stored key in one read; the hash decides.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

from repository.keys import KEYS_PREFIX, api_key_key
from repository.records import now_iso
from repository.store import ObjectNotFound, ObjectStore
from schemas.errors import InvalidInput, NotFound

Role = Literal["archivist", "curator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
"""In rising order of power: each role may do what the ones before it may."""

_TOKEN = re.compile(r"^hk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_INSTITUTION = re.compile(r"^\S(?:[^\x00-\x1f\x7f]{0,126}\S)?$")
MAX_LABEL = 200


class KeyNotFound(NotFound):
    def __str__(self) -> str:
        return f"no API key with id {self.args[0]!r}"


@dataclass(frozen=True)
class ApiKey:
    id: str
    institution: str
    role: Role
    label: str
    created: str
    token_sha256: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ApiKey:
        fields: dict[str, Any] = json.loads(data)
        return cls(**fields)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_id_of(token: str) -> str | None:
    """The key id inside a well-formed token, else None (nothing to look up)."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")


def check_institution(institution: str) -> str:
    if not _INSTITUTION.match(institution):
        raise InvalidInput(
            f"institution {institution!r} must be 1-128 characters, without control characters "
            "or surrounding spaces (as in the records' `institution` field)"
        )
    return institution


class KeyStore:
    """Makes, finds, lists and revokes API keys in an ObjectStore."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def create(self, institution: str, role: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key and its token: the token is returned here once and stored nowhere."""
        if len(label) > MAX_LABEL:
            raise InvalidInput(f"label is longer than {MAX_LABEL} characters")
        key_id = secrets.token_hex(6)
        token = f"hk_{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=key_id,
            institution=check_institution(institution),
            role=check_role(role),
            label=label,
            created=now_iso(),
            token_sha256=hash_token(token),
        )
        self.store.put_bytes(api_key_key(key_id), key.to_json())
        return key, token

    def get(self, key_id: str) -> ApiKey | None:
        try:
            return ApiKey.from_json(self.store.get_bytes(api_key_key(key_id)))
        except (ObjectNotFound, ValueError):
            return None

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this token belongs to, or None (unknown, wrong secret or revoked)."""
        key_id = key_id_of(token)
        key = self.get(key_id) if key_id else None
        if key is None or not hmac.compare_digest(key.token_sha256, hash_token(token)):
            return None
        return key if key.active else None

    def list(self) -> list[ApiKey]:
        found = []
        for name in self.store.list(KEYS_PREFIX):
            key = self.get(name[len(KEYS_PREFIX) : -len(".json")])
            if key is not None:
                found.append(key)
        return sorted(found, key=lambda k: (k.institution, k.created, k.id))

    def revoke(self, key_id: str) -> ApiKey:
        """Mark the key revoked (kept, so the audit log's key ids stay explained)."""
        key = self.get(key_id)
        if key is None:
            raise KeyNotFound(key_id)
        if key.active:
            key = replace(key, revoked=now_iso())
            self.store.put_bytes(api_key_key(key_id), key.to_json())
        return key
