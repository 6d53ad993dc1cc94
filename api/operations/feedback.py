"""Visitors' feedback: comments and corrections on public items, moderated by the item's
curators, and star ratings; plus what the insights page makes of them.

The rules: a visitor may comment on or rate only an item the public may see (any other is
`NotFound`, like a missing one); a comment is pending until a curator of the item's institution
(or an admin) approves or rejects it, and only approved ones (with their replies) are public.
Another institution's staff never learn that a comment exists. A per-address `RateLimit` refuses
floods. Free of HTTP: the storage is `repository.comments`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from api.operations.access import is_owner, is_visible, item_to_decide
from api.operations.callers import Caller
from api.operations.items import WriteContext, audit
from api.services import Services
from repository.comments import CommentNotFound, CommentStore, RatingStore
from schemas.errors import Forbidden, InvalidInput, NotFound
from search.base import Audience

MAX_TRACKED = 100_000
MIN_RATINGS = 3
"""Ratings an item needs before the insights page ranks it by its average."""
Action = Literal["approve", "reject", "reply"]
ACTIONS: tuple[Action, ...] = ("approve", "reject", "reply")


class TooManyRequests(Forbidden):
    """A client sent more than its share; `retry_after` in whole seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many requests: try again in {retry_after} seconds", retry_after)
        self.retry_after = retry_after


class RateLimit:
    """At most `limit` events per `seconds` for each key, for every (limit, seconds) window,
    counted in this process only (several server processes each keep their own counts).

    `take` counts an event or raises TooManyRequests saying when the oldest counted event of the
    full window expires; refused attempts are not counted, so a flood cannot extend its own
    lockout forever but can never get past the limit either."""

    def __init__(
        self, windows: Sequence[tuple[int, float]], clock: Callable[[], float] = time.monotonic
    ):
        self.windows = sorted(windows, key=lambda w: w[1])
        self.horizon = max(seconds for _, seconds in windows)
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.horizon:
                events.popleft()
            wait = 0.0
            for limit, seconds in self.windows:
                recent = [t for t in events if t > now - seconds]
                if len(recent) >= limit:
                    wait = max(wait, recent[-limit] + seconds - now)
            if wait > 0:
                raise TooManyRequests(max(1, math.ceil(wait)))
            events.append(now)
            if len(self._events) > MAX_TRACKED:
                self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.horizon]:
            del self._events[key]


def _public_record(services: Services, item_id: str) -> dict[str, Any]:
    """The item if the public may see it; `NotFound` otherwise (a hidden item is not told)."""
    record = services.records.get(item_id)
    if record is None or not is_visible(record, Audience.public()):
        raise NotFound(f"no item with id {item_id!r}")
    return dict(record)


def post_comment(
    services: Services,
    limit: RateLimit,
    item_id: str,
    *,
    kind: str,
    text: str,
    name: str,
    contact: str,
    client: str,
) -> dict[str, Any]:
    """A visitor's comment on a public item, pending moderation; `client` is the address hash."""
    _public_record(services, item_id)
    limit.take(f"comment:{client}")
    return CommentStore(services.store).add(item_id, kind, text, name, client, contact)


def rate(
    services: Services, limit: RateLimit, item_id: str, stars: int, rater: str, client: str
) -> tuple[int, float | None]:
    """One rating (1–5) of a public item from one session (`rater`); a repeat replaces it."""
    _public_record(services, item_id)
    limit.take(f"rating:{client}")
    ratings = RatingStore(services.store)
    ratings.rate(item_id, rater, stars)
    return ratings.summary(item_id)


def public_comments(services: Services, item_id: str) -> list[dict[str, Any]]:
    """The approved comments on an item, oldest first, without what only staff may read."""
    return [
        {
            k: v
            for k, v in comment.items()
            if k in ("id", "kind", "text", "name", "created", "reply")
        }
        for comment in CommentStore(services.store).for_item(item_id)
        if comment["status"] == "approved"
    ]


@dataclass(frozen=True)
class Pending:
    """A comment in a curator's queue, with the item it is on."""

    comment: dict[str, Any]
    record: dict[str, Any]


def _check_moderator(caller: Caller) -> None:
    if caller.role not in ("curator", "admin"):
        raise Forbidden(f"moderating comments needs the curator role, not {caller.role}")


def moderation_queue(services: Services, caller: Caller, status: str = "pending") -> list[Pending]:
    """Comments with `status` on the items this curator's institution owns (every item for an
    admin), oldest first."""
    _check_moderator(caller)
    records: dict[str, dict[str, Any] | None] = {}
    found = []
    for comment in CommentStore(services.store).all():
        if comment["status"] != status:
            continue
        item_id = comment["item_id"]
        if item_id not in records:
            stored = services.records.get(item_id)
            records[item_id] = dict(stored) if stored is not None else None
        record = records[item_id]
        if record is not None and is_owner(caller, record):
            found.append(Pending(comment, record))
    return sorted(found, key=lambda p: p.comment["id"])


def moderate(
    services: Services,
    context: WriteContext,
    item_id: str,
    comment_id: str,
    action: str,
    reply: str = "",
) -> dict[str, Any]:
    """Approve, reject or reply to one comment; `NotFound` for a comment on an item the caller's
    institution does not own (as if there were none), `Forbidden` below curator."""
    caller = context.caller
    _check_moderator(caller)
    if item_to_decide(services.records, caller, item_id) is None:
        raise CommentNotFound(comment_id, item_id)
    comments = CommentStore(services.store)
    by = caller.user or caller.agent
    if action == "approve":
        comment = comments.moderate(item_id, comment_id, "approved", by)
    elif action == "reject":
        comment = comments.moderate(item_id, comment_id, "rejected", by)
    elif action == "reply":
        if not reply.strip():
            raise InvalidInput("reply: write the reply")
        comment = comments.reply(item_id, comment_id, reply, by)
    else:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    audit(services, context, item_id, f"comment {comment_id}: {action}")
    return comment


def most_valued(
    services: Services, audience: Audience, limit: int = 10
) -> list[tuple[dict[str, Any], int, float]]:
    """(record, ratings, average) of the best-rated items this audience sees, with at least
    MIN_RATINGS ratings; highest average first, then most ratings."""
    ranked = []
    for item_id, rating in RatingStore(services.store).all():
        if rating["count"] < MIN_RATINGS:
            continue
        record = services.records.get(item_id)
        if record is not None and is_visible(record, audience):
            ranked.append((dict(record), rating["count"], rating["sum"] / rating["count"]))
    return sorted(ranked, key=lambda r: (-r[2], -r[1], r[0]["id"]))[:limit]


def most_corrected(
    services: Services, audience: Audience, limit: int = 10
) -> list[tuple[dict[str, Any], int]]:
    """(record, approved corrections) of the items most often corrected, most first."""
    counts: dict[str, int] = {}
    for comment in CommentStore(services.store).all():
        if comment["kind"] == "correction" and comment["status"] == "approved":
            counts[comment["item_id"]] = counts.get(comment["item_id"], 0) + 1
    ranked = []
    for item_id, n in _by_count(counts.items()):
        record = services.records.get(item_id)
        if record is not None and is_visible(record, audience):
            ranked.append((dict(record), n))
        if len(ranked) >= limit:
            break
    return ranked


def _by_count(counts: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(counts, key=lambda c: (-c[1], c[0]))
