"""What happened: an item's provenance events (`GET /api/items/{id}/events`, for its own
institution) and the audit log of writes (`GET /api/audit`, for admins)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.http.auth import AdminDep, OptionalCaller
from api.http.deps import ServicesDep
from api.http.errors import not_found
from api.operations.access import audience_of, is_owner, is_visible
from repository.audit import AuditLog

router = APIRouter(tags=["provenance"])


@router.get(
    "/api/items/{item_id}/events",
    summary="An item's provenance events, oldest first (its own institution and admins)",
    responses={404: {"description": "Unknown, or not the caller's institution's item"}},
)
def item_events(item_id: str, services: ServicesDep, caller: OptionalCaller) -> dict[str, Any]:
    record = services.records.get(item_id)
    if record is None or not (is_owner(caller, record) and is_visible(record, audience_of(caller))):
        raise not_found(f"no item with id {item_id!r}")
    return {"id": item_id, "total": len(record["events"]), "events": record["events"]}


@router.get("/api/audit", summary="The audit log of one day, newest first (admins)")
def audit_log(
    services: ServicesDep,
    caller: AdminDep,
    day: Annotated[date | None, Query(description="YYYY-MM-DD (UTC); default today")] = None,
    item: Annotated[str | None, Query(description="Only entries about this item")] = None,
    key: Annotated[str | None, Query(description="Only entries made with this key id")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    wanted = day or datetime.now(UTC).date()
    entries = [
        e
        for e in AuditLog(services.store).day(wanted)
        if (item is None or e.get("item") == item)
        and (key is None or e.get("actor", {}).get("key_id") == key)
    ]
    entries.reverse()
    start = (page - 1) * size
    return {
        "day": wanted.isoformat(),
        "total": len(entries),
        "page": page,
        "size": size,
        "entries": entries[start : start + size],
    }
