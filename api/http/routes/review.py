"""Review over HTTP: `POST /api/items/{id}/review` moves an item through its statuses,
`GET /api/review` lists an institution's queue. Curators (and admins) only. The rules:
`api.operations.review`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.http.audit import item_locks, write_context
from api.http.auth import CuratorDep
from api.http.deps import LanguageDep
from api.http.state import shared
from api.labels import text_in
from api.operations.items import change_item, record_etag
from api.operations.review import MAX_REASON, Catalogue, Status, decide, queue
from api.present import with_file_urls

router = APIRouter(tags=["review"])


class Decision(BaseModel):
    status: Status = Field(description="The status to move the item to")
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="Why; kept in the event")


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
        request.app.state.services,
        item_locks(request),
        item_id,
        write_context(request, caller),
        if_match,
        lambda changed: decide(changed, decision.status, decision.reason, caller),
        require_match=False,
    )
    response.headers["ETag"] = record_etag(record)
    return with_file_urls(record)


# --- the queue -----------------------------------------------------------------------------------


def catalogue(request: Request) -> Catalogue:
    return shared(request, "review_catalogue", lambda services: Catalogue(services.records))


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
    entries = queue(catalogue(request), status, owner, collection)
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
