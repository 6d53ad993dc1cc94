"""OAI-PMH headers (api.protocols.oai.catalogue): they follow the one visibility rule; items
deleted for good are listed as deleted if harvesters could have seen them, once, and never beside
a record that is still stored."""

from __future__ import annotations

from pathlib import Path

from api.protocols.oai.catalogue import Entry, TombstoneEntries, entry_of
from repository import LocalStore, RecordStore
from tests.unit.support.records import minimal_record


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
    entries = TombstoneEntries(records).entries()
    assert entries == [
        Entry("2026-03-01T08:00:00Z", "test-gone-public", ("collection:test",), True),
    ]


def test_oai_headers_follow_the_one_visibility_rule() -> None:
    visible = entry_of(minimal_record(modified="2026-01-02T03:04:05Z", category="quyi"))
    assert visible is not None and not visible.deleted
    assert visible.datestamp == "2026-01-02T03:04:05Z"
    assert visible.sets == ("collection:test", "category:quyi")
    withdrawn = entry_of(minimal_record(status="withdrawn"))
    assert withdrawn is not None and withdrawn.deleted
    for hidden in (
        minimal_record(status="draft"),
        minimal_record(access="restricted"),
        minimal_record(status="withdrawn", access="restricted"),
        minimal_record(access="institution"),
        minimal_record(embargo_until="2999-01-01"),
    ):
        assert entry_of(hidden) is None
    # an ended embargo dates the header to the day the item appeared
    lifted = entry_of(minimal_record(modified="2020-01-01T00:00:00Z", embargo_until="2021-06-01"))
    assert lifted is not None and lifted.datestamp == "2021-06-01T00:00:00Z"
