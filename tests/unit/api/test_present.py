"""api.present: which files belong to a paged original."""

from __future__ import annotations

from api.present import paged_originals
from tests.unit.support.records import photo_and_booklet


def test_a_files_derivatives_follow_its_original() -> None:
    record = photo_and_booklet()

    assert paged_originals(record) == [False] * 3 + [True] * 6
    assert paged_originals({"files": []}) == []
