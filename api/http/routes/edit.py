"""`PATCH /api/items/{id}`: edit an item's metadata with a JSON Merge Patch (RFC 7396).

Curators of the item's institution (and admins). `If-Match` must carry the ETag of
`GET /api/items/{id}`: without it 428, for an older version 412, so no edit silently overwrites
another. The patched record must satisfy `schemas/record.schema.json` (422 names the JSON path).
What the repository itself keeps — id, collection, files, events, created, modified, the schema
version — and what has its own route (status: the review workflow; institution: ownership) cannot
be patched (422 naming the field). The change is re-indexed at once, recorded as a
`metadata-modification` event, screened for sensitive terms and audited.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import item_locks, write_context
from api.http.auth import CuratorDep
from api.operations.items import apply_patch, change_item, check_patch, record_etag
from api.present import with_file_urls
from schemas.errors import InvalidInput, TooLarge, UnsupportedType
from schemas.text import MAX_DEPTH
from search.screening import screen_for

router = APIRouter(tags=["items"])

MERGE_PATCH = "application/merge-patch+json"
MAX_PATCH_BYTES = 4_000_000


def parse_patch(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The patch document, or an error saying what is wrong with it (415, 413 or 422)."""
    if (content_type or "").split(";")[0].strip().lower() != MERGE_PATCH:
        raise UnsupportedType(
            f"send the patch as Content-Type: {MERGE_PATCH} (got {content_type or 'none'})"
        )
    if len(body) > MAX_PATCH_BYTES:
        raise TooLarge(f"the patch is larger than {MAX_PATCH_BYTES} bytes")
    try:
        patch = json.loads(body)
    except RecursionError:
        message = f"the patch nests objects or arrays deeper than {MAX_DEPTH}"
        raise InvalidInput(message) from None
    except ValueError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    return check_patch(patch)


@router.patch(
    "/api/items/{item_id}",
    summary="Edit an item's metadata (JSON Merge Patch; If-Match required)",
    responses={
        403: {},
        404: {},
        412: {"description": "The item changed since the ETag sent"},
        415: {},
        422: {"description": "Field not patchable, or the result breaks the schema"},
        428: {"description": "If-Match missing"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MERGE_PATCH: {"schema": {"type": "object"}}},
        }
    },
)
async def patch_item(
    item_id: str,
    request: Request,
    response: Response,
    caller: CuratorDep,
    if_match: Annotated[str | None, Header(description="The ETag from GET /api/items/{id}")] = None,
) -> dict[str, Any]:
    patch = parse_patch(await request.body(), request.headers.get("content-type"))
    screen = screen_for(request.app.state.services.settings.sensitive_terms_file)
    record = await run_in_threadpool(
        change_item,
        request.app.state.services,
        item_locks(request),
        item_id,
        write_context(request, caller),
        if_match,
        lambda changed: apply_patch(changed, patch, caller, screen),
        require_match=True,
    )
    response.headers["ETag"] = record_etag(record)
    return with_file_urls(record)
