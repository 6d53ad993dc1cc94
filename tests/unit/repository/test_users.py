"""The user store: argon2 hashes and never a password, names that are safe storage keys, disabling
and re-passwording end sessions (the epoch rises), and a wrong or unknown user is simply refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from repository import LocalStore
from repository.users import UserExists, UserNotFound, UserStore
from schemas.errors import InvalidInput

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    return UserStore(LocalStore(tmp_path))


def test_the_store_keeps_an_argon2id_hash_and_never_the_password(users: UserStore) -> None:
    user = users.create("wang.li", "蔚县文化馆", "curator", PASSWORD)
    stored = users.store.get_bytes("users/wang.li.json")
    assert PASSWORD.encode() not in stored
    assert user.password_hash.startswith("$argon2id$")
    assert users.get("wang.li") == user
    assert users.authenticate("wang.li", PASSWORD) == user


def test_wrong_password_unknown_user_and_empty_password_are_refused(users: UserStore) -> None:
    users.create("wang.li", "museum-a", "archivist", PASSWORD)
    assert users.authenticate("wang.li", PASSWORD + "x") is None
    assert users.authenticate("wang.li", "") is None
    assert users.authenticate("nobody", PASSWORD) is None


def test_two_users_with_one_password_get_different_hashes(users: UserStore) -> None:
    a = users.create("a", "museum-a", "archivist", PASSWORD)
    b = users.create("b", "museum-a", "archivist", PASSWORD)
    assert a.password_hash != b.password_hash  # salted


def test_disable_refuses_sign_in_and_raises_the_epoch(users: UserStore) -> None:
    users.create("wang.li", "museum-a", "curator", PASSWORD)
    disabled = users.disable("wang.li")
    assert disabled.disabled is not None and disabled.epoch == 1
    assert users.authenticate("wang.li", PASSWORD) is None
    assert users.disable("wang.li") == disabled  # disabling twice changes nothing
    assert [u.name for u in users.list()] == ["wang.li"]  # kept


def test_set_password_replaces_the_old_one_and_raises_the_epoch(users: UserStore) -> None:
    users.create("wang.li", "museum-a", "curator", PASSWORD)
    changed = users.set_password("wang.li", "another long secret")
    assert changed.epoch == 1
    assert users.authenticate("wang.li", PASSWORD) is None
    assert users.authenticate("wang.li", "another long secret") == changed


@pytest.mark.parametrize(
    ("name", "institution", "role", "password", "named"),
    [
        ("../etc", "museum-a", "curator", PASSWORD, "user name"),
        ("Upper", "museum-a", "curator", PASSWORD, "user name"),
        ("", "museum-a", "curator", PASSWORD, "user name"),
        ("ok", " museum-a", "curator", PASSWORD, "institution"),
        ("ok", "museum-a", "boss", PASSWORD, "role"),
        ("ok", "museum-a", "curator", "short", "at least 10"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    users: UserStore, name: str, institution: str, role: str, password: str, named: str
) -> None:
    with pytest.raises(InvalidInput, match=named):
        users.create(name, institution, role, password)
    assert users.list() == []


def test_a_name_is_made_once_and_unknown_names_are_not_found(users: UserStore) -> None:
    users.create("wang.li", "museum-a", "curator", PASSWORD)
    with pytest.raises(UserExists, match="already exists"):
        users.create("wang.li", "museum-b", "admin", PASSWORD)
    assert users.get("wang.li").institution == "museum-a"  # type: ignore[union-attr]
    with pytest.raises(UserNotFound, match="no user named 'nobody'"):
        users.disable("nobody")
    assert users.get("../../keys/x") is None  # a hostile name finds nothing


def test_enabling_lets_the_user_in_again_but_not_their_old_sessions(users: UserStore) -> None:
    made = users.create("wang.li", "museum-a", "curator", PASSWORD)
    disabled = users.disable("wang.li")
    enabled = users.enable("wang.li")
    assert enabled.active and enabled.epoch == disabled.epoch > made.epoch
    assert users.authenticate("wang.li", PASSWORD) == enabled
    assert users.enable("wang.li") == enabled  # enabling an active user changes nothing
    with pytest.raises(UserNotFound):
        users.enable("nobody")


def test_a_new_role_is_checked_and_kept_without_ending_sessions(users: UserStore) -> None:
    made = users.create("wang.li", "museum-a", "archivist", PASSWORD)
    changed = users.set_role("wang.li", "curator")
    assert (changed.role, changed.epoch) == ("curator", made.epoch)
    assert users.require("wang.li").role == "curator"
    with pytest.raises(InvalidInput, match="superuser"):
        users.set_role("wang.li", "superuser")
    assert users.require("wang.li").role == "curator"
