"""OAI-PMH headers of items deleted for good: listed as deleted if harvesters could have seen them,
once, and never beside a record that is still stored."""

from __future__ import annotations

from pathlib import Path

from api.protocols.oai.catalogue import Entry, RecordCatalogue
from repository import LocalStore, RecordStore
from tests.unit.records import minimal_record


def tombstone(item_id: str, public: bool) -> dict[str, object]:
    return {
        "id": item_id,
        "collection": "test",
        "institution": "museum-a",
        "deleted": "2026-03-01T08:00:00Z",
        "agent": "museum-a/admin (key k)",
        "reason": "the bearer asked",
        "public": public,
    }


def test_tombstones_are_deleted_headers(tmp_path: Path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    records.save(minimal_record())
    records.save_tombstone(tombstone("test-gone-public", public=True))
    records.save_tombstone(tombstone("test-gone-private", public=False))
    records.save_tombstone(tombstone(minimal_record()["id"], public=True))  # deletion cut short
    entries = RecordCatalogue(records).entries()
    assert entries == [
        Entry("2026-01-01T00:00:00Z", minimal_record()["id"], ("collection:test",), False),
        Entry("2026-03-01T08:00:00Z", "test-gone-public", ("collection:test",), True),
    ]
