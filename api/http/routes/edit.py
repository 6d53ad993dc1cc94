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

from fastapi import APIRouter, Header, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from api.http.auth import Caller, CuratorDep
from api.operations.items import add_event, change_item, record_etag
from api.present import with_file_urls
from search.screening import default_screen, screen_record

router = APIRouter(tags=["items"])

MERGE_PATCH = "application/merge-patch+json"
MAX_PATCH_BYTES = 4_000_000
PROTECTED = {
    "id": "an item's id never changes",
    "collection": "an item stays in its collection",
    "files": "files change only by ingest",
    "events": "events are appended by the repository, never edited",
    "created": "set by the repository",
    "modified": "set by the repository",
    "schema_version": "set by the repository",
    "status": "change it with POST /api/items/{id}/review",
    "institution": "ownership is not editable",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def parse_patch(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The patch document, or 415/422 saying what is wrong with it."""
    if (content_type or "").split(";")[0].strip().lower() != MERGE_PATCH:
        raise HTTPException(
            415, f"send the patch as Content-Type: {MERGE_PATCH} (got {content_type or 'none'})"
        )
    if len(body) > MAX_PATCH_BYTES:
        raise HTTPException(413, f"the patch is larger than {MAX_PATCH_BYTES} bytes")
    try:
        patch = json.loads(body)
    except ValueError as exc:
        raise HTTPException(422, f"the body is not valid JSON: {exc}") from None
    if not isinstance(patch, dict):
        raise HTTPException(422, "a merge patch of an item must be a JSON object ($)")
    for name in patch:
        if name in PROTECTED:
            raise HTTPException(
                422, f"field '{name}' ($.{name}) cannot be patched: {PROTECTED[name]}"
            )
    return patch


def apply_patch(record: dict[str, Any], patch: dict[str, Any], caller: Caller) -> str | None:
    """Patch in place, append the events (edit, then any screening flag); None if no change."""
    before = dict(record)
    patched = merge_patch(record, patch)
    changed = sorted(name for name in patch if patched.get(name) != before.get(name))
    if not changed:
        return None
    record.clear()
    record.update(patched)
    summary = f"changed {', '.join(changed)}"
    add_event(record, "metadata-modification", caller, f"{summary} (JSON Merge Patch)")
    finding = screen_record(record, default_screen(), previous=before)
    if finding.event is not None:
        record["events"].append(finding.event)
        summary += "; flagged for review" + (" and held back" if finding.held_back else "")
    return summary


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
    record = await run_in_threadpool(
        change_item,
        request,
        item_id,
        caller,
        if_match,
        lambda changed: apply_patch(changed, patch, caller),
        require_match=True,
    )
    response.headers["ETag"] = record_etag(record)
    return with_file_urls(record)
