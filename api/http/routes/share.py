"""Share links over HTTP.

`POST /api/items/{id}/share` (API key) makes a link; `GET /share/{token}` answers that item's
record and `GET /share/{token}/files/{role}` streams its files (with Range, like the normal file
route, whose code it reuses) — even for a restricted item, until the link expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.http.deps import CuratedRecord, ServicesDep
from api.http.routes.files import FileRequestDep, stream_file
from api.operations.access import view_for
from api.present import with_file_urls
from api.protocols.share_links import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    MIN_LIFETIME,
    ShareError,
    ShareLinks,
)
from api.services import Services
from schemas.record import Record
from search.base import Audience

router = APIRouter(tags=["sharing"])

# The token is a credential: keep it out of Referer headers and shared caches.
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}


class ShareRequest(BaseModel):
    expires_in: int = Field(
        int(DEFAULT_LIFETIME.total_seconds()),
        ge=int(MIN_LIFETIME.total_seconds()),
        le=int(MAX_LIFETIME.total_seconds()),
        description="Seconds the link stays valid (at most 30 days).",
    )


def _links(services: Services) -> ShareLinks:
    try:
        return ShareLinks(services.settings.secret.get_secret_value())
    except ShareError as exc:
        raise HTTPException(exc.status, exc.message) from None


@router.post(
    "/api/items/{item_id}/share",
    summary="Make a time-limited link to one item (curators of its institution, admins)",
    responses={401: {}, 403: {}, 404: {}, 503: {"description": "HERITAGE_SECRET is not set"}},
)
def make_share_link(
    item_id: str,
    services: ServicesDep,
    _record: CuratedRecord,  # curators of its institution and admins (api.http.deps)
    body: ShareRequest | None = None,
) -> dict[str, Any]:
    links = _links(services)
    lifetime = timedelta(seconds=(body or ShareRequest()).expires_in)
    token, grant = links.issue(item_id, lifetime)
    base = services.settings.base_url.rstrip("/")
    return {"url": f"{base}/share/{token}", "expires": grant.expires_iso, "item": item_id}


def shared_record(token: str, services: ServicesDep) -> Record:
    """The record a valid token grants; 403 altered, 410 expired, 404 item gone."""
    try:
        grant = _links(services).check(token)
    except ShareError as exc:
        raise HTTPException(exc.status, exc.message, headers=PRIVATE) from None
    record = services.records.get(grant.item_id)
    if record is None:
        raise HTTPException(404, "the shared item no longer exists", headers=PRIVATE)
    return record


SharedRecord = Annotated[dict[str, Any], Depends(shared_record)]


@router.get("/share/{token}", summary="The record a share link grants, with its file links")
def get_shared_item(token: str, record: SharedRecord) -> Response:
    view = view_for(record, Audience.public())  # the link grants the item, not its location
    return JSONResponse(with_file_urls(view, base=f"/share/{token}"), headers=PRIVATE)


@router.get("/share/{token}/files/{role}", summary="A file of a shared item (HTTP Range)")
@router.head("/share/{token}/files/{role}", include_in_schema=False)
def get_shared_file(
    request: Request, record: SharedRecord, services: ServicesDep, wanted: FileRequestDep
) -> Response:
    response = stream_file(request, record, services, wanted)
    response.headers.update(PRIVATE)
    return response
