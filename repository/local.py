"""`LocalStore`: the embedded default, a directory on the local disk.

Every write goes to a temporary file in `<root>/.tmp/` on the same filesystem, is fsynced and
then renamed into place, so a crash leaves either the old object or the new one, never a torn
one. Blobs are written past the page cache where the file system allows (`_copy_hashing`).
A blob already stored is recognised before anything is written (seekable sources are hashed
first) or, for a stream, before its copy is fsynced. Leftover temporary files from a killed run
are harmless and removed on the next open (every `heritage` command and worker opens the store)
once older than `TEMPORARY_GRACE`: a writer still at work keeps touching its file, so another
process opening the store never removes it.

Conditional writes (`if_match`, `if_none_match`) hold an exclusive `flock` on one of
`LOCK_STRIPES` lock files in `<root>/.locks/` (chosen by the key) while they compare and rename,
so writers in any process on this machine are serialised per key. The ETag is the file's
modification time and size; a conditional replacement always moves the time forward, so an
ETag never comes back for different bytes. (On a network file system, flock may not lock across
machines: several machines share an S3 store, not a LocalStore.)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

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
    chunk_buffer,
    hash_seekable,
)

CHUNK = 1024 * 1024
DIRECT_BLOCK = 4096  # O_DIRECT's alignment: a whole page covers 512- and 4096-byte sectors
LOCK_STRIPES = 256
HIDDEN = {".tmp", ".locks"}  # the store's own folders, never listed as keys
TEMPORARY_GRACE = 15 * 60  # seconds a temporary file may sit untouched before it is litter


class LocalStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self._tmp = self.root / ".tmp"
        self._locks = self.root / ".locks"
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._locks.mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create local store at {self.root}: {exc}") from exc
        self.cleanup_temporary(TEMPORARY_GRACE)

    def describe(self) -> str:
        return f"local store at {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    @contextlib.contextmanager
    def _atomic_file(self, key: str, newer_than: int | None = None) -> Iterator[BinaryIO]:
        """Yield a temp file; on clean exit fsync and rename it to `key`'s path (its mtime made
        later than `newer_than` ns, so its ETag differs from the one it replaces)."""
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="w-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                written = os.fstat(handle.fileno())
                if newer_than is not None and written.st_mtime_ns <= newer_than:
                    os.utime(handle.fileno(), ns=(written.st_atime_ns, newer_than + 1))
                os.fsync(handle.fileno())
            target = self._path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> Blob:
        return self.stage_blob(source, known=known).commit()

    def stage_blob(
        self, source: Readable | Snapshot, *, known: tuple[str, int] | None = None
    ) -> StagedBlob:
        expected = known
        if isinstance(source, Snapshot):
            known = (source.sha256, source.size)
        elif known is None:
            known = hash_seekable(source, CHUNK)
        if known is not None and (stored := self._stored_blob(*known)) is not None:
            return StagedBlob(stored)
        digest = hashlib.sha256()
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="b-")
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot store blob: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb", buffering=0) as handle:
                if isinstance(source, Snapshot):  # its bytes are the ones it hashed
                    size, sha = _write_snapshot(source, handle.fileno()), source.sha256
                else:
                    # Hash again while copying (not trusting `known`): the blob's name must
                    # match the bytes written even if the file changed since it was hashed.
                    size = _copy_hashing(source, handle.fileno(), digest)
                    sha = digest.hexdigest()
                if expected is not None and (sha, size) != expected:
                    raise SourceChanged(f"{self.describe()}: {changed(expected, sha, size)}")
                if (stored := self._stored_blob(sha, size)) is not None:
                    tmp.unlink()
                    return StagedBlob(stored)
                os.fsync(handle.fileno())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"{self.describe()}: cannot store blob: {exc}") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        blob = Blob(blob_key(sha), sha, size)

        def publish() -> None:
            target = self._path(blob.key)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise StorageError(f"{self.describe()}: cannot store blob: {exc}") from exc

        return StagedBlob(blob, publish, lambda: tmp.unlink(missing_ok=True))

    def _stored_blob(self, sha: str, size: int) -> Blob | None:
        """The blob with this content if it is already stored whole, else None."""
        key = blob_key(sha)
        try:
            stored = self._path(key).stat().st_size == size
        except (FileNotFoundError, NotADirectoryError):
            return None
        return Blob(key, sha, size, existed=True) if stored else None

    def put_bytes(
        self, key: str, data: bytes, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ObjectInfo:
        try:
            if if_match is None and not if_none_match:
                return self._write(key, data, None)
            with self._key_lock(key):
                current = self._stat(key)
                if if_none_match and current is not None:
                    raise WriteConflict(f"{self.describe()}: {key} exists already")
                if if_match is not None and (current is None or _etag(current) != if_match):
                    raise WriteConflict(f"{self.describe()}: {key} changed since it was read")
                return self._write(key, data, None if current is None else current.st_mtime_ns)
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc

    def put_file(self, key: str, source: Readable) -> ObjectInfo:
        try:
            with self._atomic_file(key) as handle:
                while chunk := source.read(CHUNK):
                    handle.write(chunk)
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
        info = self.stat(key)
        assert info is not None
        return info

    def _write(self, key: str, data: bytes, newer_than: int | None) -> ObjectInfo:
        with self._atomic_file(key, newer_than) as handle:
            handle.write(data)
        info = self.stat(key)
        assert info is not None
        return info

    @contextlib.contextmanager
    def _key_lock(self, key: str) -> Iterator[None]:
        stripe = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % LOCK_STRIPES
        fd = os.open(self._locks / f"{stripe:03d}", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        try:
            with self._path(key).open("rb") as handle:  # one file, whatever renames follow
                return handle.read(), _etag(os.fstat(handle.fileno()))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def _stat(self, key: str) -> os.stat_result | None:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def open_range(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

        def chunks() -> Iterator[bytes]:
            with handle:
                handle.seek(start)
                remaining = None if end is None else end - start + 1
                while remaining is None or remaining > 0:
                    chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
                    if not chunk:
                        return
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk

        return chunks()

    def stat(self, key: str) -> ObjectInfo | None:
        found = self._stat(key)
        return None if found is None else ObjectInfo(key, found.st_size, _etag(found))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def list(self, prefix: str = "") -> Iterator[str]:
        # Walk only the directory the prefix points into, then filter: keeps listing
        # `records/` cheap even when millions of blobs live beside it.
        base_dir = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / base_dir if base_dir else self.root
        if not start.is_dir():
            return
        keys = []
        for dirpath, dirnames, filenames in os.walk(start):
            if Path(dirpath) == self.root:
                dirnames[:] = [d for d in dirnames if d not in HIDDEN]
            rel_dir = os.path.relpath(dirpath, self.root)
            for name in filenames:
                key = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def cleanup_temporary(self, older_than_seconds: float = TEMPORARY_GRACE) -> int:
        """Remove temp files a killed writer left behind (old enough not to be in use).

        Best effort: a file that cannot be removed (or a folder someone put there) stays, and
        opening the store never fails because of one."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        with contextlib.suppress(OSError):
            for leftover in self._tmp.iterdir():
                with contextlib.suppress(OSError):
                    if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                        leftover.unlink()
                        removed += 1
        return removed


def _copy_hashing(source: Readable, fd: int, digest: Any) -> int:
    """Copy the rest of `source` to the empty file `fd`, feeding `digest`; the size copied.

    Written past the page cache (O_DIRECT) where the file system allows it: a blob is written
    once and seldom read back, and on Linux filling the page cache costs more CPU than the
    copy and the hash together (a 6.6 MB photo: 14 ms of CPU buffered, 3.4 ms direct; see
    bench/README.md). O_DIRECT wants aligned memory, offsets and lengths: the chunks go through
    one page-aligned buffer (`chunk_buffer`), filled whole before each write, and the last one
    is padded to a whole block, then the file cut back to its size. A file system that
    refuses O_DIRECT (tmpfs before Linux 6.6, some network ones) gets plain writes of the same
    buffer."""
    direct = _go_direct(fd)
    size = 0
    with chunk_buffer(CHUNK) as view:  # page-aligned
        while got := _fill(source, view):
            digest.update(view[:got])
            if direct and got % DIRECT_BLOCK:
                padded = -(-got // DIRECT_BLOCK) * DIRECT_BLOCK
                view[got:padded] = bytes(padded - got)
                direct = _write_all(fd, view[:padded], direct)
            else:
                direct = _write_all(fd, view[:got], direct)
            size += got
            if got < CHUNK:
                break
    if os.fstat(fd).st_size != size:
        os.ftruncate(fd, size)  # the padding of the last block
    return size


def _write_snapshot(snapshot: Snapshot, fd: int) -> int:
    """Write `snapshot` to the empty file `fd` (past the page cache, as `_copy_hashing` does:
    its buffer is page-aligned and padded to a whole page); the size written."""
    direct = _go_direct(fd)
    _write_all(fd, snapshot.padded if direct else snapshot.data, direct)
    if os.fstat(fd).st_size != snapshot.size:
        os.ftruncate(fd, snapshot.size)  # the padding of the last page
    return snapshot.size


def _go_direct(fd: int) -> bool:
    """Turn on O_DIRECT for `fd` if this system and file system have it."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | flag)
    except OSError:
        return False
    return True


def _write_all(fd: int, data: memoryview, direct: bool) -> bool:
    """Write all of `data` at the file's offset; whether O_DIRECT is still on. A file system
    that took the flag but refuses the write (EINVAL) gets the rest written plainly."""
    written = 0
    while written < len(data):
        try:
            written += os.write(fd, data[written:])
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
            direct = False
    return direct


def _fill(source: Readable, view: memoryview) -> int:
    """Read from `source` until `view` is full or the source ends; the bytes read."""
    readinto = getattr(source, "readinto", None)
    got = 0
    while got < len(view):
        if readinto is not None:
            try:
                n = readinto(view[got:])
            except NotImplementedError:  # an io.RawIOBase that defines only read()
                readinto = None
                continue
        else:
            chunk = source.read(len(view) - got)
            n = len(chunk)
            view[got : got + n] = chunk
        if not n:
            break
        got += n
    return got


def _etag(st: os.stat_result) -> str:
    return f"{st.st_mtime_ns:x}-{st.st_size:x}"
