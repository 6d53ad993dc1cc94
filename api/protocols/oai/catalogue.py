"""What an OAI-PMH list is made of: one header (`Entry`) per record the public may see, and a
deleted header per withdrawn item that was public, and per item deleted for good that was (its
tombstone says so; tombstones never change, so each is read once per process).

List source: the record store, not the search index. Deleted records must be listed, and the
index only holds what an audience may see; storage is the source of truth. The price is a scan
per page: `RecordCatalogue` lists the record keys and stats each one (O(N) cheap calls; a record
is re-read only when its etag changed), then sorts the headers. That is fine for a county
centre's tens of thousands of records; past a few hundred thousand records, or on S3 where a stat
is an HTTP request, a datestamp-ordered table kept beside the index should replace it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.operations.access import is_visible
from api.operations.record_cache import RecordCache
from repository import RecordStore
from search.base import Audience

_PUBLIC = Audience.public()


@dataclass(frozen=True)
class Entry:
    """One record's header: what listing, filtering and paging need."""

    datestamp: str
    id: str
    sets: tuple[str, ...]
    deleted: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.datestamp, self.id)

    def in_set(self, spec: str | None) -> bool:
        return spec is None or any(s == spec or s.startswith(spec + ":") for s in self.sets)


def utc_seconds(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FACTS = (
    "id",
    "status",
    "access",
    "institution",
    "embargo_until",
    "modified",
    "collection",
    "category",
)
"""The only fields of a record that listing needs (what the catalogue keeps per record)."""


def entry_of(record: Mapping[str, Any]) -> Entry | None:
    """The header of a record the public may see, a deleted header for a withdrawn item that was
    public, and None for anything else: restricted or unpublished items do not exist here.

    An embargoed item's datestamp is the day its embargo ends (if later than its last change):
    that is when it appears, so incremental harvesters (`from` = their last harvest) get it."""
    if is_visible(record, _PUBLIC):
        deleted = False
    elif record.get("status") == "withdrawn" and is_visible(
        {**record, "status": "published"}, _PUBLIC
    ):
        deleted = True
    else:
        return None
    stamp = utc_seconds(datetime.fromisoformat(record["modified"].replace("Z", "+00:00")))
    if embargo := record.get("embargo_until"):
        stamp = max(stamp, f"{embargo}T00:00:00Z")
    sets = [f"collection:{record['collection']}"]
    if record.get("category"):
        sets.append(f"category:{record['category']}")
    return Entry(stamp, record["id"], tuple(sets), deleted)


def tombstone_entry(tombstone: dict[str, Any]) -> Entry | None:
    """The deleted header of an item deleted for good, if harvesters could have seen it."""
    if not tombstone.get("public"):
        return None
    stamp = utc_seconds(datetime.fromisoformat(tombstone["deleted"].replace("Z", "+00:00")))
    return Entry(stamp, tombstone["id"], (f"collection:{tombstone['collection']}",), True)


class TombstoneEntries:
    """Deleted headers of the items deleted for good, each tombstone read once."""

    def __init__(self, records: RecordStore):
        self.records = records
        self._seen: dict[str, Entry | None] = {}

    def entries(self) -> list[Entry]:
        for item_id in self.records.tombstone_ids():
            if item_id not in self._seen:
                tombstone = self.records.tombstone(item_id)
                self._seen[item_id] = tombstone_entry(tombstone) if tombstone else None
        return [e for e in self._seen.values() if e is not None]

    def entry(self, item_id: str) -> Entry | None:
        tombstone = self.records.tombstone(item_id)
        return tombstone_entry(tombstone) if tombstone else None


class RecordCatalogue:
    """Headers of every stored record, kept current by one stat per record per listing.

    What is cached is the record's facts, not its header: visibility depends on today's date
    (embargoes end), so headers are worked out afresh on every listing."""

    def __init__(self, records: RecordStore):
        self.records = records
        self._facts = RecordCache(records, lambda r: {k: r[k] for k in _FACTS if k in r})
        self.tombstones = TombstoneEntries(records)

    def entries(self) -> list[Entry]:
        """Visible and deleted headers, ordered by (datestamp, id)."""
        facts = self._facts.values()
        stored = {f["id"] for f in facts}  # a record still there (a deletion cut short) wins
        entries = [entry_of(f) for f in facts]
        entries += [e for e in self.tombstones.entries() if e.id not in stored]
        return sorted((e for e in entries if e is not None), key=lambda e: e.key)
