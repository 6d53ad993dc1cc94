"""LocalStore: what a killed writer leaves in `.tmp/` goes at the next open; blobs are copied
byte for byte whatever the source and the file system."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import mmap
import os
import time
from pathlib import Path
from typing import Any

import pytest

from repository import LocalStore
from repository.local import CHUNK, TEMPORARY_GRACE
from repository.store import SourceChanged, snapshot_of
from repository.streams import IteratorReader


def leftover(folder: Path, name: str, age: float) -> Path:
    path = folder / name
    path.write_bytes(b"half a blob")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_opening_removes_old_temporary_files_and_spares_a_running_writers(tmp_path: Path) -> None:
    folder = LocalStore(tmp_path).root / ".tmp"
    killed = leftover(folder, "b-killed", TEMPORARY_GRACE + 60)
    running = leftover(folder, "b-running", TEMPORARY_GRACE - 60)
    (folder / "not-ours").mkdir()

    store = LocalStore(tmp_path)

    assert sorted(p.name for p in folder.iterdir()) == ["b-running", "not-ours"]
    assert running.read_bytes() == b"half a blob" and not killed.exists()
    assert list(store.list("")) == []


# --- the blob copy: written past the page cache in aligned blocks, byte for byte ---

SIZES = [0, 1, 4095, 4096, 4097, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 123]


class Trickle:
    """A stream that hands out at most 1 000 bytes a read and has no readinto (an HTTP body)."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int = -1) -> bytes:
        size = 1000 if size < 0 else min(size, 1000)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def pattern(size: int) -> bytes:
    return (hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1))[:size]


@pytest.mark.parametrize("size", SIZES)
def test_blobs_of_any_size_are_stored_byte_for_byte_from_every_kind_of_source(
    tmp_path: Path, size: int
) -> None:
    data = pattern(size)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    odd_chunks = (data[i : i + 7777] for i in range(0, size, 7777))
    with source.open("rb") as file:
        readers = [file, io.BytesIO(data), Trickle(data), IteratorReader(odd_chunks)]
        blobs = [LocalStore(tmp_path / f"store-{n}").put_blob(r) for n, r in enumerate(readers)]
    for number, blob in enumerate(blobs):
        store = LocalStore(tmp_path / f"store-{number}")
        assert (blob.sha256, blob.size) == (expected, size)
        assert store.get_bytes(blob.key) == data
        assert list((store.root / ".tmp").iterdir()) == []


@pytest.mark.parametrize("size", SIZES)
def test_a_snapshot_is_stored_byte_for_byte_under_the_hash_it_carries(
    tmp_path: Path, size: int
) -> None:
    """Written from its buffer with its last page padded: the padding (whatever an earlier
    file left in the buffer) is cut off again."""
    data = pattern(size)
    source = tmp_path / "photo.jpg"
    source.write_bytes(data)
    store = LocalStore(tmp_path / "store")
    with snapshot_of(source) as snapshot:
        assert snapshot is not None
        snapshot.padded[size:] = b"\xff" * (len(snapshot.padded) - size)
        blob = store.put_blob(snapshot)
    assert (blob.sha256, blob.size) == (hashlib.sha256(data).hexdigest(), size)
    assert store.get_bytes(blob.key) == data
    assert list((store.root / ".tmp").iterdir()) == []


def test_a_snapshot_on_a_file_system_that_refuses_direct_writes_is_written_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pattern(CHUNK + 5000)
    source = tmp_path / "photo.jpg"
    source.write_bytes(data)
    real_write = os.write
    refused: list[int] = []

    def write(fd: int, chunk: Any) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(len(chunk))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, chunk)

    with snapshot_of(source) as snapshot:
        assert snapshot is not None
        monkeypatch.setattr(os, "write", write)
        blob = LocalStore(tmp_path / "store").put_blob(snapshot)
        monkeypatch.undo()
    assert refused == [-(-len(data) // 4096) * 4096]
    assert LocalStore(tmp_path / "store").get_bytes(blob.key) == data


def test_a_file_system_that_refuses_direct_writes_gets_the_same_bytes_written_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems take O_DIRECT when the file is opened and refuse the writes (EINVAL)."""
    data = pattern(CHUNK + 5000)
    real_write = os.write
    refused: list[int] = []

    def write(fd: int, chunk: Any) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(len(chunk))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, chunk)

    monkeypatch.setattr(os, "write", write)
    blob = LocalStore(tmp_path).put_blob(io.BytesIO(data))
    monkeypatch.undo()

    assert refused == [CHUNK]  # refused once, then plain writes from the same buffer
    assert LocalStore(tmp_path).get_bytes(blob.key) == data
    assert blob.sha256 == hashlib.sha256(data).hexdigest()


def test_a_source_that_changed_since_it_was_hashed_leaves_nothing(tmp_path: Path) -> None:
    data = pattern(CHUNK + 1)
    store = LocalStore(tmp_path)
    known = (hashlib.sha256(data).hexdigest(), len(data))
    with pytest.raises(SourceChanged):
        store.put_blob(io.BytesIO(data[:-1] + b"!"), known=known)
    assert list((store.root / ".tmp").iterdir()) == []
    assert [key for key in store.list("") if key.startswith("blobs/")] == []


def test_a_blob_is_written_past_the_page_cache_where_the_file_system_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write of a blob's copy carries O_DIRECT on a file system that accepts it (the
    probe below), and none does on one that refuses it: the copy costs the kernel no page
    cache (bench/bench_store.py)."""
    probe = tmp_path / "probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    except OSError:
        takes_direct = False
    else:
        with mmap.mmap(-1, 4096) as block:
            try:
                os.write(fd, block)
                takes_direct = True
            except OSError:
                takes_direct = False
        os.close(fd)
    real_write = os.write
    flags: list[bool] = []

    def write(fd: int, chunk: Any) -> int:
        flags.append(bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT))
        return real_write(fd, chunk)

    data = pattern(2 * CHUNK + 5000)
    monkeypatch.setattr(os, "write", write)
    blob = LocalStore(tmp_path / "store").put_blob(io.BytesIO(data))
    monkeypatch.undo()
    assert len(flags) == 3 and set(flags) == {takes_direct}
    assert LocalStore(tmp_path / "store").get_bytes(blob.key) == data
