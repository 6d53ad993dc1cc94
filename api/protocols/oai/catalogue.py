"""What an OAI-PMH list is made of: one header (`Entry`) per record the public may see, and a
deleted header per withdrawn item that was public, and per item deleted for good that was (its
tombstone says so; tombstones never change, so each is read once per process).

List source: the search index's ordered OAI view (`SearchIndex.oai_headers`, on every backend),
read from the cursor on, so a page costs the same at ten thousand and a million records; the
record store answers GetRecord and keeps the tombstones (the index forgets a deleted item).
Every record a list page shows is read from the store and its header worked out again, so a
change the index has not seen yet never shows a record the public may no longer see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.operations.access import is_visible
from repository import RecordStore
from search.base import Audience, OaiHeader
from search.documents import oai_datestamp

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
    return Entry(
        oai_datestamp(record),
        record["id"],
        sets_of(record["collection"], record.get("category")),
        deleted,
    )


def sets_of(collection: str, category: str | None) -> tuple[str, ...]:
    return (f"collection:{collection}", *([f"category:{category}"] if category else []))


def header_entry(header: OaiHeader) -> Entry:
    """The entry of a header listed by the search index."""
    return Entry(
        header.datestamp, header.id, sets_of(header.collection, header.category), header.deleted
    )


def tombstone_entry(tombstone: dict[str, Any]) -> Entry | None:
    """The deleted header of an item deleted for good, if harvesters could have seen it."""
    if not tombstone.get("public"):
        return None
    stamp = utc_seconds(datetime.fromisoformat(tombstone["deleted"].replace("Z", "+00:00")))
    return Entry(stamp, tombstone["id"], (f"collection:{tombstone['collection']}",), True)


class TombstoneEntries:
    """Deleted headers of the items deleted for good, each tombstone read once. A record
    stored again under the same id (re-ingested after the deletion) is listed by the index
    instead: `entries` leaves out the ids the record store holds."""

    def __init__(self, records: RecordStore):
        self.records = records
        self._seen: dict[str, Entry | None] = {}

    def entries(self) -> list[Entry]:
        for item_id in self.records.tombstone_ids():
            if item_id not in self._seen:
                tombstone = self.records.tombstone(item_id)
                self._seen[item_id] = tombstone_entry(tombstone) if tombstone else None
        return [e for e in self._seen.values() if e is not None and not self.records.exists(e.id)]

    def entry(self, item_id: str) -> Entry | None:
        tombstone = self.records.tombstone(item_id)
        return tombstone_entry(tombstone) if tombstone else None
