"""Visitors' feedback on items: comments and corrections (`comments/<id>/<comment-id>.json`) and
star ratings (`ratings/<id>.json`).

A comment is one JSON document, validated on every write (`comment.schema.json`, and
`check_document` so a comment can travel wherever a record's text goes); it is pending until a
curator approves or rejects it, and only then may anyone but staff see it. Changes (moderation,
a reply) are conditional writes over what was read, so two curators never silently undo each
other. The visitor's address is kept only as a keyed hash (`client_hash`), never as typed.

Ratings are aggregated per item in one document: the count, the sum and each rater's value under
a hash of their session, so a later rating from the same session replaces the earlier one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from repository.keys import (
    COMMENTS_PREFIX,
    RATINGS_PREFIX,
    comment_key,
    comments_prefix,
    rating_key,
)
from repository.records import now_iso
from repository.store import ObjectNotFound, ObjectStore, WriteConflict
from schemas import validate_comment
from schemas.errors import Conflict, InvalidInput, NotFound
from schemas.text import check_document

Kind = Literal["comment", "correction"]
CommentStatus = Literal["pending", "approved", "rejected"]
KINDS: tuple[Kind, ...] = ("comment", "correction")
MAX_TEXT = 2000
MAX_NAME = 80
MAX_CONTACT = 200
STARS = range(1, 6)
RETRIES = 5
"""Conditional writes retried after a lost race (another writer of the same document)."""


class CommentNotFound(NotFound):
    def __str__(self) -> str:
        return f"no comment {self.args[0]!r} on item {self.args[1]!r}"


def client_hash(secret: str, address: str) -> str:
    """HMAC-SHA256 of an address (or a session id) under the server's secret: stable enough to
    group and limit by, useless for recovering the address."""
    return hmac.new(
        secret.encode(), address.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def new_comment_id(now: datetime | None = None) -> str:
    """Time first (UTC, to the second) so a listing is oldest first, then 48 random bits."""
    return f"{(now or datetime.now(UTC)):%Y%m%d%H%M%S}-{secrets.token_hex(6)}"


def _check(comment: dict[str, Any]) -> bytes:
    check_document(comment, what=f"comment {comment.get('id', '?')}")
    validate_comment(comment)
    return json.dumps(comment, ensure_ascii=False, indent=1, sort_keys=True).encode()


class CommentStore:
    """Comments of every item, over the object store."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def add(
        self,
        item_id: str,
        kind: str,
        text: str,
        name: str,
        client: str,
        contact: str = "",
    ) -> dict[str, Any]:
        """Write a new pending comment; InvalidInput (naming the field) for what cannot be kept."""
        text, name, contact = text.strip(), " ".join(name.split()), contact.strip()
        if kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not text:
            raise InvalidInput("text: write the comment or correction")
        for field, value, limit in (
            ("text", text, MAX_TEXT), ("name", name, MAX_NAME), ("contact", contact, MAX_CONTACT)
        ):  # fmt: skip
            if len(value) > limit:
                raise InvalidInput(f"{field}: at most {limit} characters (got {len(value)})")
        comment: dict[str, Any] = {
            "id": new_comment_id(),
            "item_id": item_id,
            "kind": kind,
            "text": text,
            "name": name,
            "created": now_iso(),
            "status": "pending",
            "client": client,
        }
        if contact:
            comment["contact"] = contact
        data = _check(comment)
        self.store.put_bytes(comment_key(item_id, comment["id"]), data, if_none_match=True)
        return comment

    def get(self, item_id: str, comment_id: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = json.loads(
                self.store.get_bytes(comment_key(item_id, comment_id))
            )
        except ObjectNotFound:
            raise CommentNotFound(comment_id, item_id) from None
        return found

    def for_item(self, item_id: str) -> list[dict[str, Any]]:
        """Every comment on one item, oldest first, whatever its status."""
        return [self._read(key) for key in self.store.list(comments_prefix(item_id))]

    def all(self) -> Iterator[dict[str, Any]]:
        """Every comment on every item (the moderation queue and the insights page read these)."""
        for key in self.store.list(COMMENTS_PREFIX):
            yield self._read(key)

    def _read(self, key: str) -> dict[str, Any]:
        comment: dict[str, Any] = json.loads(self.store.get_bytes(key))
        return comment

    def change(
        self, item_id: str, comment_id: str, edit: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any]:
        """Read, apply `edit`, write back only over what was read (retried after a lost race)."""
        key = comment_key(item_id, comment_id)
        for _ in range(RETRIES):
            try:
                data, etag = self.store.get_versioned(key)
            except ObjectNotFound:
                raise CommentNotFound(comment_id, item_id) from None
            comment: dict[str, Any] = json.loads(data)
            edit(comment)
            try:
                self.store.put_bytes(key, _check(comment), if_match=etag)
            except WriteConflict:
                continue
            return comment
        raise Conflict(f"comment {comment_id} keeps changing under this write: try again")

    def moderate(
        self, item_id: str, comment_id: str, status: CommentStatus, by: str
    ) -> dict[str, Any]:
        if status not in ("approved", "rejected"):
            raise InvalidInput(f"a comment is approved or rejected, not {status!r}")

        def edit(comment: dict[str, Any]) -> None:
            comment.update(status=status, moderated_by=by, moderated_at=now_iso())

        return self.change(item_id, comment_id, edit)

    def reply(self, item_id: str, comment_id: str, text: str, by: str) -> dict[str, Any]:
        """Set (or replace) the curator's reply; an empty text removes it."""
        text = text.strip()
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"reply: at most {MAX_TEXT} characters (got {len(text)})")

        def edit(comment: dict[str, Any]) -> None:
            if text:
                comment["reply"] = {"text": text, "by": by, "at": now_iso()}
            else:
                comment.pop("reply", None)

        return self.change(item_id, comment_id, edit)


class RatingStore:
    """One document per item: `{"count", "sum", "by": {session hash: stars}}`."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def get(self, item_id: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = json.loads(self.store.get_bytes(rating_key(item_id)))
        except ObjectNotFound:
            return {"count": 0, "sum": 0, "by": {}}
        return found

    def summary(self, item_id: str) -> tuple[int, float | None]:
        """(how many rated, the average) — the average is None before the first rating."""
        rating = self.get(item_id)
        return rating["count"], (rating["sum"] / rating["count"] if rating["count"] else None)

    def rate(self, item_id: str, rater: str, stars: int) -> dict[str, Any]:
        """Record `stars` (1–5) from one rater (a session hash); a repeat replaces theirs."""
        if isinstance(stars, bool) or not isinstance(stars, int) or stars not in STARS:
            raise InvalidInput(f"stars: a whole number from 1 to 5 (got {stars!r})")
        key = rating_key(item_id)
        for _ in range(RETRIES):
            try:
                data, etag = self.store.get_versioned(key)
                rating: dict[str, Any] = json.loads(data)
            except ObjectNotFound:
                rating, etag = {"count": 0, "sum": 0, "by": {}}, None
            previous = rating["by"].get(rater)
            rating["by"][rater] = stars
            rating["sum"] += stars - (previous or 0)
            rating["count"] += 0 if previous else 1
            body = json.dumps(rating, sort_keys=True).encode()
            try:
                if etag is None:
                    self.store.put_bytes(key, body, if_none_match=True)
                else:
                    self.store.put_bytes(key, body, if_match=etag)
            except WriteConflict:
                continue
            return rating
        raise Conflict(f"the rating of {item_id} keeps changing under this write: try again")

    def all(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(item id, rating) of every rated item."""
        for key in self.store.list(RATINGS_PREFIX):
            yield key[len(RATINGS_PREFIX) : -len(".json")], json.loads(self.store.get_bytes(key))
