"""The `ObjectStore` protocol every storage backend implements.

Two kinds of object live in a store:
- blobs: file contents, content-addressed by sha256 (`put_blob`), written once, never changed;
- documents: small JSON objects at chosen keys (records, collections, reports), replaced whole
  and atomically (`put_bytes`).
A reader never sees a partially written object: backends write to a temporary name and rename
(local) or rely on the server's atomic PUT (S3).

Several processes (API replicas, workers on other machines) may write one store. A document
write can be made conditional, as S3 does it: `if_match` an ETag read with `get_versioned`, or
`if_none_match` (create only); the loser of a race gets `WriteConflict`, never a lost update.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast, runtime_checkable

from schemas.errors import Conflict, NotFound, Unavailable


class StorageError(Unavailable):
    """The backend failed (unreachable, refused, out of space). The message names the backend."""


class WriteConflict(Conflict):
    """A conditional write found the object not as the writer last read it."""


class SourceChanged(Conflict):
    """The bytes read while storing are not the ones the caller hashed before (the file
    changed in between); nothing was stored."""


class ObjectNotFound(NotFound):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no object at key {self.key!r}"


class Readable(Protocol):
    """What `put_blob` reads from: an open file, an HTTP response, an `IteratorReader`."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Blob:
    key: str
    sha256: str
    size: int
    existed: bool = False  # True when identical content was already stored


class StagedBlob:
    """A blob written where no reader looks (`ObjectStore.stage_blob`): `commit` publishes it
    under its key, `discard` drops it. Lets a caller write an original while it still makes
    the derivatives, and store nothing when they fail."""

    def __init__(
        self,
        blob: Blob,
        publish: Callable[[], None] | None = None,
        drop: Callable[[], None] | None = None,
    ):
        self.blob = blob  # `existed`: already stored, nothing staged
        self._publish, self._drop = publish, drop

    def commit(self) -> Blob:
        publish, self._publish, self._drop = self._publish, None, None
        if publish is not None:
            publish()
        return self.blob

    def discard(self) -> None:
        drop, self._publish, self._drop = self._drop, None, None
        if drop is not None:
            drop()


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # changes whenever the content changes; quoted form is added by the API


SPARE_BUFFERS = 4  # kept for reuse: a worker's item copies in one thread while it hashes in another
_spare_buffers: list[mmap.mmap] = []
_spare_lock = threading.Lock()


@contextmanager
def chunk_buffer(size: int = 1024 * 1024) -> Iterator[memoryview]:
    """A page-aligned buffer of `size` bytes to copy or hash through, reused across calls:
    touching a fresh mapping costs a page fault per 4 KiB (on this project's VMs about 0.7 ms a
    megabyte, a fifth of hashing it), and a photo's ingest copies or hashes five times."""
    with _spare_lock:
        spare = [b for b in _spare_buffers if len(b) == size]
        buffer = spare[0] if spare else mmap.mmap(-1, size)
        if spare:
            _spare_buffers.remove(buffer)
    view = memoryview(buffer)
    try:
        yield view
    finally:
        view.release()
        with _spare_lock:
            _spare_buffers.append(buffer)  # the last used are kept: sizes change with the work
            dropped = _spare_buffers.pop(0) if len(_spare_buffers) > SPARE_BUFFERS else None
        if dropped is not None:
            # a slice may live on in a traceback: then the mapping goes with its last reference
            with suppress(BufferError):
                dropped.close()


def hash_seekable(source: Readable, chunk: int = 1024 * 1024) -> tuple[str, int] | None:
    """sha256 and size of the rest of `source`, which is then put back where it was.

    None for a source that cannot seek (a pipe, an HTTP body): it can be read only once, so the
    caller hashes it while copying instead.
    """
    seekable = getattr(source, "seekable", None)
    if seekable is None or not seekable():
        return None
    file = cast(BinaryIO, source)  # it said it can seek: it has tell() and seek()
    start = file.tell()
    digest = hashlib.sha256()
    size = 0
    readinto = getattr(source, "readinto", None)
    with chunk_buffer(chunk) as view:
        while True:
            if readinto is not None:
                got = readinto(view)
                data = view[:got] if got else b""
            else:
                data = source.read(chunk)
            if not data:
                break
            digest.update(data)
            size += len(data)
        del data  # no slice of the buffer outlives it
    file.seek(start)
    return digest.hexdigest(), size


SNAPSHOT_MAX = 32 * 1024 * 1024  # larger files are hashed and copied from the disk in chunks
PAGE = 4096


class Snapshot:
    """A file's bytes read whole into a reused page-aligned buffer (`snapshot_of`), and their
    sha256.

    One read then serves the hash, the store's copy and the decoder, and the bytes a store
    writes from it are by construction the ones hashed: it writes them without hashing them
    again (for a photo the second hash costs as much CPU as the write). `padded` runs on with
    zeros to a whole page past `data`, so a store can write it with O_DIRECT and cut the file
    back. A snapshot lives only inside its `with` block: then the buffer is lent again."""

    def __init__(self, buffer: memoryview, size: int, identity: tuple[int, ...], path: Path):
        self.size = size
        self.data = buffer[:size]
        self.padded = buffer[: -(-size // PAGE) * PAGE]
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        self._identity, self._path = identity, path

    def changed(self) -> bool:
        """Whether the file has been written, replaced or removed since it was read, so the
        person ingesting it hears that it was still changing. (A change that keeps the size
        and the mtime goes unseen on a file system with coarse timestamps; what is stored is
        then still one consistent read: its name, its bytes and what was made of them.)"""
        try:
            return _identity(self._path.stat()) != self._identity
        except OSError:
            return True


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@contextmanager
def snapshot_of(path: Path, limit: int = SNAPSHOT_MAX) -> Iterator[Snapshot | None]:
    """The file at `path` as a `Snapshot`, or None when it is larger than `limit` bytes (it is
    then read from the disk as it is stored). `SourceChanged` if it grows or shrinks while it
    is read."""
    with path.open("rb", buffering=0) as handle:
        st = os.fstat(handle.fileno())
        if st.st_size > limit:
            yield None
            return
        padded = -(-st.st_size // PAGE) * PAGE
        # sizes in powers of two from 1 MiB, so a worker's buffers are reused from photo to photo
        capacity = max(1 << 20, 1 << max(0, padded - 1).bit_length())
        with chunk_buffer(capacity) as view:
            got = 0
            while got < capacity and (n := handle.readinto(view[got:])):
                got += n
            if got != st.st_size:
                raise SourceChanged(
                    f"{path.name}: the file changed while it was read "
                    f"({st.st_size} bytes when opened, {got} read); nothing stored"
                )
            view[got:padded] = bytes(padded - got)  # not an earlier file's bytes, even briefly
            yield Snapshot(view, got, _identity(st), path)


def changed(expected: tuple[str, int], sha: str, size: int) -> str:
    """What `SourceChanged` says: the source's bytes as hashed before and as read now."""
    return (
        f"the source changed while it was stored (hashed as {expected[1]} bytes, "
        f"sha256 {expected[0][:12]}…; read as {size} bytes, sha256 {sha[:12]}…); nothing stored"
    )


@runtime_checkable
class ObjectStore(Protocol):
    """Where originals, derivatives, records and reports live. The source of truth."""

    def put_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> Blob:
        """Stream the rest of `source` into the store under `blob_key(sha256)`.

        A seekable source is hashed first and nothing is written when that blob is already
        stored (re-running an ingest costs one read); other streams are hashed while copied.
        `known` is the (sha256, size) the caller already read from `source`: it replaces the
        first hashing, and the bytes copied must match it, else `SourceChanged` and nothing is
        stored. A `Snapshot` is written as it is, under the hash it carries.
        """
        ...

    def stage_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> StagedBlob:
        """`put_blob` in two steps: the bytes are copied, hashed and checked now (the same
        errors), but nobody sees the blob until `commit()`; `discard()` leaves nothing."""
        ...

    def put_bytes(
        self, key: str, data: bytes, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ObjectInfo:
        """Atomically create or replace a small object; with `if_match` only while the stored
        one still has that ETag, with `if_none_match` only while there is none (else
        `WriteConflict`, and nothing is written)."""
        ...

    def put_file(self, key: str, source: Readable) -> ObjectInfo:
        """Stream the rest of `source` to `key`, replacing it atomically (files of any size
        that are not blobs: an upload staged for a worker on another machine)."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """Raise ObjectNotFound if absent."""
        ...

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """The object and the ETag of exactly those bytes (for a later `if_match`);
        ObjectNotFound if absent."""
        ...

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes [start, end] (inclusive, like HTTP Range) in chunks."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """None if absent."""
        ...

    def delete(self, key: str) -> None:
        """Deleting a missing key is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with `prefix`, in lexicographic order."""
        ...

    def describe(self) -> str:
        """Human-readable location, for errors and logs (never includes secrets)."""
        ...
