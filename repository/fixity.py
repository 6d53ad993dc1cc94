"""Fixity: the audit (`heritage verify`), the damage marks it leaves, and checks on read.

The audit streams each blob (bounded memory) and checks each distinct blob once even when several
records share it (content addressing makes that common for derivatives). A full run also lists
the blobs no record references (orphans: left by a killed ingest, or by a lost record); `tmp/`
and other prefixes are not blobs and are never listed.

A damaged item is marked by its events: a failed `fixity-check` event names the damaged files'
keys; a later run that finds them intact again (restored from a copy) appends a successful one,
which lifts the mark. `damaged_keys` reads the mark; file routes refuse to serve marked files.
Between audits, `read_verified` and `verified_chunks` check the bytes they hand out.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from repository.keys import BLOBS_PREFIX, record_key
from repository.records import DamagedRecord, RecordNotFound, RecordStore, make_event
from repository.store import ObjectNotFound, ObjectStore
from schemas.errors import Unavailable
from schemas.record import Record

FIXITY_AGENT = "heritage-verify"
PROBLEMS = {"missing": "missing", "changed": "changed", "unreadable": "unreadable records"}
"""Each kind of damage, and how a summary counts it."""
MAX_DETAIL = 4000
"""The longest event detail the record schema allows (`make_event` cuts there)."""


class ContentDamaged(Unavailable):
    """A stored file is missing, or its bytes no longer match the size and sha256 recorded."""

    def __init__(self, key: str, problem: str, detail: str):
        super().__init__(f"stored file {key} is {problem}: {detail}")
        self.key = key
        self.problem = problem  # "missing" or "changed", as in `Damage`
        self.detail = detail

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.key, self.problem, self.detail))  # picklable, like DamagedRecord


@dataclass(frozen=True)
class Damage:
    item_id: str
    role: str
    key: str
    problem: str  # "missing", "changed" or "unreadable" (the record itself)
    detail: str


@dataclass
class FixityResult:
    records: int = 0
    blobs: int = 0
    bytes: int = 0
    damage: list[Damage] = field(default_factory=list)
    orphans: list[str] | None = None  # None: not looked for (a sample or one collection)
    checked: list[str] = field(default_factory=list)  # the ids of the records checked

    @property
    def ok(self) -> bool:
        return not self.damage

    def damaged_items(self) -> dict[str, list[Damage]]:
        found: dict[str, list[Damage]] = {}
        for damage in self.damage:
            found.setdefault(damage.item_id, []).append(damage)
        return found

    def summary(self) -> str:
        text = f"checked {self.records} records, {self.blobs} files ({self.bytes / 1e6:.1f} MB): "
        if self.ok:
            text += "all intact"
        else:
            text += ", ".join(
                f"{sum(d.problem == problem for d in self.damage)} {label}"
                for problem, label in PROBLEMS.items()
            )
        return text + (f"; {len(self.orphans)} orphaned blobs" if self.orphans is not None else "")


def check_blob(store: ObjectStore, key: str, sha256: str, size: int) -> tuple[str, str] | None:
    """None when the blob is intact, else (problem, detail)."""
    try:
        for _ in verified_chunks(store, {"key": key, "sha256": sha256, "bytes": size}):
            pass
    except ContentDamaged as damaged:
        return damaged.problem, damaged.detail
    return None


def audit(
    records: RecordStore,
    *,
    collection: str | None = None,
    sample: int | None = None,
    on_record: Callable[[str], None] | None = None,
    rng: random.Random | None = None,
) -> FixityResult:
    """Check records (each must load and validate) and every blob they reference.

    `collection` limits the check to one collection, `sample` to that many records chosen at
    random; orphans are looked for only on a full run, when every reference is known.
    """
    result = FixityResult()
    loaded: dict[str, Record | None] = {}
    ids = list(records.ids())
    if collection is not None:
        for item_id in ids:
            loaded[item_id] = _load(records, item_id, result)
        # an unreadable record cannot say its collection: it is reported whatever the filter
        ids = [i for i in ids if (r := loaded[i]) is not None and r["collection"] == collection]
    if sample is not None and sample < len(ids):
        ids = sorted((rng or random.SystemRandom()).sample(ids, sample))
    verdicts: dict[str, tuple[str, str] | None] = {}
    for item_id in ids:
        result.records += 1
        result.checked.append(item_id)
        record = loaded[item_id] if item_id in loaded else _load(records, item_id, result)
        for file in record.get("files", []) if record else []:
            key = file["key"]
            if key not in verdicts:
                verdicts[key] = check_blob(records.store, key, file["sha256"], file["bytes"])
                result.blobs += 1
                result.bytes += file["bytes"]
            if (verdict := verdicts[key]) is not None:
                result.damage.append(Damage(item_id, file["role"], key, *verdict))
        if on_record:
            on_record(item_id)
    if collection is None and sample is None:
        # a blob only an earlier version names (a re-ingest replaced it) is history, not an orphan
        referenced = set(verdicts) | records.blob_references(strict=False)
        result.orphans = [k for k in records.store.list(BLOBS_PREFIX) if k not in referenced]
    return result


def _load(records: RecordStore, item_id: str, result: FixityResult) -> Record | None:
    try:
        return records.load(item_id)
    except (DamagedRecord, RecordNotFound) as exc:  # bad JSON, schema violation, vanished
        result.damage.append(Damage(item_id, "record", record_key(item_id), "unreadable", str(exc)))
        return None


def record_damage_events(
    records: RecordStore, result: FixityResult, agent: str = FIXITY_AGENT
) -> list[str]:
    """Append a failed fixity-check event to every damaged item whose record still loads.

    Each record is re-read just before it is written, so an edit made during the (long) audit is
    kept. `modified` is left alone: the description did not change. Returns the ids written.
    """
    written = []
    for item_id, damages in result.damaged_items().items():
        if any(d.problem == "unreadable" for d in damages):
            continue
        record = records.get(item_id)
        if record is None:
            continue
        detail = "; ".join(f"{d.problem}: {d.role} {d.key}: {d.detail}" for d in damages)
        record["events"].append(make_event("fixity-check", agent, "failure", detail))
        records.save(record)
        written.append(item_id)
    return written


def record_repair_events(
    records: RecordStore, result: FixityResult, agent: str = FIXITY_AGENT
) -> list[str]:
    """Append a successful fixity-check event to every checked item that is intact now but was
    marked damaged (its files were restored): that lifts the mark. Returns the ids written."""
    damaged = set(result.damaged_items())
    written = []
    for item_id in result.checked:
        if item_id in damaged:
            continue
        record = records.get(item_id)  # re-read: an edit made during the audit is kept
        if record is None or not damaged_keys(record):
            continue
        detail = f"intact again: all {len(record['files'])} files match their sha256"
        record["events"].append(make_event("fixity-check", agent, "success", detail))
        records.save(record)
        written.append(item_id)
    return written


def damaged_keys(record: Mapping[str, Any]) -> set[str]:
    """The keys of the record's files that its last fixity check found damaged (none if it
    passed). A detail cut at the schema's limit may not name them all: then all are suspect."""
    checks = [e for e in record.get("events", []) if e["type"] == "fixity-check"]
    if not checks or checks[-1]["outcome"] != "failure":
        return set()
    detail = checks[-1].get("detail", "")
    keys = {f["key"] for f in record["files"]}
    return keys if len(detail) >= MAX_DETAIL else {k for k in keys if k in detail}


def read_verified(store: ObjectStore, file: dict[str, Any]) -> bytes:
    """The whole file once its size and sha256 match the record's, else `ContentDamaged`.
    For small files, where reading everything before sending a byte is cheap."""
    return b"".join(verified_chunks(store, file))


def verified_chunks(store: ObjectStore, file: dict[str, Any]) -> Iterator[bytes]:
    """The chunks of a whole file, hashed on the way. The object is opened at once (a missing
    one raises here, before any response starts); the last chunk is held back until the sha256
    is known, and `ContentDamaged` raised instead of it when the bytes are wrong, so a receiver
    never gets a complete body of damaged bytes: its transfer ends short and fails."""
    key = file["key"]
    try:
        chunks = store.open_range(key)
    except ObjectNotFound:
        raise ContentDamaged(key, "missing", f"no object at {key}") from None
    return _verifying(chunks, file)


def _verifying(chunks: Iterator[bytes], file: dict[str, Any]) -> Iterator[bytes]:
    digest = hashlib.sha256()
    seen = 0
    held: bytes | None = None
    for chunk in chunks:
        digest.update(chunk)
        seen += len(chunk)
        if held is not None:
            yield held
        held = chunk
    if seen != file["bytes"] or digest.hexdigest() != file["sha256"]:
        expected = f"expected {file['bytes']} bytes sha256 {file['sha256']}"
        found = f"found {seen} bytes sha256 {digest.hexdigest()}"
        raise ContentDamaged(file["key"], "changed", f"{expected}, {found}")
    if held is not None:
        yield held
