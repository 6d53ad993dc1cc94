"""Does the search index agree with storage? A cheap comparison for `/api/health` and search.

The index is derived and can be lost (a deleted SQLite file, a dropped cluster index) or fall
behind (a failed index write); storage is the source of truth. A census counts the record keys
in storage (one listing, no record read) between two counts of the index's documents, and is
kept `CENSUS_SECONDS`: on S3 a listing is one request per thousand records.

Records are stored, then indexed at once, one at a time by each writer (an ingest, an upload
job, an edit), so the two counts may differ by the records in flight at that moment: up to
`IN_FLIGHT` is normal. A deletion for good drops the document with the record, so more
documents than records means the index holds items storage no longer has (storage restored from
an older copy).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from repository import RecordStore
from repository.keys import RECORDS_PREFIX
from schemas.errors import Unavailable
from search.base import SearchIndex

CENSUS_SECONDS = 30.0
IN_FLIGHT = 8
REINDEX = "run `heritage reindex`"


class IndexEmpty(Unavailable):
    """The search index holds nothing while storage holds records: an empty result would lie."""


@dataclass(frozen=True)
class Census:
    stored: int  # record keys in storage
    before: int  # index documents just before the listing
    after: int  # … and just after it
    taken: float  # time.monotonic() when it was taken


def documents(index: SearchIndex) -> int | None:
    """The index's document count from its health report: 0 when the index does not exist
    (a cluster without the alias), None when it does not answer."""
    report: dict[str, Any] = index.health()
    if not report.get("ok"):
        return None
    return int(report.get("documents") or 0)


def check_not_empty(index: SearchIndex, records: RecordStore) -> None:
    """`IndexEmpty` when the index holds no document but storage holds a record. For a search
    that found nothing: costs one count (not a health report), and a storage listing only when
    that is 0; an index that does not answer is not called empty."""
    try:
        empty = index.count() == 0
    except Unavailable:
        return
    if empty and next(records.ids(), None) is not None:
        raise IndexEmpty(f"the search index is empty (being rebuilt, or lost): {REINDEX}")


class IndexCensus:
    """The latest census of one store and index, retaken when older than `max_age` seconds."""

    def __init__(
        self, records: RecordStore, index: SearchIndex, max_age: float = CENSUS_SECONDS
    ) -> None:
        self.records = records
        self.index = index
        self.max_age = max_age
        self._latest: Census | None = None
        self._lock = threading.Lock()

    def latest(self) -> Census | None:
        """The cached census, or a new one; None when the index does not answer."""
        with self._lock:  # one listing at a time, however many health checks come in
            latest = self._latest
            if latest is None or time.monotonic() - latest.taken > self.max_age:
                latest = self._latest = self._take()
            return latest

    def _take(self) -> Census | None:
        before = documents(self.index)
        stored = sum(1 for key in self.records.store.list(RECORDS_PREFIX) if key.endswith(".json"))
        after = documents(self.index)
        if before is None or after is None:
            return None
        return Census(stored, before, after, time.monotonic())

    def check(self, indexed_now: int) -> dict[str, Any]:
        """Counts and problems, in words for an operator (no problems: all agree)."""
        census = self.latest()
        damaged = [key for key in self.records.damaged if key.startswith(RECORDS_PREFIX)]
        others = len(self.records.damaged) - len(damaged)
        problems = []
        if damaged:
            problems.append(
                f"{len(damaged)} stored records are damaged and cannot be served "
                "(the server log names them): run `heritage verify`"
            )
        if others:
            problems.append(f"{others} collection descriptions are damaged (see the server log)")
        if census is None:
            return {"damaged": len(damaged), "problems": problems}
        if indexed_now == 0 and census.stored > 0:
            problems.append(
                f"the search index is empty but storage holds {census.stored} records: {REINDEX}"
            )
        elif (missing := census.stored - len(damaged) - census.after) > IN_FLIGHT:
            problems.append(f"{missing} stored records are not in the search index: {REINDEX}")
        elif (extra := census.before - census.stored) > IN_FLIGHT:
            problems.append(
                f"the search index holds {extra} items more than storage has records: {REINDEX}"
            )
        return {
            "stored": census.stored,
            "damaged": len(damaged),
            "counted_seconds_ago": round(time.monotonic() - census.taken, 1),
            "problems": problems,
        }
