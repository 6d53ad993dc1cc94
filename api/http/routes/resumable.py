"""Resumable uploads (tus 1.0) under `/api/uploads/`: a file of many gigabytes sent over a
network that drops resumes where it stopped instead of starting again.

The protocol is tuspyserver's router (core protocol, creation, termination, expiration); this
module guards it and leaves the files where `api.operations.resumable` says. Who may: an API key
with the archivist role or above, or a signed-in workspace user (with `X-CSRF-Token` on POST,
PATCH and DELETE, as every unsafe request). An upload belongs to its creator: each caller's
uploads live in a folder of their own, so another caller's upload id is 404.

Guards around the library (each one a gap found reading its source, 4.4.3):
- creation: `Upload-Length` is required and at most `HERITAGE_UPLOAD_MAX_BYTES` (413), the
  metadata must name the file (`filename`, checked like a multipart file name) and its `filetype`
  (HEAD needs both); no deferred length, no body on POST (the library would read it into memory
  unchecked), no concatenation (it would copy gigabytes on the event loop). `OPTIONS` says so.
- PATCH: its `Tus-Resumable` and `Content-Type` are checked before a byte is written (the library
  checks them after). A second PATCH of an upload already being written releases the first (see
  `_Writer`) and waits for it to end, at most RELEASE_SECONDS, then 423 (tus clients retry it),
  never the library's file lock, which would sleep on the event loop; one process per data dir,
  as for the rest of the API.
- A finished upload is marked for `POST /api/ingest` and `POST /workspace/upload` (field
  `uploads`), which take it into an ingest job.
Writes are audited: creation and termination here, the batch where it is submitted; the PATCHes
that carry the bytes are not each an audit line.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive
from tuspyserver import create_tus_router

from api.http.auth import require_api_key
from api.http.errors import not_found
from api.http.uploads import safe_relpath, too_large
from api.operations.callers import Caller
from api.operations.resumable import (
    KEEP_DAYS,
    discard,
    is_upload_id,
    mark_finished,
    owner_folder,
    sweep,
)
from api.settings import Settings

PREFIX = "/api/uploads"
TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,expiration,termination"
PATCH_TYPE = "application/offset+octet-stream"
RELEASE_SECONDS = 5.0  # how long a resuming PATCH waits for the one it released to end


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.services.settings
    return settings


async def upload_folder(
    request: Request, caller: Annotated[Caller, Depends(require_api_key)]
) -> AsyncIterator[Path]:
    """The caller's scratch folder, after the checks the library makes too late or not at all;
    for a PATCH, held as "being written" until it ends."""
    folder = owner_folder(_settings(request).resumable_dir, caller)
    upload_id = request.path_params.get("uuid")
    if upload_id is not None and not is_upload_id(upload_id):
        raise not_found(f"no upload with id {upload_id!r}")
    if request.method == "POST":
        _check_creation(request)
    if request.method == "DELETE" and upload_id is not None:
        yield folder
        if not (folder / upload_id).exists():  # terminated: the library leaves our mark
            await run_in_threadpool(discard, folder, upload_id)
        return
    if request.method != "PATCH":
        yield folder
        return
    request.state.writer = None  # one chunk of an upload; the batch that ingests it is audited
    _check_patch(request)
    writers: dict[str, _Writer] = request.app.state.__dict__.setdefault("tus_writers", {})
    key = f"{folder.name}/{upload_id}"
    if (older := writers.get(key)) is not None:
        older.release.set()  # its client has come back on a new connection: the old one is dead
        try:
            await asyncio.wait_for(older.ended.wait(), RELEASE_SECONDS)
        except TimeoutError:
            raise HTTPException(
                423, f"upload {upload_id!r} is being written by another request; try again shortly"
            ) from None
    writer = writers[key] = _Writer()
    request._receive = writer.releasable(request.receive)  # what the library's PATCH reads
    try:
        yield folder
    finally:
        if writers.get(key) is writer:
            del writers[key]
        writer.ended.set()


class _Writer:
    """The PATCH writing an upload now. A connection that died without a word (a county network
    dropping, a laptop changing Wi-Fi) leaves its request waiting for bytes that never come, for
    hours; when its client resumes, the new PATCH releases the old one, which then ends as a
    dropped connection does: the bytes it got are kept and its offset saved (as tusd does)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.ended = asyncio.Event()

    def releasable(self, receive: Receive) -> Receive:
        async def receive_or_release() -> Message:
            if self.release.is_set():
                return {"type": "http.disconnect"}
            message = asyncio.ensure_future(receive())
            released = asyncio.ensure_future(self.release.wait())
            await asyncio.wait({message, released}, return_when=asyncio.FIRST_COMPLETED)
            if message.done():
                released.cancel()
                return message.result()
            message.cancel()
            return {"type": "http.disconnect"}

        return receive_or_release


def _check_creation(request: Request) -> None:
    if request.headers.get("upload-concat") is not None:
        raise HTTPException(400, "Upload-Concat: concatenation is not supported here")
    if request.headers.get("upload-defer-length") is not None:
        raise HTTPException(
            400, "Upload-Defer-Length is not supported here: send Upload-Length (the file's size)"
        )
    if request.headers.get("content-length", "0") not in ("", "0"):
        raise HTTPException(
            400, "send no bytes with the creation request: create the upload, then PATCH its bytes"
        )


def _check_patch(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise HTTPException(
            412, f"header 'Tus-Resumable' must be {TUS_VERSION}", {"Tus-Version": TUS_VERSION}
        )
    if request.headers.get("content-type") != PATCH_TYPE:
        raise HTTPException(415, f"a PATCH's header 'Content-Type' must be {PATCH_TYPE}")


FolderDep = Annotated[Path, Depends(upload_folder)]


def file_dep(folder: FolderDep) -> Callable[[dict[str, Any]], dict[str, str]]:
    """tuspyserver's per-request folder: the caller's own."""
    return lambda _metadata: {"files_dir": str(folder)}


async def guard(folder: FolderDep) -> None:
    """tuspyserver's `auth`: the same checks (FastAPI runs them once per request)."""


def creation_check(
    request: Request,
) -> Callable[[dict[str, Any], dict[str, Any]], Coroutine[Any, Any, None]]:
    """What a new upload must declare; also the moment expired uploads are swept."""
    settings = _settings(request)

    async def check(metadata: dict[str, Any], info: dict[str, Any]) -> None:
        size = info.get("size")
        if size is None or size < 0:
            raise HTTPException(400, "send the header 'Upload-Length' (the file's size in bytes)")
        if size > settings.upload_max_bytes:
            raise too_large(settings.upload_max_bytes)
        name = metadata.get("filename")
        if not name:
            raise HTTPException(
                422, "Upload-Metadata must carry 'filename' (the file's name, base64-encoded)"
            )
        try:
            safe_relpath(str(name))
        except ValueError as exc:
            raise HTTPException(422, f"Upload-Metadata 'filename' {name!r}: {exc}") from None
        if not metadata.get("filetype"):
            raise HTTPException(
                422,
                "Upload-Metadata must carry 'filetype' (a media type; "
                "application/octet-stream when unknown)",
            )
        await run_in_threadpool(sweep, settings.resumable_dir)

    return check


def finished(data_path: str, metadata: dict[str, Any]) -> None:
    """The last byte arrived: mark the upload as one a batch may take."""
    mark_finished(Path(data_path), safe_relpath(str(metadata["filename"])))


def tus_router(settings: Settings) -> APIRouter:
    """The `/api/uploads/` routes for this app (the size limit is the app's setting)."""

    @asynccontextmanager
    async def sweep_on_start(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(sweep, settings.resumable_dir)
        yield

    router = APIRouter(tags=["uploads"], lifespan=sweep_on_start)
    capabilities = {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(settings.upload_max_bytes),
    }

    def options() -> Response:
        return Response(status_code=204, headers=capabilities)

    for path in (PREFIX, f"{PREFIX}/"):  # before the library's, so ours answers
        router.add_api_route(
            path,
            options,
            methods=["OPTIONS"],
            status_code=204,
            summary="tus: the protocol version, extensions and largest size this server takes",
        )
    router.include_router(
        create_tus_router(
            prefix=PREFIX,
            files_dir=str(settings.resumable_dir),
            max_size=settings.upload_max_bytes,
            auth=cast(Any, guard),  # its hints say no parameters: FastAPI resolves ours
            days_to_keep=KEEP_DAYS,
            on_upload_complete=finished,
            pre_create_dep=cast(Any, creation_check),  # async: the library awaits it
            file_dep=cast(Any, file_dep),  # returns the folder, as the library reads it
            tags=["uploads"],
        )
    )
    return router
