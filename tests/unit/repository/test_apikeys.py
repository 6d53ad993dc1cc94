"""API keys in the store: made with a token shown once, stored hashed, found, listed, revoked."""

from __future__ import annotations

from pathlib import Path

import pytest

from repository import LocalStore
from repository.apikeys import KeyNotFound, KeyStore, hash_token, key_id_of


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(LocalStore(tmp_path / "store"))


def test_a_key_is_stored_hashed_and_found_by_its_token(keys: KeyStore) -> None:
    key, token = keys.create("蔚县文化馆", "curator", "front desk")
    stored = keys.store.get_bytes(f"keys/{key.id}.json").decode()
    assert token not in stored
    assert token.split("_", 2)[2] not in stored
    assert hash_token(token) in stored
    assert keys.authenticate(token) == key
    assert (key.institution, key.role, key.label) == ("蔚县文化馆", "curator", "front desk")
    assert key_id_of(token) == key.id


def test_every_key_is_new(keys: KeyStore) -> None:
    (first, token1), (second, token2) = keys.create("a", "archivist"), keys.create("a", "archivist")
    assert first.id != second.id and token1 != token2
    assert keys.authenticate(token1) == first and keys.authenticate(token2) == second


def test_wrong_tokens_find_nothing(keys: KeyStore) -> None:
    key, token = keys.create("museum-a", "admin")
    other_secret = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in [other_secret, "", "hk_", f"hk_{key.id}_short", "hk_../../x_" + "A" * 43, "k"]:
        assert keys.authenticate(wrong) is None


def test_a_revoked_key_stops_working_and_stays_listed(keys: KeyStore) -> None:
    key, token = keys.create("museum-a", "curator")
    kept, kept_token = keys.create("museum-b", "archivist")
    revoked = keys.revoke(key.id)
    assert revoked.revoked is not None and not revoked.active
    assert keys.authenticate(token) is None
    assert keys.authenticate(kept_token) == kept
    assert {k.id: k.active for k in keys.list()} == {key.id: False, kept.id: True}
    assert keys.revoke(key.id).revoked == revoked.revoked  # revoking twice changes nothing


def test_revoking_an_unknown_key_says_which(keys: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="0123456789ab"):
        keys.revoke("0123456789ab")
    with pytest.raises(KeyNotFound, match="nonsense"):
        keys.revoke("nonsense")


@pytest.mark.parametrize(
    ("institution", "role", "label", "message"),
    [
        ("museum-a", "owner", "", "role 'owner' is not one of archivist, curator, admin"),
        ("", "curator", "", "institution ''"),
        (" museum-a", "curator", "", "institution ' museum-a'"),
        ("museum\n-a", "curator", "", "control characters"),
        ("x" * 129, "curator", "", "1-128 characters"),
        ("museum-a", "curator", "l" * 201, "label is longer than 200"),
    ],
)
def test_bad_key_requests_name_the_field(
    keys: KeyStore, institution: str, role: str, label: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        keys.create(institution, role, label)
    assert keys.list() == []
