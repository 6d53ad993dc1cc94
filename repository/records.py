"""Item records in a store: validated on write and read, written last as an item's commit point.

History: `save` keeps the record it replaces as `versions/<id>/<n>.json` (n = 1, 2, …), written
BEFORE the new record, so a crash between the two leaves an extra version, never a lost one. All
versions are kept (a record is a few kB; an item edited a hundred times costs well under a MB).
Several processes (API replicas, workers) may save one item at once: every write is conditional
(`ObjectStore.put_bytes` with `if_none_match` / `if_match`), so the version number n is claimed
by one writer only and the record is replaced only if it is still the one that writer read. The
loser gets `WriteConflict` and nothing of its change is the current record (at most an extra
copy of a version it had claimed). A caller that decided on an earlier read passes that read's
ETag (`load_versioned`) as `if_match`, so a change made in between is never written over.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from repository.keys import (
    COLLECTIONS_PREFIX,
    RECORDS_PREFIX,
    TOMBSTONES_PREFIX,
    collection_key,
    record_key,
    tombstone_key,
    version_key,
    versions_prefix,
)
from repository.store import ObjectNotFound, ObjectStore, WriteConflict
from schemas import validate_collection, validate_record
from schemas.errors import Conflict, InvalidInput, NotFound, Unavailable
from schemas.record import Event, Record
from schemas.text import check_document

SCHEMA_VERSION = "1.0"
VALIDATED_CACHE_SIZE = 4096


class RecordNotFound(NotFound):
    def __str__(self) -> str:
        return f"no record with id {self.args[0]!r}"


class DamagedRecord(Unavailable):
    """A stored record that cannot be read: empty, cut short, not UTF-8 JSON, or against the
    schema. An `Unavailable`, not an `InvalidInput`: the caller asked nothing wrong, and the
    item comes back once the object is restored; until then it is skipped, never fatal."""

    def __init__(self, item_id: str, key: str, problem: str):
        super().__init__(f"record {key} is damaged: {problem}")
        self.item_id = item_id
        self.key = key
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        # Crosses the process boundary from ingest workers; the default pickling would call
        # __init__ with the message alone, fail, and break the whole worker pool.
        return (type(self), (self.item_id, self.key, self.problem))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_event(
    event_type: str, agent: str, outcome: str = "success", detail: str | None = None
) -> Event:
    """A PREMIS-style provenance event as the record schema defines it."""
    event = cast(Event, {"type": event_type, "time": now_iso(), "agent": agent, "outcome": outcome})
    if detail:
        event["detail"] = detail[:4000]
    return event


def dump_record(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


class RecordStore:
    """Reads and writes item records and collection descriptions in an ObjectStore."""

    def __init__(self, store: ObjectStore):
        self.store = store
        # Validation is deterministic for the same bytes, and costly for big records (500 files
        # ≈ 0.2 s): remember the digests of recent records that passed.
        self._validated: OrderedDict[bytes, None] = OrderedDict()
        self.damaged: dict[str, str] = {}
        """Key → problem of every record or collection description this process found damaged
        and has not since read intact: what `/api/health` reports."""

    def check(self, record: Mapping[str, Any]) -> bytes:
        """Validate `record` (`SchemaError` naming the field) once: its bytes as `save` writes
        them are remembered, so saving and reading them back validate nothing again."""
        data = dump_record(record)
        digest = _digest(data)
        if digest not in self._validated:
            validate_record(record)
            self._remember(digest)
        return data

    def save(self, record: Mapping[str, Any], *, if_match: str | None = None) -> str:
        """Validate, keep the stored record as a version, then write atomically; the new ETag.
        Everything the record points to must be stored first. `if_match`: the ETag the caller
        read the record at (`WriteConflict` if it has changed since); without it, the record
        is replaced as this call finds it."""
        data = self.check(record)
        item_id = record["id"]
        key = record_key(item_id)
        try:
            previous, etag = self.store.get_versioned(key)
        except ObjectNotFound:
            previous, etag = None, None
        if if_match is not None and etag != if_match:
            raise WriteConflict(f"record {item_id} has changed since it was read")
        if previous is not None and previous != data:
            numbers = self.version_numbers(item_id)
            n = numbers[-1] + 1 if numbers else 1
            self.store.put_bytes(version_key(item_id, n), previous, if_none_match=True)
        if etag is None:
            return self.store.put_bytes(key, data, if_none_match=True).etag
        return self.store.put_bytes(key, data, if_match=etag).etag

    def delete(self, item_id: str) -> None:
        """Remove the record (deleting an item for good; its versions stay until removed)."""
        self.store.delete(record_key(item_id))

    def version_numbers(self, item_id: str) -> list[int]:
        """The numbers of the stored earlier versions, oldest first (the current record is not
        one of them: it is version `len(...) + 1`)."""
        prefix = versions_prefix(item_id)
        names = (key[len(prefix) : -len(".json")] for key in self.store.list(prefix))
        return sorted(int(name) for name in names if name.isdigit())

    def load_version(self, item_id: str, n: int) -> dict[str, Any]:
        """Earlier version `n` as it was stored (not re-validated: history is kept as it was)."""
        key = version_key(item_id, n)
        try:
            return _parse(self.store.get_bytes(key))
        except ObjectNotFound:
            raise NotFound(f"item {item_id!r} has no stored version {n}") from None
        except ValueError as exc:  # cut short, not JSON: named, never a traceback
            raise DamagedRecord(item_id, key, str(exc)) from exc

    def delete_versions(self, item_id: str) -> int:
        """Remove every earlier version of an item (deleting it for good); how many."""
        keys = list(self.store.list(versions_prefix(item_id)))
        for key in keys:
            self.store.delete(key)
        return len(keys)

    def blob_references(self, excluding: str | None = None, *, strict: bool = True) -> set[str]:
        """The blob keys every record and every stored version names, but item `excluding`'s.
        Cost: one read per record and per version in the store (for rare deletions).

        An unreadable record or version raises (`strict`: its references are unknown, so nothing
        may be deleted on the strength of this answer) or is skipped (`verify` reports it)."""
        named: set[str] = set()
        for item_id in self.ids():
            if item_id == excluding:
                continue
            for n in [None, *self.version_numbers(item_id)]:
                try:
                    record = self.get(item_id) if n is None else self.load_version(item_id, n)
                except (DamagedRecord, ValueError) as exc:  # damaged JSON, schema refusal
                    if strict:
                        what = f"record {item_id}" + (f" version {n}" if n else "")
                        raise Conflict(
                            f"{what} is unreadable, so what it names is unknown ({exc}); "
                            "repair it first (`heritage verify` lists damage)"
                        ) from exc
                    continue
                named.update(f["key"] for f in (record or {}).get("files") or [])
        return named

    def save_tombstone(self, tombstone: dict[str, Any]) -> None:
        data = json.dumps(tombstone, ensure_ascii=False, indent=1, sort_keys=True).encode()
        self.store.put_bytes(tombstone_key(tombstone["id"]), data)

    def tombstone(self, item_id: str) -> dict[str, Any] | None:
        """What is left of an item deleted for good, or None."""
        try:
            found: dict[str, Any] = json.loads(self.store.get_bytes(tombstone_key(item_id)))
        except (ObjectNotFound, ValueError):
            return None
        return found

    def tombstone_ids(self) -> Iterator[str]:
        for key in self.store.list(TOMBSTONES_PREFIX):
            if key.endswith(".json"):
                yield key[len(TOMBSTONES_PREFIX) : -len(".json")]

    def load(self, item_id: str) -> Record:
        """The stored record; `RecordNotFound`, or `DamagedRecord` naming the key and problem."""
        return self.load_versioned(item_id)[0]

    def load_versioned(self, item_id: str) -> tuple[Record, str]:
        """The stored record and its store ETag, for a later `save(..., if_match=)`."""
        try:
            key = record_key(item_id)
        except ValueError:
            raise RecordNotFound(item_id) from None
        try:
            data, etag = self.store.get_versioned(key)
        except ObjectNotFound:
            self.damaged.pop(key, None)
            raise RecordNotFound(item_id) from None
        return cast(Record, self._decode(item_id, key, data, schema=True)), etag

    def _decode(self, item_id: str, key: str, data: bytes, *, schema: bool) -> dict[str, Any]:
        """The record in `data` (read from `key`), checked against the schema when `schema`,
        else only for what a reader without the check relies on: its id and a list of file
        objects. `DamagedRecord` naming the key and the problem, which `damaged` keeps."""
        digest = _digest(data) if schema else b""
        try:
            record = _parse(data)
            if schema and digest not in self._validated:
                validate_record(record)  # refuses a damaged or hand-edited record
            if record.get("id") != item_id:
                raise InvalidInput(f"it holds the record of {record.get('id')!r}")
            files = record.get("files")
            if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
                raise InvalidInput("its files are not a list of objects")
        except ValueError as exc:  # bad UTF-8, bad JSON, SchemaError
            self.damaged[key] = str(exc)
            raise DamagedRecord(item_id, key, str(exc)) from exc
        if schema:  # it passed the schema: where a dict becomes a Record
            self.damaged.pop(key, None)
            self._remember(digest)
        return record

    def _remember(self, digest: bytes) -> None:
        """Validation is deterministic for the same bytes: keep the digests of recent ones."""
        self._validated[digest] = None
        self._validated.move_to_end(digest)
        if len(self._validated) > VALIDATED_CACHE_SIZE:
            self._validated.popitem(last=False)

    def files_unchecked(self, item_id: str) -> list[dict[str, Any]] | None:
        """The stored record's `files`, read without the schema check `load` makes (it costs
        more than the read): for an ingest worker asking whether an item's work is done, never
        for writing; the coordinator loads the record with `get` before it commits anything on
        it. None when there is no record; `DamagedRecord` when the bytes hold no files list."""
        try:
            key = record_key(item_id)
            data = self.store.get_bytes(key)
        except (ValueError, ObjectNotFound):
            return None
        files: list[dict[str, Any]] = self._decode(item_id, key, data, schema=False)["files"]
        return files

    def get(self, item_id: str) -> Record | None:
        """The stored record, None when there is none; a damaged one raises `DamagedRecord`."""
        return self.get_versioned(item_id)[0]

    def get_versioned(self, item_id: str) -> tuple[Record, str] | tuple[None, None]:
        """`load_versioned`, or (None, None) when there is no record."""
        try:
            return self.load_versioned(item_id)
        except RecordNotFound:
            return None, None

    def exists(self, item_id: str) -> bool:
        try:
            return self.store.stat(record_key(item_id)) is not None
        except ValueError:
            return False

    def ids(self) -> Iterator[str]:
        for key in self.store.list(RECORDS_PREFIX):
            if key.endswith(".json"):
                yield key[len(RECORDS_PREFIX) : -len(".json")]

    def readable(
        self, on_damaged: Callable[[DamagedRecord], None] | None = None
    ) -> Iterator[Record]:
        """Every record that loads; each damaged one is skipped and passed to `on_damaged`."""
        for item_id in self.ids():
            try:
                record = self.get(item_id)
            except DamagedRecord as damaged:
                if on_damaged:
                    on_damaged(damaged)
                continue
            if record is not None:  # removed since it was listed
                yield record

    def __iter__(self) -> Iterator[Record]:
        return self.readable()

    def save_collection(
        self,
        collection: Mapping[str, Any],
        *,
        create: bool = False,
        over: Mapping[str, Any] | None = None,
    ) -> None:
        """Validate (`collection.schema.json`, text a record can carry), then write: every
        writer (ingest, harvest, the workspace form) stores only a description that reads.
        `create`: only if none is stored; `over`: only while the stored one is still this (a
        person's edit, across replicas). Otherwise `WriteConflict`, nothing written."""
        check_document(collection, what=f"collection {collection.get('slug', '?')}")
        validate_collection(collection)
        data = json.dumps(collection, ensure_ascii=False, indent=1, sort_keys=True).encode()
        key = collection_key(collection["slug"])
        if over is None:
            self.store.put_bytes(key, data, if_none_match=create)
            return
        try:
            stored, etag = self.store.get_versioned(key)
            unchanged = json.loads(stored) == over
        except (ObjectNotFound, ValueError):
            unchanged = False
        if not unchanged:
            raise WriteConflict(f"collection {collection['slug']} has changed since it was read")
        self.store.put_bytes(key, data, if_match=etag)

    def load_collection(self, slug: str) -> dict[str, Any] | None:
        """The collection's description; None when there is none or it is damaged."""
        try:
            return self._described(collection_key(slug))
        except (ObjectNotFound, ValueError):
            return None

    def collection_exists(self, slug: str) -> bool:
        """Is a description stored under this slug (readable or not: a damaged one is still
        there, and a new collection must not replace it)?"""
        try:
            return self.store.stat(collection_key(slug)) is not None
        except ValueError:
            return False

    def collections(self) -> list[dict[str, Any]]:
        """Every readable collection description (a damaged one is left out and remembered)."""
        result = []
        for key in self.store.list(COLLECTIONS_PREFIX):
            if key.endswith(".json"):
                try:
                    result.append(self._described(key))
                except (ObjectNotFound, ValueError):  # removed since listed, or damaged
                    continue
        return result

    def _described(self, key: str) -> dict[str, Any]:
        try:
            described = _parse(self.store.get_bytes(key))
        except ValueError as exc:
            self.damaged[key] = str(exc)
            raise
        self.damaged.pop(key, None)
        return described


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _parse(data: bytes) -> dict[str, Any]:
    """A stored JSON object; ValueError saying what is wrong with the bytes."""
    if not data.strip():
        raise InvalidInput("the file is empty")
    try:
        parsed = json.loads(data)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput(f"a JSON {type(parsed).__name__}, not an object")
    return parsed
