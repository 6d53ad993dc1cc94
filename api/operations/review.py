"""Review before publication: the statuses an item moves through, and the queue of items waiting.

    draft ──► review ──► published ──► withdrawn
      ▲         │                          │
      └─────────┘ ◄────────────────────────┘  (withdrawn → review or draft)

Every decision carries a reason and appends a PREMIS event (`review`, `publication` or
`withdrawal`) naming the curator. Publishing is the person's answer to the screening: it clears
the item's `needs-review:*` flags (the event lists them). Status changes only here: never by a
re-import, a harvest or an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from api.operations.callers import Caller
from api.operations.items import add_event
from api.operations.record_cache import RecordCache
from repository import RecordStore
from schemas.errors import Conflict
from search.screening import TAG_PREFIX, flags_of

Status = Literal["draft", "review", "published", "withdrawn"]
TRANSITIONS: dict[str, tuple[Status, ...]] = {
    "draft": ("review",),
    "review": ("published", "draft"),
    "published": ("withdrawn",),
    "withdrawn": ("review", "draft"),
}
EVENT_OF = {"published": "publication", "withdrawn": "withdrawal"}
MAX_REASON = 2000  # characters: a reason is kept in the event (its detail holds 4000)


def decide(record: dict[str, Any], status: Status, reason: str, caller: Caller) -> str:
    """Apply one review decision to a record in place; `Conflict` naming the allowed moves."""
    current = record["status"]
    allowed = TRANSITIONS.get(current, ())
    if status not in allowed:
        raise Conflict(
            f"item {record['id']!r} is {current}: it cannot move to {status}; "
            f"allowed from {current}: {', '.join(allowed) or 'nothing'}"
        )
    record["status"] = status
    detail = f"{current} → {status}: {reason.strip()}"
    if status == "published" and (flags := flags_of(record)):
        record["tags"] = [t for t in record["tags"] if t not in flags]
        detail += "; screening flags cleared: " + ", ".join(f["value"] for f in flags)
    add_event(record, EVENT_OF.get(status, "review"), caller, detail)
    return detail


@dataclass(frozen=True)
class Entry:
    id: str
    status: str
    institution: str | None
    collection: str
    title: dict[str, str]
    modified: str
    flags: tuple[str, ...]
    has_thumbnail: bool


class Catalogue:
    """Status and owner of every record, re-read only when its stored object changed."""

    def __init__(self, records: RecordStore):
        self._entries = RecordCache(records, _entry)

    def entries(self) -> list[Entry]:
        return self._entries.values()


def _entry(record: Mapping[str, Any]) -> Entry:
    return Entry(
        record["id"],
        record["status"],
        record.get("institution"),
        record["collection"],
        record["title"],
        record["modified"],
        tuple(f["value"].removeprefix(TAG_PREFIX) for f in flags_of(record)),
        any(f["role"] == "thumbnail" for f in record.get("files", [])),
    )


def queue(
    catalogue: Catalogue, status: Status, institution: str | None, collection: str | None
) -> list[Entry]:
    """Items in `status` (of one institution, or all when None), oldest change first, so the
    queue is worked in order."""
    entries = [
        e
        for e in catalogue.entries()
        if e.status == status
        and (institution is None or e.institution == institution)
        and (collection is None or e.collection == collection)
    ]
    entries.sort(key=lambda e: (e.modified, e.id))
    return entries
