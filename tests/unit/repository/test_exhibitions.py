"""The exhibition store: validated writes, conditional writes that refuse a stale version or a
second creation, and a damaged document said as `Unavailable`, left out of lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repository import LocalStore
from repository.exhibitions import ExhibitionStore
from repository.keys import exhibition_key
from repository.store import WriteConflict
from schemas import SchemaError
from schemas.errors import Unavailable


def exhibition(**changes: Any) -> dict[str, Any]:
    return {
        "slug": "spring",
        "institution": "museum-a",
        "title": {"zh": "春节"},
        "status": "draft",
        "sections": [
            {
                "heading": {"en": "Cuts"},
                "entries": [
                    {"item": "papercut-001", "region": "pct:10,10,50.5,50"},
                    {"item": "dance-001", "start": 1, "end": 2.5, "caption": {"en": "Turn"}},
                ],
            }
        ],
        **changes,
    }


@pytest.fixture
def store(tmp_path: Path) -> ExhibitionStore:
    return ExhibitionStore(LocalStore(tmp_path))


def test_a_saved_exhibition_reads_back_with_its_version(store: ExhibitionStore) -> None:
    etag = store.save(exhibition(), create=True)
    found = store.load_versioned("spring")
    assert found == (exhibition(), etag)
    assert store.exists("spring") and not store.exists("autumn") and not store.exists("../x")
    assert store.load("autumn") is None and store.load("NOT A SLUG") is None
    assert [e["slug"] for e in store.all()] == ["spring"]


def test_writes_are_conditional(store: ExhibitionStore) -> None:
    first = store.save(exhibition(), create=True)
    with pytest.raises(WriteConflict):
        store.save(exhibition(title={"en": "Again"}), create=True)
    second = store.save(exhibition(status="review"), if_match=first)
    with pytest.raises(WriteConflict):  # written over a version that is gone
        store.save(exhibition(status="published"), if_match=first)
    assert store.load_versioned("spring") == (exhibition(status="review"), second)


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "live"},
        {"sections": [{"entries": [{"item": "x1y", "region": "left"}]}]},
        {"sections": [{"entries": [{"item": "x1y", "start": 1}]}]},  # no end
        {"sections": [{"entries": [{"item": "x1y", "region": "1,1,2,2", "start": 1, "end": 2}]}]},
        {"title": {}},
    ],
)
def test_what_the_schema_refuses_is_never_written(
    store: ExhibitionStore, bad: dict[str, Any]
) -> None:
    with pytest.raises(SchemaError):
        store.save(exhibition(**bad), create=True)
    assert not store.exists("spring")


def test_a_damaged_exhibition_is_unavailable_and_left_out_of_lists(
    store: ExhibitionStore,
) -> None:
    store.save(exhibition(), create=True)
    store.save(exhibition(slug="autumn"), create=True)
    store.store.put_bytes(exhibition_key("spring"), b'{"slug": "spring", "status": 3}')
    with pytest.raises(Unavailable, match="spring"):
        store.load("spring")
    assert [e["slug"] for e in store.all()] == ["autumn"]
