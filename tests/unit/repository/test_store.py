"""`repository.store` helpers every store shares: the reused copy buffers, the first hash and
the snapshots of files read whole."""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from repository import store
from repository.store import (
    PAGE,
    SPARE_BUFFERS,
    SourceChanged,
    chunk_buffer,
    hash_seekable,
    snapshot_of,
)

SIZE = 3 * 4096  # a size no store uses, so this test alone fills its part of the pool


def test_a_buffer_is_reused_once_given_back_but_never_lent_twice_at_once() -> None:
    with chunk_buffer(SIZE) as first:
        first[:4] = b"mark"
    with chunk_buffer(SIZE) as again:
        assert again[:4] == b"mark"  # the same pages: no fresh mapping to fault in
        with chunk_buffer(SIZE) as other:  # a second thread's copy while the first hashes
            other[:4] = b"else"
            assert again[:4] == b"mark"
    with ExitStack() as stack:
        for _ in range(SPARE_BUFFERS + 3):
            stack.enter_context(chunk_buffer(SIZE))
    assert sum(len(b) == SIZE for b in store._spare_buffers) <= SPARE_BUFFERS  # noqa: SLF001


def test_hash_seekable_hashes_the_rest_and_puts_the_source_back() -> None:
    data = bytes(range(256)) * 9000  # more than one chunk
    source = io.BytesIO(data)
    source.seek(100)
    assert hash_seekable(source, 4096) == (hashlib.sha256(data[100:]).hexdigest(), len(data) - 100)
    assert source.tell() == 100


def test_the_error_inside_is_the_one_raised_when_a_slice_outlives_a_buffer_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A traceback keeps its frames' slices alive: closing their buffer would fail, and that
    failure must not hide the error that is propagating."""
    monkeypatch.setattr(store, "_spare_buffers", [])
    alive = []
    with pytest.raises(OSError, match="disk full"), ExitStack() as stack:
        views = [stack.enter_context(chunk_buffer(SIZE)) for _ in range(SPARE_BUFFERS + 1)]
        alive.append(views[-1][:4])  # given back first: the oldest when the pool overflows
        raise OSError("disk full")
    assert len(store._spare_buffers) == SPARE_BUFFERS  # noqa: SLF001
    alive.clear()


def test_the_pool_keeps_the_buffers_last_given_back() -> None:
    """Sizes change with the work (a worker's photos, then its scans): the oldest spare goes."""
    with chunk_buffer(SIZE + 4096) as odd:
        odd[:3] = b"odd"
    for _ in range(SPARE_BUFFERS - 1):
        with ExitStack() as stack:
            stack.enter_context(chunk_buffer(SIZE))
    with chunk_buffer(SIZE + 4096) as again:
        assert again[:3] == b"odd"  # still kept: fewer than SPARE_BUFFERS came back since
    with ExitStack() as stack:
        for _ in range(SPARE_BUFFERS):
            stack.enter_context(chunk_buffer(SIZE))
    assert all(len(b) == SIZE for b in store._spare_buffers)  # noqa: SLF001


# --- snapshots: a file read whole once, for its hash, its copy and its decoder ---


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, (1 << 20) + 1])
def test_a_snapshot_holds_the_files_bytes_and_their_hash_with_a_whole_page_after(
    tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    for capacity in (1 << 20, 1 << 21):  # the size classes these snapshots take: left dirty
        with chunk_buffer(capacity) as earlier:
            earlier[:] = b"\xff" * capacity
    with snapshot_of(path) as snapshot:
        assert snapshot is not None
        assert bytes(snapshot.data) == data and snapshot.size == size
        assert snapshot.sha256 == hashlib.sha256(data).hexdigest()
        assert len(snapshot.padded) % PAGE == 0 and 0 <= len(snapshot.padded) - size < PAGE
        assert not any(snapshot.padded[size:])  # zeros, not what the buffer held before
        assert not snapshot.changed()


def test_a_file_over_the_limit_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    path.write_bytes(b"x" * 5000)
    with snapshot_of(path, limit=4999) as snapshot:
        assert snapshot is None
    with snapshot_of(path, limit=5000) as snapshot:
        assert snapshot is not None and snapshot.size == 5000


def test_a_snapshots_buffer_is_reused_by_the_next_file_of_its_size_class(tmp_path: Path) -> None:
    """A worker reads photo after photo: a fresh buffer would cost a page fault per 4 KiB."""
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    first.write_bytes(b"a" * 3_000_001)
    second.write_bytes(b"b" * 3_100_000)
    with snapshot_of(first) as a:
        assert a is not None
        address = ctypes.addressof(ctypes.c_char.from_buffer(a.padded))
    with snapshot_of(second) as b:
        assert b is not None and bytes(b.data[:3]) == b"bbb"
        assert ctypes.addressof(ctypes.c_char.from_buffer(b.padded)) == address


@pytest.mark.parametrize(
    "change",
    [
        lambda path: path.write_bytes(b"other bytes, other size"),
        lambda path: os.utime(path, ns=(0, path.stat().st_mtime_ns + 1)),
        lambda path: path.unlink(),
        lambda path: os.replace(path.with_name("twin"), path),
    ],
    ids=["rewritten", "touched", "removed", "replaced"],
)
def test_a_snapshot_knows_when_its_file_has_changed_since(
    tmp_path: Path, change: Callable[[Path], object]
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"the bytes as read")
    (tmp_path / "twin").write_bytes(b"the bytes as read")
    with snapshot_of(path) as snapshot:
        assert snapshot is not None and not snapshot.changed()
        change(path)
        assert snapshot.changed()
        assert bytes(snapshot.data) == b"the bytes as read"  # what was read stays as it was


def test_a_file_that_grows_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"x" * 10_000)
    real_fstat = os.fstat

    def fstat_then_append(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        with path.open("ab") as more:
            more.write(b"y" * 100)  # the camera's software still writing
        return st

    monkeypatch.setattr(os, "fstat", fstat_then_append)
    with pytest.raises(SourceChanged) as caught, snapshot_of(path):
        pass
    assert "photo.jpg: the file changed while it was read (10000 bytes" in str(caught.value)
