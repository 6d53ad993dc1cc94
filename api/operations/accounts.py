"""People's accounts: signing in (rate-limited), and making, disabling, enabling, re-roling and
re-passwording users.

A signed-in user becomes the same `Caller` as an API key (institution and role, see
`api.operations.callers`), so every permission check applies unchanged. Free of HTTP: the web app
and the CLI share it. Each change to a user is written to the audit log. An admin signed in as a
user may not disable their own account or change their own role (`SelfChange`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.operations.callers import Caller
from repository.apikeys import check_role
from repository.audit import Actor, AuditLog
from repository.keys import check_user_name
from repository.store import ObjectStore
from repository.users import User, UserStore
from schemas.errors import Forbidden, InvalidInput

MAX_TRACKED = 100_000


class TooManyAttempts(Forbidden):
    """Sign-in refused for a while after repeated failures; `retry_after` in whole seconds."""

    def __init__(self, retry_after: int):
        super().__init__(
            f"too many failed sign-ins: try again in {retry_after} seconds", retry_after
        )
        self.retry_after = retry_after


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed sign-ins per user name and per client address, in this process only.

    After `max_failures` failures in a row, each further failure locks the name (or address) for
    `lockout_seconds`, doubling each time up to `max_lockout_seconds`; while locked every attempt
    is refused, right password or not. A success clears the name's count (not the address's).
    Counts are forgotten `max_lockout_seconds` after the last failure. Several server processes
    each keep their own counts, so the limit is per process."""

    def __init__(
        self,
        max_failures: int = 5,
        lockout_seconds: float = 30.0,
        max_lockout_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.max_lockout_seconds = max_lockout_seconds
        self.clock = clock
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, client: str | None) -> list[str]:
        return [f"user:{name}", *([f"addr:{client}"] if client else [])]

    def check(self, name: str, client: str | None) -> None:
        """Raise TooManyAttempts while the name or the address is locked."""
        now = self.clock()
        with self._lock:
            wait = max(
                (self._failures[k].locked_until - now for k in self._keys(name, client)
                 if k in self._failures),
                default=0.0,
            )  # fmt: skip
        if wait > 0:
            raise TooManyAttempts(math.ceil(wait))

    def failed(self, name: str, client: str | None) -> None:
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            for key in self._keys(name, client):
                entry = self._failures.setdefault(key, _Failures())
                entry.count += 1
                entry.last = now
                over = entry.count - self.max_failures
                if over >= 0:
                    delay = min(self.lockout_seconds * 2**over, self.max_lockout_seconds)
                    entry.locked_until = now + delay

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{name}", None)

    def _forget_old(self, now: float) -> None:
        if len(self._failures) < MAX_TRACKED:
            return
        horizon = now - self.max_lockout_seconds
        for key in [k for k, v in self._failures.items() if v.last < horizon]:
            del self._failures[key]


def caller_of(user: User) -> Caller:
    return Caller(None, user.institution, user.role, user=user.name)


def normalise_name(name: str) -> str:
    return name.strip().lower()


def sign_in(
    users: UserStore, throttle: LoginThrottle, name: str, password: str, client: str | None
) -> User | None:
    """The user these credentials belong to, None when they are wrong (or the user disabled);
    TooManyAttempts while the name or address is locked out."""
    name = normalise_name(name)
    throttle.check(name, client)
    try:
        check_user_name(name)
        user = users.authenticate(name, password) if password else None
    except InvalidInput:
        user = None
    if user is None:
        throttle.failed(name, client)
        return None
    throttle.succeeded(name)
    return user


def session_user(users: UserStore, name: str, epoch: int) -> User | None:
    """The user a session names, if still active and the session began in the current epoch
    (disabling a user or changing the password ends their sessions)."""
    user = users.get(name)
    return user if user is not None and user.active and user.epoch == epoch else None


class SelfChange(Forbidden):
    """An admin disabling or demoting their own account: refused, so nobody locks themselves
    (and perhaps everyone) out by a slip of the hand."""

    def __init__(self, name: str, change: str):
        super().__init__(f"you cannot {change} your own account ({name}); ask another admin")
        self.change = change


def _refuse_self(actor: Actor, name: str, change: str) -> None:
    if actor.user is not None and actor.user == name:
        raise SelfChange(name, change)


def _audited(
    store: ObjectStore, action: str, actor: Actor, user: User, summary: str, client: str | None
) -> User:
    """Every change to a person goes in the audit log, by whom and from where; the user."""
    AuditLog(store).append(action, actor, summary=summary, client=client, user=user.name)
    return user


def create_user(
    store: ObjectStore,
    actor: Actor,
    name: str,
    institution: str,
    role: str,
    password: str,
    client: str | None = None,
) -> User:
    user = UserStore(store).create(normalise_name(name), institution, role, password)
    return _audited(
        store,
        "users create",
        actor,
        user,
        f"created user {user.name}: {user.role} of {user.institution}",
        client,
    )


def disable_user(store: ObjectStore, actor: Actor, name: str, client: str | None = None) -> User:
    name = normalise_name(name)
    _refuse_self(actor, name, "disable")
    user = UserStore(store).disable(name)
    return _audited(
        store,
        "users disable",
        actor,
        user,
        f"disabled user {user.name}: {user.role} of {user.institution}",
        client,
    )


def enable_user(store: ObjectStore, actor: Actor, name: str, client: str | None = None) -> User:
    user = UserStore(store).enable(normalise_name(name))
    return _audited(
        store,
        "users enable",
        actor,
        user,
        f"enabled user {user.name}: {user.role} of {user.institution}",
        client,
    )


def set_role(
    store: ObjectStore, actor: Actor, name: str, role: str, client: str | None = None
) -> User:
    """A new role for the user; an admin may not lower their own (another admin must)."""
    name = normalise_name(name)
    users = UserStore(store)
    before = users.require(name)
    if check_role(role) != before.role:
        _refuse_self(actor, name, "change the role of")
    user = users.set_role(name, role)
    return _audited(
        store,
        "users set-role",
        actor,
        user,
        f"changed the role of user {user.name} from {before.role} to {user.role}",
        client,
    )


def set_password(
    store: ObjectStore, actor: Actor, name: str, password: str, client: str | None = None
) -> User:
    user = UserStore(store).set_password(normalise_name(name), password)
    return _audited(
        store,
        "users set-password",
        actor,
        user,
        f"changed the password of user {user.name}; their sessions ended",
        client,
    )
