"""Comments and ratings in the store: validated on every write, pending until moderated, the
address only as a keyed hash, a reply kept under its comment, one rating per rater."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repository import LocalStore, ObjectInfo
from repository.comments import CommentNotFound, CommentStore, RatingStore, client_hash
from schemas import SchemaError, validate_comment
from schemas.errors import InvalidInput

ITEM = "paper-cut-001"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path)


@pytest.fixture
def comments(store: LocalStore) -> CommentStore:
    return CommentStore(store)


def test_a_new_comment_is_pending_under_its_items_prefix(comments: CommentStore) -> None:
    client = client_hash("secret", "203.0.113.7")
    made = comments.add(
        ITEM, "correction", " 这是蔚县，不是丰宁 ", "老王", client, "wang@example.org"
    )
    assert made["status"] == "pending" and made["text"] == "这是蔚县，不是丰宁"
    key = f"comments/{ITEM}/{made['id']}.json"
    stored = json.loads(comments.store.get_bytes(key))
    assert stored == made and stored["contact"] == "wang@example.org"
    assert b"203.0.113.7" not in comments.store.get_bytes(key)
    assert comments.get(ITEM, made["id"]) == made
    assert [c["id"] for c in comments.for_item(ITEM)] == [made["id"]]
    assert comments.for_item("other-item") == []


def test_the_address_hash_depends_on_the_secret() -> None:
    a = client_hash("one", "203.0.113.7")
    assert a == client_hash("one", "203.0.113.7") and len(a) == 64
    assert a != client_hash("two", "203.0.113.7") and a != client_hash("one", "203.0.113.8")


@pytest.mark.parametrize(
    ("kind", "text", "name", "field"),
    [
        ("praise", "好", "", "kind"),
        ("comment", "   ", "", "text"),
        ("comment", "x" * 2001, "", "text"),
        ("comment", "好", "n" * 81, "name"),
        ("comment", "bad \x00 byte", "", "text"),
        ("comment", "好", "lone \ud800", "name"),
    ],
)
def test_what_cannot_be_kept_is_refused_naming_the_field(
    comments: CommentStore, kind: str, text: str, name: str, field: str
) -> None:
    with pytest.raises(InvalidInput, match=field):
        comments.add(ITEM, kind, text, name, "0" * 64)
    assert list(comments.store.list("comments/")) == []


def test_the_schema_refuses_a_raw_address_and_unknown_fields() -> None:
    good = {
        "id": "20261206170000-0123456789ab",
        "item_id": ITEM,
        "kind": "comment",
        "text": "好",
        "name": "",
        "created": "2026-12-06T17:00:00Z",
        "status": "pending",
        "client": "a" * 64,
    }
    validate_comment(good)
    with pytest.raises(SchemaError, match=r"\$\.client"):
        validate_comment({**good, "client": "203.0.113.7"})
    with pytest.raises(SchemaError, match="address"):
        validate_comment({**good, "address": "203.0.113.7"})
    with pytest.raises(SchemaError, match=r"\$\.status"):
        validate_comment({**good, "status": "shown"})


def test_moderation_and_a_reply_are_kept(comments: CommentStore) -> None:
    made = comments.add(ITEM, "comment", "<script>alert(1)</script>", "", "0" * 64)
    approved = comments.moderate(ITEM, made["id"], "approved", "curator-a")
    assert approved["status"] == "approved" and approved["moderated_by"] == "curator-a"
    replied = comments.reply(ITEM, made["id"], "谢谢指正", "curator-a")
    assert replied["reply"]["text"] == "谢谢指正" and replied["status"] == "approved"
    assert comments.get(ITEM, made["id"])["reply"]["by"] == "curator-a"
    assert "reply" not in comments.reply(ITEM, made["id"], "  ", "curator-a")
    with pytest.raises(InvalidInput):
        comments.moderate(ITEM, made["id"], "pending", "curator-a")
    with pytest.raises(CommentNotFound):
        comments.moderate(ITEM, "20261206170000-000000000000", "approved", "curator-a")
    with pytest.raises(InvalidInput):
        comments.get(ITEM, "../../records/x")


def test_a_repeat_rating_replaces_the_raters_earlier_one(store: LocalStore) -> None:
    ratings = RatingStore(store)
    assert ratings.summary(ITEM) == (0, None)
    ratings.rate(ITEM, "a" * 64, 5)
    ratings.rate(ITEM, "b" * 64, 2)
    assert ratings.summary(ITEM) == (2, 3.5)
    ratings.rate(ITEM, "a" * 64, 3)
    assert ratings.summary(ITEM) == (2, 2.5)
    assert dict(ratings.all())[ITEM]["by"] == {"a" * 64: 3, "b" * 64: 2}
    for bad in (0, 6, True):
        with pytest.raises(InvalidInput, match="stars"):
            ratings.rate(ITEM, "c" * 64, bad)
    assert ratings.summary(ITEM) == (2, 2.5)


class Racing(LocalStore):
    """A store where another writer's rating lands between this writer's read and write, once."""

    raced = False

    def put_bytes(
        self, key: str, data: bytes, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ObjectInfo:
        if key.startswith("ratings/") and not self.raced:
            self.raced = True
            RatingStore(LocalStore(self.root)).rate(ITEM, "z" * 64, 1)
        return super().put_bytes(key, data, if_match=if_match, if_none_match=if_none_match)


@pytest.mark.parametrize("first", [True, False])
def test_two_raters_at_once_both_count(tmp_path: Path, first: bool) -> None:
    if not first:
        RatingStore(LocalStore(tmp_path)).rate(ITEM, "y" * 64, 4)
    racing = Racing(tmp_path)
    RatingStore(racing).rate(ITEM, "a" * 64, 5)
    assert racing.raced
    rating = RatingStore(LocalStore(tmp_path)).get(ITEM)
    expected = {"a" * 64: 5, "z" * 64: 1} | ({} if first else {"y" * 64: 4})
    assert rating["by"] == expected
    assert rating["count"] == len(expected) and rating["sum"] == sum(expected.values())
