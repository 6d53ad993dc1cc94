"""A rebuild whose source fails midway leaves the old index answering, never an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repository import StorageError
from search.base import Audience, SearchQuery
from search.sqlite import SqliteIndex
from tests.unit.records import minimal_record


def test_a_rebuild_that_fails_midway_keeps_the_old_index(tmp_path: Path) -> None:
    old = [minimal_record(id=f"test-{n:012x}") for n in range(3)]
    index = SqliteIndex(tmp_path / "index.sqlite3")
    try:
        index.rebuild(old)

        def failing() -> Iterator[dict[str, Any]]:
            yield minimal_record(id="test-new000000000")
            raise StorageError("the store went away")

        with pytest.raises(StorageError):
            index.rebuild(failing())
        found = index.search(SearchQuery(q="", audience=Audience.all()))
        assert sorted(hit.id for hit in found.hits) == sorted(r["id"] for r in old)
        assert index.rebuild(old) == 3  # and the next rebuild clears what the failed one left
    finally:
        index.close()
