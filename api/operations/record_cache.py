"""A per-record projection of the whole record store, kept current by one stat per record.

Listings that must come from storage rather than the search index (the OAI-PMH headers, the
review queue) keep only the facts they need of each record, and re-read a record only when its
stored object's etag changed. Records removed since the last listing drop out; a damaged record
is left out (and counted in `RecordStore.damaged`) until its object changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from repository import DamagedRecord, RecordStore
from repository.keys import record_key

T = TypeVar("T")
log = logging.getLogger("heritage.api")


class RecordCache(Generic[T]):
    """`project(record)` of every stored record (None to leave one out), re-read on change."""

    def __init__(self, records: RecordStore, project: Callable[[Mapping[str, Any]], T | None]):
        self.records = records
        self.project = project
        self._cache: dict[str, tuple[str, T | None]] = {}
        self._lock = threading.Lock()

    def values(self) -> list[T]:
        found: dict[str, tuple[str, T | None]] = {}
        for item_id in self.records.ids():
            info = self.records.store.stat(record_key(item_id))
            if info is None:  # removed since it was listed
                continue
            with self._lock:
                cached = self._cache.get(item_id)
            if cached is None or cached[0] != info.etag:
                try:
                    record = self.records.get(item_id)
                except DamagedRecord as damaged:
                    log.error("left out of listings: %s; run `heritage verify`", damaged)
                    record = None
                cached = (info.etag, self.project(record) if record else None)
            found[item_id] = cached
        with self._lock:
            self._cache = found
        return [value for _, value in found.values() if value is not None]
