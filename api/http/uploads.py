"""Receive a `POST /api/ingest` body: multipart/form-data streamed straight to disk.

Starlette's own form parser spools files to the system temp dir and checks sizes only after, so
this one drives python-multipart's streaming parser itself: no more than about a mebibyte is held
in memory, the total is counted as it arrives, and the upload stops with 413 the moment it passes
the limit (at once, when `Content-Length` already says so).

File names come from the client, so each is checked before a byte of it is written: a relative
path of plain names (`歌曲/01.jpg` keeps its folder, Chinese names stay as they are), never `..`,
an absolute path, a drive letter, NUL or another control character.

A text field `uploads` (repeatable) names a finished resumable upload of the caller
(`api.http.routes.resumable`): its file joins the job as if it had been in the form, linked in
from the scratch folder. A form whose files all went that way may be sent urlencoded.

One job's folder:
  files/<name>           plain files at the names sent: ingested as one folder, so a manifest
                         names them as sent
  archives/<n>/<name>    ZIP/TAR uploads: each ingested as a root of its own, as
                         `heritage ingest bundle.zip` does (members named as inside it)
  manifest/<name>        the manifest
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from api.http.sessions import CSRF_FIELD, CSRF_HEADER, Session
from api.operations.jobs import Upload
from api.operations.resumable import finished, take
from ingest.discover import normalise_relpath
from ingest.unpack import archive_kind
from schemas.errors import InvalidInput

FILE_FIELDS = ("files", "manifest")
TEXT_FIELDS = ("collection", "status", "access", "dry_run", "csrf_token", "uploads")  # token: form
REPEATABLE = ("uploads",)  # the id of a finished resumable upload, once per file
TEXT_FIELD_MAX = 1024  # bytes: a slug or a status word
FIELDS_MAX = 64 * 1024  # bytes: a form of text fields only (collection, uploads …)
URLENCODED = "application/x-www-form-urlencoded"
FEED_BYTES = 1024 * 1024  # parse (and write) in steps of about this size, each in a worker thread
MAX_NAME_PART_BYTES = 255  # what common file systems allow for one name
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

FieldCheck = Callable[[str, str | None], None]
"""Called with each text field as soon as it has arrived, and with None as any other part begins
(before a byte of it is written); raises HTTPException to refuse."""


@dataclass(frozen=True)
class FormShape:
    """Which fields a form may hold and how much: the ingest form's by default; the public
    contribution form names its own text fields and caps each file and the count of files."""

    text_fields: tuple[str, ...] = TEXT_FIELDS
    text_max: int = TEXT_FIELD_MAX
    file_max: int | None = None  # bytes of one file
    files_max: int | None = None


INGEST_FORM = FormShape()


class FileTooLarge(HTTPException):
    """One file of the form passed `FormShape.file_max`; `name` as the client sent it."""

    def __init__(self, name: str, limit: int):
        super().__init__(413, f"file {name!r} is larger than {limit} bytes{_binary_units(limit)}")
        self.name, self.limit = name, limit


class TooManyFiles(HTTPException):
    def __init__(self, limit: int):
        super().__init__(422, f"send at most {limit} files")
        self.limit = limit


def csrf_first(session: Session, checked: bool = False) -> FieldCheck:
    """A `FieldCheck` that wants the session's CSRF token as the first field (unless a header
    already carried it: `checked`): no other field is read, no file written, before it."""

    def check(name: str, value: str | None) -> None:
        nonlocal checked
        if name == CSRF_FIELD and not checked:
            if not hmac.compare_digest((value or "").encode(), session.csrf.encode()):
                raise HTTPException(
                    403,
                    f"the CSRF token ('{CSRF_FIELD}') does not match this session: reload "
                    "the page and try again",
                )
            checked = True
        elif not checked:
            raise HTTPException(
                403,
                f"the CSRF token is missing: send the form field '{CSRF_FIELD}' first, "
                f"or the header '{CSRF_HEADER}' (reload the page and try again)",
            )

    return check


def safe_relpath(name: str) -> str:
    """The client's file name as a relative POSIX path (NFC); ValueError saying why it is not
    acceptable. Backslashes count as separators (Windows clients)."""
    if _CONTROL.search(name):
        raise InvalidInput("control characters (such as NUL) are not allowed in file names")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise InvalidInput("absolute paths are not allowed; send names relative to the upload")
    relpath = normalise_relpath(name)
    parts = relpath.split("/")
    if ".." in parts:
        raise InvalidInput("'..' is not allowed in file names")
    if not relpath:
        raise InvalidInput("the file name is empty")
    if any(len(part.encode()) > MAX_NAME_PART_BYTES for part in parts):
        raise InvalidInput(f"a part of the name is longer than {MAX_NAME_PART_BYTES} bytes")
    return relpath


def too_large(limit: int) -> HTTPException:
    return HTTPException(
        413,
        f"the upload is larger than the limit of {limit} bytes{_binary_units(limit)} "
        "(HERITAGE_UPLOAD_MAX_BYTES); send the files in several submissions",
    )


def _binary_units(size: int) -> str:
    """' (20.0 GiB)' for large sizes, '' when plain bytes say it well enough."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if size >= scale:
            return f" ({size / scale:.1f} {unit})"
    return ""


async def receive_upload(
    request: Request,
    root: Path,
    limit: int,
    on_field: FieldCheck,
    scratch: Path | None = None,
    shape: FormShape = INGEST_FORM,
) -> Upload:
    """Stream the request's form (at most `limit` bytes) into `root`, made here. On any error
    the caller removes `root`. A field `uploads` names a finished resumable upload in the
    caller's `scratch` folder: it joins the job as if its file had been in the form."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    if request.headers.get("content-type", "").startswith(URLENCODED):
        return await _receive_fields(request, Upload(root), on_field, scratch, shape)
    receiver = _Receiver(Upload(root), _boundary(request), on_field, scratch, shape)
    root.mkdir(parents=True)
    received = 0
    pending: list[bytes] = []
    pending_bytes = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= FEED_BYTES:
                await run_in_threadpool(receiver.feed, b"".join(pending))
                pending, pending_bytes = [], 0
        await run_in_threadpool(receiver.feed, b"".join(pending))
    finally:
        receiver.close()
    if not receiver.ended:
        raise HTTPException(400, "the upload ended before the form's closing boundary")
    return receiver.upload


async def _receive_fields(
    request: Request,
    upload: Upload,
    on_field: FieldCheck,
    scratch: Path | None,
    shape: FormShape = INGEST_FORM,
) -> Upload:
    """A form of text fields only (`uploads` naming every file): what an API client sends
    when all its files went ahead as resumable uploads."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FIELDS_MAX:
            raise HTTPException(413, f"a form without files is at most {FIELDS_MAX} bytes")
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise HTTPException(422, "the form is not UTF-8 text") from None
    receiver = _Receiver(upload, b"-", on_field, scratch, shape)
    upload.root.mkdir(parents=True)
    for name, value in fields:
        if name not in shape.text_fields:
            on_field(name, None)  # as a multipart part would be: the CSRF check comes first
            raise HTTPException(
                422,
                f"form field {name!r}: send files as multipart/form-data, or name finished "
                f"resumable uploads in 'uploads'; expected {', '.join(shape.text_fields)}",
            )
        await run_in_threadpool(receiver.text_field, name, value.strip())
    return upload


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(
            415,
            "send the upload as multipart/form-data (fields collection, files, manifest), or "
            f"as {URLENCODED} when 'uploads' names every file",
        )
    return boundary


def _decode_name(raw: bytes) -> str:
    """Browsers send UTF-8; some older Chinese clients GBK. Anything else is refused."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HTTPException(422, f"a file name is neither UTF-8 nor GBK: {raw!r}")


def _is_archive(path: Path) -> bool:
    try:
        return archive_kind(path) is not None
    except OSError:
        return False  # unreadable as an archive: ingested as a file, the report says what it is


class _Receiver:
    """python-multipart's streaming parser, with callbacks that put each part where it goes.

    Runs in worker threads, one `feed` at a time."""

    def __init__(
        self,
        upload: Upload,
        boundary: bytes,
        on_field: FieldCheck,
        scratch: Path | None = None,
        shape: FormShape = INGEST_FORM,
    ):
        self.upload = upload
        self.shape = shape
        self._written = 0
        self.on_field = on_field
        self.scratch = scratch
        self.ended = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._field = ""
        self._text = bytearray()
        self._name = ""
        self._target: Path | None = None
        self._out: BinaryIO | None = None
        self._seen: set[str] = set()
        self._skip = False

    def feed(self, data: bytes) -> None:
        try:
            self.parser.write(data)
        except MultipartParseError as exc:
            raise HTTPException(400, f"the multipart body is malformed: {exc}") from exc

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _part_begin(self) -> None:
        self._disposition = b""
        self._field = self._name = ""
        self._text.clear()
        self._target = None
        self._skip = False
        self._written = 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._field = options.get(b"name", b"").decode("utf-8", "replace")
        if self._field in self.shape.text_fields:
            return
        self.on_field(self._field, None)
        if self._field not in FILE_FIELDS:
            raise HTTPException(
                422,
                f"unknown form field {self._field!r}; "
                f"expected {', '.join(self.shape.text_fields + FILE_FIELDS)}",
            )
        if b"filename" not in options:
            raise HTTPException(422, f"form field {self._field!r} must be sent as a file")
        sent = _decode_name(options[b"filename"])
        if not sent:  # a form's file input left empty: browsers send it with no name
            self._skip = True
            return
        if self.shape.files_max is not None and len(self.upload.names) >= self.shape.files_max:
            raise TooManyFiles(self.shape.files_max)
        try:
            self._name = safe_relpath(sent)
        except ValueError as exc:
            raise HTTPException(422, f"file name {sent!r}: {exc}") from None
        self._target = self._place(self._field, self._name)
        try:
            self._out = self._target.open("xb")
        except OSError as exc:
            raise _clash(self._name, exc) from None

    def _place(self, field: str, name: str) -> Path:
        """Where a file of `field` named `name` (checked) goes; its folder made."""
        if field == "manifest":
            if self.upload.manifest is not None:
                raise HTTPException(422, "send one manifest only")
            target = self.upload.root / "manifest" / name.rsplit("/", 1)[-1]
        else:
            if name in self._seen:
                raise HTTPException(422, f"file name {name!r} is sent twice")
            self._seen.add(name)
            target = self.upload.files_dir / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _clash(name, exc) from None
        return target

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._skip:
            if end > start:
                raise HTTPException(422, f"form field {self._field!r}: a file without a name")
            return
        if self._out is not None:
            self._written += end - start
            if self.shape.file_max is not None and self._written > self.shape.file_max:
                raise FileTooLarge(self._name, self.shape.file_max)
            self._out.write(data[start:end])
            return
        self._text += data[start:end]
        if len(self._text) > self.shape.text_max:
            raise HTTPException(
                422, f"form field {self._field!r} is longer than {self.shape.text_max} bytes"
            )

    def _part_end(self) -> None:
        if self._skip:
            return
        if self._target is None:
            self._text_field()
            return
        self.close()
        if self._field == "manifest":
            self.upload.manifest = self._target
            return
        self._arrived(self._target, self._name)

    def _arrived(self, target: Path, name: str) -> None:
        """A file of field `files` is complete at `target`: an archive goes on its own shelf."""
        self.upload.names.append(name)
        if _is_archive(target):
            shelf = self.upload.root / "archives" / str(len(self.upload.archives))
            shelf.mkdir(parents=True)
            self.upload.archives.append(target.rename(shelf / target.name))
        else:
            self.upload.plain_files += 1

    def _take(self, upload_id: str) -> None:
        """Field `uploads`: the caller's finished resumable upload joins the job's files."""
        try:
            if self.scratch is None:
                raise InvalidInput("resumable uploads are not taken here")
            done = finished(self.scratch, upload_id)
            name = safe_relpath(done.name)
        except ValueError as exc:
            raise HTTPException(422, f"form field 'uploads': {exc}") from None
        target = self._place("files", name)
        try:
            take(done, target)
        except OSError as exc:
            raise _clash(name, exc) from None
        self.upload.resumed.append(upload_id)
        self._arrived(target, name)

    def _text_field(self) -> None:
        try:
            value = self._text.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise HTTPException(422, f"form field {self._field!r} is not UTF-8 text") from None
        self.text_field(self._field, value)

    def text_field(self, name: str, value: str) -> None:
        if name in self.upload.fields and name not in REPEATABLE:
            raise HTTPException(422, f"form field {name!r} is sent twice")
        self.upload.fields[name] = value
        self.on_field(name, value)
        if name == "uploads":
            self._take(value)

    def _end(self) -> None:
        self.ended = True


def _clash(name: str, exc: OSError) -> HTTPException:
    return HTTPException(
        422, f"file name {name!r} clashes with another file of this upload ({exc})"
    )
