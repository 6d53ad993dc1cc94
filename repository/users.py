"""People who sign in to the staff workspace, kept in the object store under `users/<name>.json`.

Stored like API keys (`repository.apikeys`): one JSON document per user naming its institution and
role (the same roles and rules as keys), with an argon2id hash of the password (argon2-cffi's
defaults; re-hashed at sign-in when those change) and never the password. `epoch` rises whenever
the password changes or the user is disabled, and a session names the epoch it began in, so
either ends every session the user had.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from repository.apikeys import Role, check_institution, check_role
from repository.keys import USERS_PREFIX, check_user_name, user_key
from repository.records import now_iso
from repository.store import ObjectNotFound, ObjectStore
from schemas.errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class UserNotFound(NotFound):
    def __str__(self) -> str:
        return f"no user named {self.args[0]!r}"


class UserExists(Conflict):
    def __str__(self) -> str:
        return f"a user named {self.args[0]!r} already exists"


@dataclass(frozen=True)
class User:
    name: str
    institution: str
    role: Role
    created: str
    password_hash: str
    epoch: int = 0
    disabled: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled is None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> User:
        fields: dict[str, Any] = json.loads(data)
        return cls(**fields)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must be at most {MAX_PASSWORD} characters long")
    return password


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified against when the user is unknown, so an unknown name costs as long as a known one
    (the answer's timing tells nobody which names exist)."""
    return _hasher().hash("not a password of anyone")


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class UserStore:
    """Makes, finds, lists, disables, enables, re-roles and re-passwords users in an
    ObjectStore."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def create(self, name: str, institution: str, role: str, password: str) -> User:
        check_user_name(name)
        if self.get(name) is not None:
            raise UserExists(name)
        user = User(
            name=name,
            institution=check_institution(institution),
            role=check_role(role),
            created=now_iso(),
            password_hash=_hasher().hash(check_password(password)),
        )
        self.store.put_bytes(user_key(name), user.to_json())
        return user

    def get(self, name: str) -> User | None:
        try:
            return User.from_json(self.store.get_bytes(user_key(name)))
        except (ObjectNotFound, InvalidInput, ValueError, TypeError):
            return None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserNotFound(name)
        return user

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user with this name and password, else None (unknown, wrong or disabled)."""
        user = self.get(name)
        if user is None:
            _matches(_decoy_hash(), password)
            return None
        if not _matches(user.password_hash, password) or not user.active:
            return None
        if _hasher().check_needs_rehash(user.password_hash):
            user = replace(user, password_hash=_hasher().hash(password))
            self.store.put_bytes(user_key(name), user.to_json())
        return user

    def list(self) -> list[User]:
        found = []
        for key in self.store.list(USERS_PREFIX):
            user = self.get(key[len(USERS_PREFIX) : -len(".json")])
            if user is not None:
                found.append(user)
        return sorted(found, key=lambda u: (u.institution, u.name))

    def disable(self, name: str) -> User:
        """Refuse the user from now on and end their sessions (kept, so the audit log's names
        stay explained)."""
        user = self.require(name)
        if user.active:
            user = replace(user, disabled=now_iso(), epoch=user.epoch + 1)
            self.store.put_bytes(user_key(name), user.to_json())
        return user

    def enable(self, name: str) -> User:
        """Accept the user's sign-ins again. The epoch stays where disabling left it, so the
        sessions that disabling ended stay ended."""
        user = self.require(name)
        if not user.active:
            user = replace(user, disabled=None)
            self.store.put_bytes(user_key(name), user.to_json())
        return user

    def set_role(self, name: str, role: str) -> User:
        """A new role; it applies from the user's next request (sessions re-read the user)."""
        user = self.require(name)
        changed = check_role(role)
        if changed != user.role:
            user = replace(user, role=changed)
            self.store.put_bytes(user_key(name), user.to_json())
        return user

    def set_password(self, name: str, password: str) -> User:
        """A new password; every session the user had ends."""
        user = self.require(name)
        user = replace(
            user, password_hash=_hasher().hash(check_password(password)), epoch=user.epoch + 1
        )
        self.store.put_bytes(user_key(name), user.to_json())
        return user
