"""Item records in a store: validated on write and read, written last as an item's commit point."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from repository.keys import RECORDS_PREFIX, collection_key, record_key
from repository.store import ObjectNotFound, ObjectStore
from schemas import validate_record
from schemas.errors import NotFound

SCHEMA_VERSION = "1.0"
VALIDATED_CACHE_SIZE = 4096


class RecordNotFound(NotFound):
    def __str__(self) -> str:
        return f"no record with id {self.args[0]!r}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_event(
    event_type: str, agent: str, outcome: str = "success", detail: str | None = None
) -> dict[str, str]:
    """A PREMIS-style provenance event as the record schema defines it."""
    event = {"type": event_type, "time": now_iso(), "agent": agent, "outcome": outcome}
    if detail:
        event["detail"] = detail[:4000]
    return event


def dump_record(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


class RecordStore:
    """Reads and writes item records and collection descriptions in an ObjectStore."""

    def __init__(self, store: ObjectStore):
        self.store = store
        # Validation is deterministic for the same bytes, and costly for big records (500 files
        # ≈ 0.2 s): remember the digests of recent records that passed.
        self._validated: OrderedDict[bytes, None] = OrderedDict()

    def save(self, record: dict[str, Any]) -> None:
        """Validate, then write atomically. Everything the record points to must be stored first."""
        validate_record(record)
        self.store.put_bytes(record_key(record["id"]), dump_record(record))

    def load(self, item_id: str) -> dict[str, Any]:
        try:
            key = record_key(item_id)
        except ValueError:
            raise RecordNotFound(item_id) from None
        try:
            data = self.store.get_bytes(key)
        except ObjectNotFound:
            raise RecordNotFound(item_id) from None
        record: dict[str, Any] = json.loads(data)
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if digest not in self._validated:
            validate_record(record)  # raises on a damaged or hand-edited record
            self._validated[digest] = None
            if len(self._validated) > VALIDATED_CACHE_SIZE:
                self._validated.popitem(last=False)
        return record

    def get(self, item_id: str) -> dict[str, Any] | None:
        try:
            return self.load(item_id)
        except RecordNotFound:
            return None

    def exists(self, item_id: str) -> bool:
        try:
            return self.store.stat(record_key(item_id)) is not None
        except ValueError:
            return False

    def ids(self) -> Iterator[str]:
        for key in self.store.list(RECORDS_PREFIX):
            if key.endswith(".json"):
                yield key[len(RECORDS_PREFIX) : -len(".json")]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item_id in self.ids():
            record = self.get(item_id)
            if record is not None:
                yield record

    def save_collection(self, collection: dict[str, Any]) -> None:
        data = json.dumps(collection, ensure_ascii=False, indent=1, sort_keys=True).encode()
        self.store.put_bytes(collection_key(collection["slug"]), data)

    def load_collection(self, slug: str) -> dict[str, Any] | None:
        try:
            described: dict[str, Any] = json.loads(self.store.get_bytes(collection_key(slug)))
            return described
        except (ObjectNotFound, ValueError):
            return None

    def collections(self) -> list[dict[str, Any]]:
        result = []
        for key in self.store.list("collections/"):
            if key.endswith(".json"):
                result.append(json.loads(self.store.get_bytes(key)))
        return result
