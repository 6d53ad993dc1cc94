"""An item's history over HTTP: versions, a diff, restoring a version, deleting for good.

Reading needs a key of the item's institution (any role that may see the item) or an admin's;
restoring needs a curator of the item's institution (or an admin) and `If-Match`; deleting for
good needs an admin, `If-Match` and a reason. What each does and keeps: `api.operations.history`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import item_locks, write_context
from api.http.auth import AdminDep, ArchivistDep, CuratorDep
from api.http.deps import ServicesDep
from api.operations import history
from api.operations.items import record_etag
from api.present import with_file_urls
from search.screening import screen_for

router = APIRouter(tags=["history"])

IfMatch = Annotated[str | None, Header(description="The ETag from GET /api/items/{id}")]


@router.get(
    "/api/items/{item_id}/versions",
    summary="An item's versions, oldest first: when, who, what changed (its institution, admins)",
    responses={404: {}, 410: {"description": "Deleted for good"}},
)
def list_versions(item_id: str, services: ServicesDep, caller: ArchivistDep) -> dict[str, Any]:
    listed = history.versions(services, item_id, caller)
    return {"id": item_id, "total": len(listed), "versions": [v.to_dict() for v in listed]}


@router.get(
    "/api/items/{item_id}/versions/{n}",
    summary="An item's record as it was at version n (its institution, admins)",
    responses={404: {}, 410: {"description": "Deleted for good"}},
)
def get_version(item_id: str, n: int, services: ServicesDep, caller: ArchivistDep) -> Any:
    return history.version(services, item_id, n, caller)


@router.get(
    "/api/items/{item_id}/diff",
    summary="What changed between two versions: top-level fields added, removed, changed",
    responses={404: {}, 410: {"description": "Deleted for good"}},
)
def diff_versions(
    item_id: str,
    services: ServicesDep,
    caller: ArchivistDep,
    from_: Annotated[int, Query(alias="from", ge=1, description="The earlier version")],
    to: Annotated[int, Query(ge=1, description="The later version")],
) -> dict[str, Any]:
    return history.diff(services, item_id, from_, to, caller)


@router.post(
    "/api/items/{item_id}/versions/{n}/restore",
    summary="Restore version n's description as a new version (curators; If-Match required)",
    responses={403: {}, 404: {}, 410: {}, 412: {}, 428: {}},
)
async def restore_version(
    item_id: str,
    n: int,
    request: Request,
    response: Response,
    caller: CuratorDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    services = request.app.state.services
    record = await run_in_threadpool(
        history.restore,
        services,
        item_locks(request),
        item_id,
        n,
        write_context(request, caller),
        if_match,
        screen_for(services.settings.sensitive_terms_file),
    )
    response.headers["ETag"] = record_etag(record)
    return with_file_urls(record)


@router.delete(
    "/api/items/{item_id}",
    summary="Delete an item for good: record, versions and unshared files (admins; If-Match)",
    responses={403: {}, 404: {}, 410: {}, 412: {}, 422: {}, 428: {}},
)
async def delete_item(
    item_id: str,
    request: Request,
    caller: AdminDep,
    reason: Annotated[str, Query(min_length=1, description="Why, e.g. the bearer's request")],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    tombstone: dict[str, Any] = await run_in_threadpool(
        history.delete_for_good,
        request.app.state.services,
        item_locks(request),
        item_id,
        write_context(request, caller),
        if_match,
        reason,
    )
    return tombstone
