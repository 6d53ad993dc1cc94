"""`repository.store` helpers every store shares: the reused copy buffers and the first hash."""

from __future__ import annotations

import hashlib
import io
from contextlib import ExitStack

import pytest

from repository import store
from repository.store import SPARE_BUFFERS, chunk_buffer, hash_seekable

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


def test_the_error_inside_is_the_one_raised_when_a_slice_outlives_a_buffer_not_kept() -> None:
    """A traceback keeps its frames' slices alive: closing their buffer would fail, and that
    failure must not hide the error that is propagating."""
    alive = []
    with pytest.raises(OSError, match="disk full"), ExitStack() as stack:
        views = [stack.enter_context(chunk_buffer(SIZE)) for _ in range(SPARE_BUFFERS + 1)]
        alive.append(views[0][:4])  # the first lent is given back last, to a full pool
        raise OSError("disk full")
    alive.clear()
