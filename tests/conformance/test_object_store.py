"""The ObjectStore conformance suite: the same assertions against every backend.

Local always runs; MinIO runs against the real server from scripts/services.sh (in CI a missing
server fails the run, it is never skipped).
"""

from __future__ import annotations

import hashlib
import io
import os
import resource
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from repository import Blob, LocalStore, ObjectNotFound, ObjectStore, StorageError, blob_key
from repository.store import SourceChanged, WriteConflict, snapshot_of
from tests.conftest import require_service


def _s3_store(bucket: str) -> ObjectStore:
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    return S3Store(
        endpoint,
        os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
        bucket,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
    else:
        bucket = f"conformance-{uuid.uuid4().hex[:12]}"
        s3 = _s3_store(bucket)
        yield s3
        for key in list(s3.list("")):
            s3.delete(key)
        s3._client.remove_bucket(bucket)  # type: ignore[attr-defined]


class _ChunkedSource(io.RawIOBase):
    """A large deterministic stream generated on the fly, so the test itself holds no copy."""

    def __init__(self, size: int, seed: bytes = b"heritage"):
        self.remaining = size
        self.block = hashlib.sha256(seed).digest() * 32768  # 1 MiB pattern
        self.offset = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        n = self.remaining if n is None or n < 0 else min(n, self.remaining)
        out = bytearray()
        while len(out) < n:
            start = self.offset % len(self.block)
            take = min(n - len(out), len(self.block) - start)
            out += self.block[start : start + take]
            self.offset += take
        self.remaining -= n
        return bytes(out)


def test_blob_roundtrip_is_content_addressed(store: ObjectStore) -> None:
    data = "剪纸 paper-cutting".encode() * 1000
    blob = store.put_blob(io.BytesIO(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.key == blob_key(blob.sha256)
    assert blob.size == len(data)
    assert not blob.existed
    assert store.get_bytes(blob.key) == data
    again = store.put_blob(io.BytesIO(data))
    assert again.existed and again.key == blob.key
    assert [k for k in store.list("blobs/")] == [blob.key]


@dataclass
class _Writes:
    bytes: int = 0
    requests: int = 0  # S3 only: requests other than GET/HEAD


def _process_wchar() -> int:
    with open("/proc/self/io") as io_counters:
        return next(int(line.split()[1]) for line in io_counters if line.startswith("wchar:"))


@contextmanager
def _count_writes(store: ObjectStore) -> Iterator[_Writes]:
    """What `store` writes inside the block.

    Local: bytes this process passes to write(2) (/proc/self/io wchar). S3: every request that is
    not a GET or HEAD, and its body bytes, counted in the minio client's one request function.
    """
    writes = _Writes()
    if isinstance(store, LocalStore):
        before = _process_wchar()
        yield writes
        writes.bytes = _process_wchar() - before
        return
    client = store._client  # type: ignore[attr-defined]
    real = client._url_open

    def counting(method: str, *args: Any, **kwargs: Any) -> Any:
        if method not in ("GET", "HEAD"):
            writes.requests += 1
            writes.bytes += len(kwargs.get("body") or b"")
        return real(method, *args, **kwargs)

    client._url_open = counting
    try:
        yield writes
    finally:
        del client._url_open


def test_second_put_of_same_content_writes_nothing(store: ObjectStore, tmp_path: Path) -> None:
    """Re-running an ingest over stored files must not copy (local) or upload (S3) them again."""
    path = tmp_path / "original.tif"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    with path.open("rb") as handle, _count_writes(store) as first_writes:
        first = store.put_blob(handle)
    assert first_writes.bytes >= first.size  # the counter sees a real write
    info = store.stat(first.key)
    with path.open("rb") as handle, _count_writes(store) as writes:
        again = store.put_blob(handle)
    assert again == Blob(first.key, first.sha256, first.size, existed=True)
    assert writes.requests == 0 and writes.bytes < 4096, writes
    assert store.stat(first.key) == info  # local etag includes the mtime: untouched
    assert store.get_bytes(first.key) == path.read_bytes()


def test_a_snapshot_is_stored_as_read_unseen_until_committed_and_never_twice(
    store: ObjectStore, tmp_path: Path
) -> None:
    """The ingest hands an image's bytes, read and hashed once, to the store."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    with snapshot_of(path) as snapshot:
        assert snapshot is not None
        staged = store.stage_blob(snapshot)
        assert staged.blob.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert store.stat(staged.blob.key) is None  # nobody sees it before the commit
        blob = staged.commit()
        with _count_writes(store) as writes:
            again = store.put_blob(snapshot)
    assert again == Blob(blob.key, blob.sha256, blob.size, existed=True)
    assert writes.requests == 0 and writes.bytes < 4096, writes
    assert store.get_bytes(blob.key) == path.read_bytes()


class _ChangesAfterHashing(io.BytesIO):
    """A file rewritten between the store's hashing pass and its copy (seek back to the start)."""

    def __init__(self, first: bytes, then: bytes):
        super().__init__(first)
        self._then = then

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.tell() > 0 and self._then:
            self.__init__(self._then, b"")  # type: ignore[misc]
        return super().seek(offset, whence)


def test_a_file_changed_while_stored_is_stored_under_what_was_copied(store: ObjectStore) -> None:
    """The name comes from the bytes written, never from the earlier hashing pass."""
    before, after = b"first version " * 1000, b"second version " * 1000
    blob = store.put_blob(_ChangesAfterHashing(before, after))
    assert blob.sha256 == hashlib.sha256(after).hexdigest() and not blob.existed
    assert store.get_bytes(blob.key) == after
    assert store.stat(blob_key(hashlib.sha256(before).hexdigest())) is None


def test_a_known_digest_replaces_the_hashing_pass_and_is_checked_while_copying(
    store: ObjectStore,
) -> None:
    """The caller that hashed the file itself (the ingest worker) says so: the store reads the
    bytes once, to copy them, and refuses them when they are no longer those it was told."""
    data = b"an original " * 5000
    known = (hashlib.sha256(data).hexdigest(), len(data))
    first = store.put_blob(io.BytesIO(data), known=known)
    assert (first.sha256, first.size, first.existed) == (*known, False)
    assert store.get_bytes(first.key) == data

    class Unread(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            raise AssertionError("a stored blob's source is not read again")

    again = store.put_blob(Unread(data), known=known)
    assert again == Blob(first.key, *known, existed=True)

    other = b"another original " * 4000
    told = (hashlib.sha256(other).hexdigest(), len(other))
    before = sorted(store.list(""))
    with pytest.raises(SourceChanged) as caught:
        store.put_blob(io.BytesIO(other[:-1] + b"!"), known=told)
    assert "changed while it was stored" in str(caught.value) and told[0][:12] in str(caught.value)
    assert sorted(store.list("")) == before  # nothing stored, no temporary object left
    assert store.stat(blob_key(told[0])) is None


def test_put_blob_stores_the_rest_of_a_seekable_source(store: ObjectStore) -> None:
    source = io.BytesIO(b"HEADER" + b"body " * 1000)
    source.read(6)
    blob = store.put_blob(source)
    assert store.get_bytes(blob.key) == b"body " * 1000
    assert blob.sha256 == hashlib.sha256(b"body " * 1000).hexdigest()
    assert source.read() == b""  # consumed, as any stream would be


def test_put_blob_stores_the_rest_of_an_open_file(store: ObjectStore, tmp_path: Path) -> None:
    """A file on disk (copied by the kernel into a local store) from where its reader stands."""
    path = tmp_path / "scan.tif"
    body = os.urandom(2 * 1024 * 1024 + 5)
    path.write_bytes(b"HEADER" + body)
    with path.open("rb") as handle:
        handle.read(6)
        blob = store.put_blob(handle)
        assert handle.read() == b""  # consumed, as any stream would be
    assert (blob.sha256, blob.size) == (hashlib.sha256(body).hexdigest(), len(body))
    assert store.get_bytes(blob.key) == body


def test_stream_that_cannot_seek_is_stored_and_recognised(store: ObjectStore) -> None:
    first = store.put_blob(_ChunkedSource(3 * 1024 * 1024, seed=b"stream"))
    again = store.put_blob(_ChunkedSource(3 * 1024 * 1024, seed=b"stream"))
    assert not first.existed and again.existed and again.key == first.key
    assert [k for k in store.list("") if not k.startswith("blobs/")] == []  # no temp left over


def test_empty_blob(store: ObjectStore) -> None:
    blob = store.put_blob(io.BytesIO(b""))
    assert blob.sha256 == hashlib.sha256(b"").hexdigest()
    assert store.get_bytes(blob.key) == b""


def test_put_bytes_overwrites_whole(store: ObjectStore) -> None:
    store.put_bytes("records/a-123.json", b'{"v": 1, "padding": "xxxxxxxx"}')
    store.put_bytes("records/a-123.json", b'{"v": 2}')
    assert store.get_bytes("records/a-123.json") == b'{"v": 2}'
    info = store.stat("records/a-123.json")
    assert info is not None and info.size == len(b'{"v": 2}')


def test_missing_keys(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound) as excinfo:
        store.get_bytes("records/nope.json")
    assert "records/nope.json" in str(excinfo.value)
    with pytest.raises(ObjectNotFound):
        list(store.open_range("records/nope.json"))
    assert store.stat("records/nope.json") is None
    store.delete("records/nope.json")  # deleting a missing key is fine


@pytest.mark.parametrize("bad", ["../etc/passwd", "/abs/key", "a/../../b", "a//b", "dir/", ""])
def test_unsafe_keys_are_refused(store: ObjectStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.put_bytes(bad, b"x")


def test_ranges_are_inclusive(store: ObjectStore) -> None:
    data = bytes(range(256)) * 10
    store.put_bytes("reports/range.bin", data)
    assert b"".join(store.open_range("reports/range.bin", 0, 9)) == data[:10]
    assert b"".join(store.open_range("reports/range.bin", 100, 2559)) == data[100:]
    assert b"".join(store.open_range("reports/range.bin", 2550)) == data[2550:]


def test_listing_with_prefixes_is_sorted_and_exact(store: ObjectStore) -> None:
    for key in ["records/b.json", "records/a.json", "recordsx/c.json", "collections/s.json"]:
        store.put_bytes(key, b"{}")
    assert list(store.list("records/")) == ["records/a.json", "records/b.json"]
    assert list(store.list("records")) == ["records/a.json", "records/b.json", "recordsx/c.json"]
    assert "collections/s.json" in list(store.list(""))


def test_delete_removes(store: ObjectStore) -> None:
    store.put_bytes("collections/x.json", b"{}")
    store.delete("collections/x.json")
    assert store.stat("collections/x.json") is None
    assert list(store.list("collections/")) == []


def test_etag_changes_with_content(store: ObjectStore) -> None:
    first = store.put_bytes("reports/e.json", b"one")
    second = store.put_bytes("reports/e.json", b"two!")
    assert first.etag != second.etag


@pytest.mark.slow
def test_a_file_is_streamed_to_a_key_of_its_own(store: ObjectStore) -> None:
    size = 3 * 1024 * 1024 + 17  # more than one chunk, not a whole number of them
    info = store.put_file("staging/job/0", _ChunkedSource(size))
    assert info.size == size
    expected = hashlib.sha256()
    source = _ChunkedSource(size)
    while chunk := source.read(1 << 20):
        expected.update(chunk)
    got = hashlib.sha256(b"".join(store.open_range("staging/job/0"))).hexdigest()
    assert got == expected.hexdigest()
    store.put_file("staging/job/0", io.BytesIO(b"short"))  # replaced whole
    assert store.get_bytes("staging/job/0") == b"short"


def test_conditional_writes_refuse_a_stale_reader(store: ObjectStore) -> None:
    store.put_bytes("docs/c.json", b"one", if_none_match=True)
    with pytest.raises(WriteConflict):
        store.put_bytes("docs/c.json", b"two", if_none_match=True)  # create only: it exists
    data, etag = store.get_versioned("docs/c.json")
    assert data == b"one"
    info = store.put_bytes("docs/c.json", b"two", if_match=etag)
    assert store.get_versioned("docs/c.json") == (b"two", info.etag)
    with pytest.raises(WriteConflict):
        store.put_bytes("docs/c.json", b"six", if_match=etag)  # read before "two": stale
    with pytest.raises(WriteConflict):
        store.put_bytes("docs/absent.json", b"x", if_match=etag)  # nothing there to match
    assert store.get_bytes("docs/c.json") == b"two"
    assert store.stat("docs/absent.json") is None
    with pytest.raises(ObjectNotFound):
        store.get_versioned("docs/absent.json")


def test_the_same_bytes_written_again_get_a_new_etag(store: ObjectStore) -> None:
    """A conditional write over identical content (a restore, a revert) still moves the ETag:
    a reader of the first write must not win over the second."""
    first = store.put_bytes("docs/same.json", b"same", if_none_match=True)
    second = store.put_bytes("docs/same.json", b"same", if_match=first.etag)
    third = store.put_bytes("docs/same.json", b"same", if_match=second.etag)
    if isinstance(store, LocalStore):  # S3's ETag is the content's MD5: it cannot move
        assert len({first.etag, second.etag, third.etag}) == 3
    else:
        assert first.etag == second.etag == third.etag


def test_racing_conditional_writers_lose_no_update(store: ObjectStore) -> None:
    """Eight threads each add one to a counter by read + conditional write, retrying on
    conflict: every addition lands, and each refused attempt really was a lost race."""
    store.put_bytes("docs/counter", b"0")
    conflicts = 0
    lock = threading.Lock()

    def add_one() -> None:
        nonlocal conflicts
        while True:
            data, etag = store.get_versioned("docs/counter")
            try:
                store.put_bytes("docs/counter", str(int(data) + 1).encode(), if_match=etag)
                return
            except WriteConflict:
                with lock:
                    conflicts += 1

    threads = [threading.Thread(target=lambda: [add_one() for _ in range(5)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get_bytes("docs/counter") == b"40"


def test_large_blob_streams_with_bounded_memory(store: ObjectStore) -> None:
    """≥ 200 MB streamed in: peak RSS must not grow by anything like the object's size."""
    size = 210 * 1024 * 1024
    expected = hashlib.sha256()
    source = _ChunkedSource(size)
    while chunk := source.read(8 << 20):
        expected.update(chunk)
    peak: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            with open("/proc/self/statm") as statm:
                peak.append(int(statm.read().split()[1]) * resource.getpagesize())

    sampler = threading.Thread(target=sample, daemon=True)
    with open("/proc/self/statm") as statm:
        before = int(statm.read().split()[1]) * resource.getpagesize()
    sampler.start()
    try:
        blob = store.put_blob(_ChunkedSource(size))
    finally:
        stop.set()
        sampler.join()
    assert blob.size == size
    assert blob.sha256 == expected.hexdigest()
    growth = max(peak, default=before) - before
    assert growth < 120 * 1024 * 1024, f"RSS grew by {growth / 2**20:.0f} MiB for a 210 MiB blob"
    read_back = hashlib.sha256()
    for chunk in store.open_range(blob.key):
        read_back.update(chunk)
    assert read_back.hexdigest() == blob.sha256


def test_unreachable_s3_names_the_endpoint() -> None:
    from repository.s3 import S3Store

    with pytest.raises(StorageError) as excinfo:
        S3Store("127.0.0.1:1", "user", "password1", "heritage", connect_timeout=0.5, retries=0)
    assert "127.0.0.1:1" in str(excinfo.value)


@pytest.mark.services
def test_wrong_s3_credentials_are_named() -> None:
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    with pytest.raises(StorageError) as excinfo:
        S3Store(endpoint, "heritage", "definitely-wrong-secret", "heritage", retries=0)
    assert "credentials" in str(excinfo.value) and endpoint in str(excinfo.value)


@pytest.mark.services
def test_forbidden_bucket_name_is_named() -> None:
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    with pytest.raises(StorageError) as excinfo:
        S3Store(
            endpoint,
            os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
            os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
            "Bad_Bucket!",
        )
    assert "Bad_Bucket!" in str(excinfo.value)
