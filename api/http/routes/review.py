"""Review before publication: `POST /api/items/{id}/review` moves an item through its statuses,
`GET /api/review` lists an institution's queue. Curators (and admins) only.

    draft ──► review ──► published ──► withdrawn
      ▲         │                          │
      └─────────┘ ◄────────────────────────┘  (withdrawn → review or draft)

Every decision carries a reason and appends a PREMIS event (`review`, `publication` or
`withdrawal`) naming the curator's key. Publishing is the person's answer to the screening: it
clears the item's `needs-review:*` flags (the event lists them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.http.auth import Caller, CuratorDep
from api.http.deps import LanguageDep
from api.labels import text_in
from api.operations.items import add_event, change_item, record_etag
from api.operations.record_cache import RecordCache
from api.present import with_file_urls
from repository import RecordStore
from search.screening import TAG_PREFIX, flags_of

router = APIRouter(tags=["review"])

Status = Literal["draft", "review", "published", "withdrawn"]
TRANSITIONS: dict[str, tuple[Status, ...]] = {
    "draft": ("review",),
    "review": ("published", "draft"),
    "published": ("withdrawn",),
    "withdrawn": ("review", "draft"),
}
EVENT_OF = {"published": "publication", "withdrawn": "withdrawal"}


class Decision(BaseModel):
    status: Status = Field(description="The status to move the item to")
    reason: str = Field(min_length=1, max_length=2000, description="Why; kept in the event")


def decide(record: dict[str, Any], decision: Decision, caller: Caller) -> str:
    """Apply one review decision to a record in place; 409 naming the allowed moves."""
    current = record["status"]
    allowed = TRANSITIONS.get(current, ())
    if decision.status not in allowed:
        raise HTTPException(
            409,
            f"item {record['id']!r} is {current}: it cannot move to {decision.status}; "
            f"allowed from {current}: {', '.join(allowed) or 'nothing'}",
        )
    record["status"] = decision.status
    detail = f"{current} → {decision.status}: {decision.reason.strip()}"
    if decision.status == "published" and (flags := flags_of(record)):
        record["tags"] = [t for t in record["tags"] if t not in flags]
        detail += "; screening flags cleared: " + ", ".join(f["value"] for f in flags)
    add_event(record, EVENT_OF.get(decision.status, "review"), caller, detail)
    return detail


@router.post(
    "/api/items/{item_id}/review",
    summary="Move an item to another status (curators of its institution)",
    responses={403: {}, 404: {}, 409: {"description": "Not allowed from the current status"}},
)
def review_item(
    item_id: str,
    decision: Decision,
    request: Request,
    response: Response,
    caller: CuratorDep,
    if_match: Annotated[str | None, Header(description="Optional: the ETag you decided on")] = None,
) -> dict[str, Any]:
    record = change_item(
        request,
        item_id,
        caller,
        if_match,
        lambda changed: decide(changed, decision, caller),
        require_match=False,
    )
    response.headers["ETag"] = record_etag(record)
    return with_file_urls(record)


# --- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: str
    status: str
    institution: str | None
    collection: str
    title: dict[str, str]
    modified: str
    flags: tuple[str, ...]


class Catalogue:
    """Status and owner of every record, re-read only when its stored object changed."""

    def __init__(self, records: RecordStore):
        self._entries = RecordCache(records, _entry)

    def entries(self) -> list[Entry]:
        return self._entries.values()


def _entry(record: dict[str, Any]) -> Entry:
    return Entry(
        record["id"],
        record["status"],
        record.get("institution"),
        record["collection"],
        record["title"],
        record["modified"],
        tuple(f["value"].removeprefix(TAG_PREFIX) for f in flags_of(record)),
    )


def catalogue(request: Request) -> Catalogue:
    state = request.app.state
    if getattr(state, "review_catalogue", None) is None:
        state.review_catalogue = Catalogue(state.services.records)
    return state.review_catalogue


@router.get("/api/review", summary="The review queue of the caller's institution (curators)")
def review_queue(
    request: Request,
    caller: CuratorDep,
    lang: LanguageDep,
    status: Annotated[Status, Query(description="Which status to list")] = "review",
    collection: Annotated[str | None, Query(description="Only this collection")] = None,
    institution: Annotated[
        str | None, Query(description="Admins: only this institution (default: all)")
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Oldest change first, so the queue is worked in order; flagged items say why."""
    owner = institution if caller.role == "admin" else caller.institution
    if caller.role != "admin" and institution not in (None, caller.institution):
        raise HTTPException(403, f"your key acts for {caller.institution!r}, not {institution!r}")
    entries = [
        e
        for e in catalogue(request).entries()
        if e.status == status
        and (owner is None or e.institution == owner)
        and (collection is None or e.collection == collection)
    ]
    entries.sort(key=lambda e: (e.modified, e.id))
    start = (page - 1) * size
    return {
        "total": len(entries),
        "status": status,
        "institution": owner,
        "page": page,
        "size": size,
        "items": [
            {
                "id": e.id,
                "title": text_in(e.title, lang) or e.id,
                "titles": e.title,
                "collection": e.collection,
                "institution": e.institution,
                "status": e.status,
                "modified": e.modified,
                "flags": list(e.flags),
                "url": f"/api/items/{e.id}",
            }
            for e in entries[start : start + size]
        ],
    }
