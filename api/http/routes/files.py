"""`GET /api/items/{id}/files/{role}`: stream a stored file, with Range, ETag and 304.

The object key always comes from the record, never from the URL, and the record must be
visible to the caller: a hidden item's files answer the same 404 as an unknown id.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.http.deps import AudienceDep, ServicesDep, VisibleRecord
from api.http.errors import error_response, not_found
from api.http.headers import RangeNotSatisfiable, content_disposition, etag_matches, parse_range
from api.operations.access import sees_location
from api.present import nth_file
from api.protocols.location import (
    REDACTED_TYPES,
    Patch,
    PatchCache,
    block_reader,
    gps_patches,
    redacted,
)
from api.services import Services
from repository import ObjectNotFound
from repository.fixity import ContentDamaged, damaged_keys, read_verified, verified_chunks
from search.base import Audience

PUBLIC = Audience.public()

router = APIRouter(tags=["files"])
log = logging.getLogger("heritage.api")

TEXT_CHARSETS = ("utf-8", "gb18030")
TEXT_HEAD = 64 * 1024  # bytes read to tell them apart
VERIFY_ON_READ_BYTES = 8 * 2**20
"""Files up to this size are hashed in full before any byte is sent (derivatives, most
originals): about 20 ms of sha256 at the most, against sending damage under a good ETag."""

# Uploaded originals may be HTML or SVG: never let a browser run them on our origin.
_SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@dataclass(frozen=True)
class FileRequest:
    """Which file a download asks for and the conditional/range headers it sent."""

    role: str
    n: int
    range_header: str | None
    if_none_match: str | None
    if_range: str | None


def file_request(
    role: Annotated[str, Path(description="original, access, thumbnail, poster, …")],
    n: Annotated[int, Query(ge=1, description="Which file of this role, from 1")] = 1,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> FileRequest:
    return FileRequest(role, n, range_header, if_none_match, if_range)


FileRequestDep = Annotated[FileRequest, Depends(file_request)]


@router.get(
    "/api/items/{item_id}/files/{role}",
    summary="Download a file of an item (supports HTTP Range; HEAD too)",
    responses={206: {"description": "Partial content"}, 304: {}, 404: {}, 416: {}},
)
@router.head("/api/items/{item_id}/files/{role}", include_in_schema=False)
def get_file(
    request: Request,
    record: VisibleRecord,
    services: ServicesDep,
    wanted: FileRequestDep,
    audience: AudienceDep,
) -> Response:
    return stream_file(request, record, services, wanted, audience)


def stream_file(
    request: Request,
    record: Mapping[str, Any],
    services: Services,
    wanted: FileRequest,
    audience: Audience = PUBLIC,
) -> Response:
    """The one answer to a file download: 304, 416, HEAD, whole or ranged body.

    Shared by the item route and the share-link route, which differ only in who may see the record
    (a share link's holder is the public). An original's embedded GPS is blanked for an audience
    that may not see the item's location (`_gps_patches`).
    """
    role, n = wanted.role, wanted.n
    file = nth_file(record, role, n)
    if file is None:
        raise not_found(f"item {record['id']!r} has no {role!r} file number {n}")
    size = file["bytes"]
    patches = [] if sees_location(record, audience) else _gps_patches(services, file)
    etag = f'"{file["sha256"]}{"-nogps" if patches else ""}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": "no-cache"}
    headers.update(_SAFETY_HEADERS)
    if file["role"] == "original":
        headers["Content-Disposition"] = content_disposition(file.get("name"))
    if etag_matches(wanted.if_none_match, etag):
        return Response(status_code=304, headers=headers)

    range_header = wanted.range_header
    if wanted.if_range is not None and wanted.if_range.strip() != etag:
        range_header = None  # the client's copy is stale: send the whole file
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable as exc:
        return error_response(
            request, 416, str(exc), headers={**headers, "Content-Range": f"bytes */{size}"}
        )
    start, end = byte_range if byte_range else (0, size - 1)
    status = 206 if byte_range else 200
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if file["key"] in damaged_keys(record):
        return _damaged_response(request, record, file)
    try:
        store, media_type = services.store, content_type(file, services)
        if size <= VERIFY_ON_READ_BYTES:  # HEAD too: it must say what GET would
            body = read_verified(store, file)[start : end + 1]
            if request.method == "HEAD":
                return Response(status_code=status, headers=headers, media_type=media_type)
            if patches:  # checked as stored, then the location blanked
                body = b"".join(redacted(iter([body]), start, patches))
            return Response(body, status_code=status, headers=headers, media_type=media_type)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers, media_type=media_type)
        if byte_range:  # a part cannot be checked on its own; `heritage verify` covers it
            chunks = store.open_range(file["key"], start, end)
        else:
            chunks = _logged(verified_chunks(store, file), record["id"], role)
    except (ContentDamaged, ObjectNotFound) as exc:
        log.error("refused to serve %s/%s: %s; run `heritage verify`", record["id"], role, exc)
        return _damaged_response(request, record, file)
    if patches:
        chunks = redacted(chunks, start, patches)
    return StreamingResponse(chunks, status_code=status, headers=headers, media_type=media_type)


def _damaged_response(
    request: Request, record: Mapping[str, Any], file: dict[str, Any]
) -> Response:
    message = f"the {file['role']} file of item {record['id']} is damaged and being repaired"
    return error_response(request, 503, message, headers=_SAFETY_HEADERS)


def _logged(chunks: Iterator[bytes], item_id: str, role: str) -> Iterator[bytes]:
    """Say in the server log why a download was cut short."""
    try:
        yield from chunks
    except ContentDamaged as exc:
        log.error("cut short the download of %s/%s: %s; run `heritage verify`", item_id, role, exc)
        raise


_PATCHES = PatchCache()


def _gps_patches(services: Services, file: dict[str, Any]) -> list[Patch]:
    """Where an original photo holds its GPS, as patches that blank it (cached per blob)."""
    if file["role"] != "original" or file["media_type"] not in REDACTED_TYPES:
        return []

    def find() -> list[Patch]:
        def open_range(start: int, end: int) -> Iterator[bytes]:
            return services.store.open_range(file["key"], start, end)

        return gps_patches(
            block_reader(open_range, file["bytes"]), file["bytes"], file["media_type"]
        )

    try:
        return _PATCHES.get(file["sha256"], find)
    except ObjectNotFound:  # answered below, as for any missing file
        return []


def content_type(file: dict[str, Any], services: Services) -> str:
    """The file's media type; for text, with the charset its bytes are in.

    A text/* type without one would be sent as UTF-8 (Starlette adds it), so a GBK transcript
    showed as mojibake. The record keeps no charset per file, so it is found the way ingest found
    it, from the bytes; text in neither charset is sent as bytes to download."""
    media_type: str = file["media_type"]
    if not media_type.startswith("text/"):
        return media_type
    size = min(file["bytes"], TEXT_HEAD)
    head = b"".join(services.store.open_range(file["key"], 0, size - 1)) if size else b""
    for charset in TEXT_CHARSETS:
        try:
            codecs.getincrementaldecoder(charset)().decode(head, final=size == file["bytes"])
        except UnicodeDecodeError:
            continue
        return f"{media_type}; charset={charset}"
    return "application/octet-stream"
