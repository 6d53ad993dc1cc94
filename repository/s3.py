"""`S3Store`: MinIO or any S3-compatible service, through the official `minio` client.

A seekable source is hashed first and not uploaded at all when its blob is already stored.
Otherwise blobs are streamed in parts of `PART_SIZE` (memory stays near (parallel parts + 2) ×
part size whatever the file size) to a temporary key while sha256 is computed; the upload is
then checked against the ETag we expect for those exact bytes, copied server-side to its content
address and the temporary key removed. A reader therefore never sees a blob under its final key
that does not match its name.

The client's defaults wait about half an hour on a hung server; we pass our own connection pool
with short timeouts and a few retries with backoff, and turn transport failures into a
`StorageError` that names the endpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import urllib3
from minio import Minio
from minio.commonconfig import ComposeSource, CopySource
from minio.error import S3Error
from minio.sse import SseS3

from repository.keys import blob_key, check_key
from repository.store import (
    Blob,
    ObjectInfo,
    ObjectNotFound,
    Readable,
    Snapshot,
    SourceChanged,
    StagedBlob,
    StorageError,
    WriteConflict,
    changed,
    hash_seekable,
)

if TYPE_CHECKING:
    from repository.config import StoreConfig

PART_SIZE = 16 * 1024 * 1024
PARALLEL_PARTS = 2
MAX_SINGLE_COPY = 5 * 1024**3  # S3's limit for CopyObject; larger objects are composed
CHUNK = 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}
_AUTH_ERRORS = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"}
_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}  # a conditional PUT refused


class _HashingReader(io.RawIOBase):
    """Wraps a stream: sha256 of everything read, and the S3 ETag those bytes will get."""

    def __init__(self, source: Readable, part_size: int):
        self._source = source
        self._part_size = part_size
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._part_md5s: list[bytes] = []
        self._md5 = hashlib.md5()
        self._in_part = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self._source.read(n)
        self.sha256.update(data)
        self.size += len(data)
        view = memoryview(data)
        while view:
            take = min(len(view), self._part_size - self._in_part)
            self._md5.update(view[:take])
            self._in_part += take
            view = view[take:]
            if self._in_part == self._part_size:
                self._part_md5s.append(self._md5.digest())
                self._md5, self._in_part = hashlib.md5(), 0
        return data

    def expected_etag(self) -> str:
        parts = self._part_md5s + ([self._md5.digest()] if self._in_part else [])
        if len(parts) <= 1:
            return parts[0].hex() if parts else hashlib.md5(b"").hexdigest()
        return f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}"


class S3Store:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        encryption: bool = False,
        object_lock: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        retries: int = 3,
    ):
        self.endpoint = endpoint
        self.bucket = bucket
        self._sse = SseS3() if encryption else None
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=urllib3.Retry(
                total=retries,
                backoff_factor=0.5,
                status_forcelist=(500, 502, 503, 504),
                allowed_methods=None,  # S3 PUTs of whole parts are safe to repeat
            ),
            maxsize=8,
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )
        self._ensure_bucket(object_lock)

    @classmethod
    def from_config(cls, config: StoreConfig) -> S3Store:
        return cls(
            config.s3_endpoint,
            config.s3_access_key,
            config.s3_secret_key,
            config.s3_bucket,
            secure=config.s3_secure,
            region=config.s3_region,
            encryption=config.s3_encryption,
            object_lock=config.s3_object_lock,
        )

    def describe(self) -> str:
        return f"S3 bucket {self.bucket!r} at {self.endpoint}"

    def _fail(self, exc: Exception, doing: str) -> StorageError:
        if isinstance(exc, S3Error):
            if exc.code in _AUTH_ERRORS:
                why = f"the credentials were refused ({exc.code})"
            else:
                why = f"{exc.code}: {exc.message}"
        elif isinstance(exc, urllib3.exceptions.HTTPError):
            why = f"the server could not be reached ({type(exc).__name__})"
        else:
            why = str(exc)
        return StorageError(f"{self.describe()}: {doing} failed: {why}")

    def _call(self, doing: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                raise ObjectNotFound(kwargs.get("object_name") or args[1]) from None
            raise self._fail(exc, doing) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._fail(exc, doing) from exc

    def _ensure_bucket(self, object_lock: bool) -> None:
        try:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket, object_lock=object_lock)
        except ValueError as exc:
            raise StorageError(f"invalid S3 bucket name {self.bucket!r}: {exc}") from exc
        except S3Error as exc:
            if exc.code == "InvalidBucketName":
                raise StorageError(f"invalid S3 bucket name {self.bucket!r}") from exc
            if exc.code not in ("BucketAlreadyOwnedByYou",):
                raise self._fail(exc, "opening the bucket") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._fail(exc, "opening the bucket") from exc

    def put_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> Blob:
        return self.stage_blob(source, known=known).commit()

    def stage_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> StagedBlob:
        if isinstance(source, Snapshot):  # uploaded like any stream (and checked as it goes)
            known = (source.sha256, source.size)
            source = io.BytesIO(source.data)
        expected = known
        known = known or hash_seekable(source, CHUNK)
        if known is not None and (stored := self._stored_blob(*known)) is not None:
            return StagedBlob(stored)  # nothing uploaded: a re-run costs one local read
        reader = _HashingReader(source, PART_SIZE)
        temp_key = f"tmp/{uuid.uuid4().hex}"
        try:
            result = self._call(
                f"uploading to {temp_key}",
                self._client.put_object,
                self.bucket,
                temp_key,
                reader,
                length=-1,
                part_size=PART_SIZE,
                num_parallel_uploads=PARALLEL_PARTS,
                sse=self._sse,
            )
            sha = reader.sha256.hexdigest()
            if expected is not None and (sha, reader.size) != expected:
                raise SourceChanged(f"{self.describe()}: {changed(expected, sha, reader.size)}")
            if self._sse is None and result.etag.strip('"') != reader.expected_etag():
                raise StorageError(
                    f"{self.describe()}: upload of {reader.size} bytes arrived damaged "
                    f"(ETag {result.etag} != expected {reader.expected_etag()})"
                )
            if (stored := self._stored_blob(sha, reader.size)) is not None:
                self._remove_quietly(temp_key)
                return StagedBlob(stored)
        except BaseException:
            self._remove_quietly(temp_key)
            raise
        blob = Blob(blob_key(sha), sha, reader.size)

        def publish() -> None:
            try:
                self._copy(temp_key, blob.key, blob.size)
            finally:
                self._remove_quietly(temp_key)

        return StagedBlob(blob, publish, lambda: self._remove_quietly(temp_key))

    def _stored_blob(self, sha: str, size: int) -> Blob | None:
        """The blob with this content if it is already stored whole, else None."""
        key = blob_key(sha)
        existing = self.stat(key)
        return Blob(key, sha, size, existed=True) if existing and existing.size == size else None

    def _copy(self, source_key: str, target_key: str, size: int) -> None:
        if size <= MAX_SINGLE_COPY:
            self._call(
                f"copying to {target_key}",
                self._client.copy_object,
                self.bucket,
                target_key,
                CopySource(self.bucket, source_key),
                sse=self._sse,
            )
        else:
            self._call(
                f"composing {target_key}",
                self._client.compose_object,
                self.bucket,
                target_key,
                [ComposeSource(self.bucket, source_key)],
                sse=self._sse,
            )

    def _remove_quietly(self, key: str) -> None:
        # A stray tmp/ object is harmless; `heritage verify` reports orphans.
        with contextlib.suppress(S3Error, urllib3.exceptions.HTTPError, OSError):
            self._client.remove_object(self.bucket, key)

    def put_bytes(
        self, key: str, data: bytes, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ObjectInfo:
        check_key(key)
        if if_match is None and not if_none_match:
            result = self._call(
                f"writing {key}",
                self._client.put_object,
                self.bucket,
                key,
                io.BytesIO(data),
                length=len(data),
                sse=self._sse,
            )
            return ObjectInfo(key, len(data), result.etag.strip('"'))
        # S3 conditional writes (If-Match / If-None-Match on PutObject; MinIO has them). The
        # client's put_object would send these headers as user metadata, so the single-request
        # PUT it uses underneath is called with them directly.
        headers: dict[str, str | list[str] | tuple[str]] = {
            "Content-Type": "application/octet-stream",
            **(self._sse.headers() if self._sse is not None else {}),
        }
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        if if_none_match:
            headers["If-None-Match"] = "*"
        try:
            result = self._client._put_object(self.bucket, key, data, headers)
        except S3Error as exc:
            if exc.code in _LOST_RACE or (if_match is not None and exc.code in _NOT_FOUND):
                raise WriteConflict(f"{self.describe()}: {key} changed since it was read") from None
            raise self._fail(exc, f"writing {key}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._fail(exc, f"writing {key}") from exc
        return ObjectInfo(key, len(data), (result.etag or "").strip('"'))

    def put_file(self, key: str, source: Readable) -> ObjectInfo:
        check_key(key)
        self._call(
            f"writing {key}",
            self._client.put_object,
            self.bucket,
            key,
            source,
            length=-1,
            part_size=PART_SIZE,
            sse=self._sse,
        )
        info = self.stat(key)
        if info is None:
            raise StorageError(f"{self.describe()}: {key} is missing right after it was written")
        return info

    def get_bytes(self, key: str) -> bytes:
        check_key(key)
        response = self._call(f"reading {key}", self._client.get_object, self.bucket, key)
        try:
            data: bytes = response.read()
            return data
        finally:
            response.close()
            response.release_conn()

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        check_key(key)
        response = self._call(f"reading {key}", self._client.get_object, self.bucket, key)
        try:
            data: bytes = response.read()
            return data, (response.headers.get("ETag") or "").strip('"')
        finally:
            response.close()
            response.release_conn()

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        check_key(key)
        length = 0 if end is None else end - start + 1
        response = self._call(
            f"reading {key}",
            self._client.get_object,
            self.bucket,
            key,
            offset=start,
            length=length,
        )

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(CHUNK)
            finally:
                response.close()
                response.release_conn()

        return chunks()

    def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            info = self._call(f"checking {key}", self._client.stat_object, self.bucket, key)
        except ObjectNotFound:
            return None
        return ObjectInfo(key, info.size or 0, (info.etag or "").strip('"'))

    def delete(self, key: str) -> None:
        check_key(key)
        self._call(f"deleting {key}", self._client.remove_object, self.bucket, key)

    def list(self, prefix: str = "") -> Iterator[str]:
        try:
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.object_name and not obj.is_dir:
                    yield obj.object_name
        except S3Error as exc:
            raise self._fail(exc, f"listing {prefix!r}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._fail(exc, f"listing {prefix!r}") from exc
