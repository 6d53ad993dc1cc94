"""Signing in: a user becomes the same kind of Caller as a key, and failed attempts lock the name
and the address out for a doubling while, right password or not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.operations.accounts import (
    LoginThrottle,
    SelfChange,
    TooManyAttempts,
    caller_of,
    disable_user,
    enable_user,
    set_role,
    sign_in,
)
from api.operations.callers import Caller
from repository import LocalStore
from repository.audit import Actor, AuditLog
from repository.users import UserStore

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    store = UserStore(LocalStore(tmp_path))
    store.create("wang.li", "museum-a", "curator", PASSWORD)
    return store


def test_a_user_acts_like_a_key_of_its_institution_and_role(users: UserStore) -> None:
    caller = caller_of(users.require("wang.li"))
    key = Caller("abcdef012345", "museum-a", "curator")
    assert (caller.institution, caller.role) == (key.institution, key.role)
    assert caller.has_role("archivist") and not caller.has_role("admin")
    assert caller.agent == "museum-a/curator (user wang.li)"
    assert caller.actor().to_dict() == {
        "agent": "museum-a/curator (user wang.li)",
        "institution": "museum-a",
        "role": "curator",
        "user": "wang.li",
    }


def test_names_are_case_insensitive_at_sign_in(users: UserStore) -> None:
    user = sign_in(users, LoginThrottle(), " Wang.Li ", PASSWORD, "10.0.0.1")
    assert user is not None and user.name == "wang.li"


def test_failures_lock_the_name_out_with_a_doubling_delay(users: UserStore) -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, lockout_seconds=10, clock=clock)
    for _ in range(2):
        assert sign_in(users, throttle, "wang.li", "guess", "10.0.0.1") is None
    assert sign_in(users, throttle, "wang.li", "guess", "10.0.0.2") is None  # 3rd: locked 10 s
    with pytest.raises(TooManyAttempts) as locked:
        sign_in(users, throttle, "wang.li", PASSWORD, "10.0.0.3")  # the right one, too
    assert locked.value.retry_after == 10
    clock.now += 10
    assert sign_in(users, throttle, "wang.li", "guess", "10.0.0.3") is None  # 4th: 20 s
    clock.now += 19
    with pytest.raises(TooManyAttempts, match="try again in 1 seconds"):
        sign_in(users, throttle, "wang.li", PASSWORD, "10.0.0.4")
    clock.now += 1
    assert sign_in(users, throttle, "wang.li", PASSWORD, "10.0.0.4") is not None
    assert sign_in(users, throttle, "wang.li", "guess", "10.0.0.5") is None  # count restarted


def test_one_address_guessing_many_names_is_locked_out(users: UserStore) -> None:
    throttle = LoginThrottle(max_failures=3, lockout_seconds=10, clock=Clock())
    for name in ("a", "b", "c"):
        assert sign_in(users, throttle, name, "guess", "10.6.6.6") is None
    with pytest.raises(TooManyAttempts):
        sign_in(users, throttle, "wang.li", PASSWORD, "10.6.6.6")
    assert sign_in(users, throttle, "wang.li", PASSWORD, "10.0.0.1") is not None  # others may


def test_malformed_names_count_as_failures(users: UserStore) -> None:
    throttle = LoginThrottle(max_failures=1, lockout_seconds=10, clock=Clock())
    assert sign_in(users, throttle, "../keys/x", PASSWORD, "10.0.0.9") is None
    with pytest.raises(TooManyAttempts):
        sign_in(users, throttle, "wang.li", PASSWORD, "10.0.0.9")


def _actions(users: UserStore) -> list[tuple[str, str, str | None]]:
    day = AuditLog(users.store).day(datetime.now(UTC).date())
    return [(e["action"], e["user"], e["actor"].get("user")) for e in day]


def test_an_admin_cannot_disable_or_demote_their_own_account(users: UserStore) -> None:
    users.create("ada", "museum-a", "admin", PASSWORD)
    ada = caller_of(users.require("ada")).actor()
    with pytest.raises(SelfChange):
        disable_user(users.store, ada, "ADA")  # the name as typed, any case
    with pytest.raises(SelfChange):
        set_role(users.store, ada, "ada", "curator")
    assert set_role(users.store, ada, "ada", "admin").role == "admin"  # no change is no demotion
    assert users.require("ada").active and users.require("ada").role == "admin"
    assert [a for a in _actions(users) if a[0] != "users set-role"] == []


def test_changes_to_users_are_audited_with_their_actor(users: UserStore) -> None:
    users.create("ada", "museum-a", "admin", PASSWORD)
    ada = caller_of(users.require("ada")).actor()
    disable_user(users.store, ada, "wang.li", client="10.0.0.7")
    enable_user(users.store, ada, "wang.li")
    set_role(users.store, Actor("heritage-cli (ops)"), "wang.li", "archivist")
    assert _actions(users) == [
        ("users disable", "wang.li", "ada"),
        ("users enable", "wang.li", "ada"),
        ("users set-role", "wang.li", None),
    ]
    assert users.require("wang.li").role == "archivist"
