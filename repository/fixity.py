"""Fixity audit: re-read every blob the records reference, recompute its sha256, find orphans.

Streams each blob (bounded memory) and checks each distinct blob once even when several records
share it (content addressing makes that common for derivatives). A full run also lists the blobs
no record references (orphans: left by a killed ingest, or by a lost record); `tmp/` and other
prefixes are not blobs and are never listed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from repository.keys import BLOBS_PREFIX, record_key
from repository.records import RecordNotFound, RecordStore, make_event
from repository.store import ObjectNotFound, ObjectStore

FIXITY_AGENT = "heritage-verify"
PROBLEMS = {"missing": "missing", "changed": "changed", "unreadable": "unreadable records"}
"""Each kind of damage, and how a summary counts it."""


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
    digest = hashlib.sha256()
    seen = 0
    try:
        for chunk in store.open_range(key):
            digest.update(chunk)
            seen += len(chunk)
    except ObjectNotFound:
        return "missing", f"no object at {key}"
    if seen != size or digest.hexdigest() != sha256:
        found = f"found {seen} bytes sha256 {digest.hexdigest()}"
        return "changed", f"expected {size} bytes sha256 {sha256}, {found}"
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
    loaded: dict[str, dict[str, Any] | None] = {}
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


def _load(records: RecordStore, item_id: str, result: FixityResult) -> dict[str, Any] | None:
    try:
        return records.load(item_id)
    except (ValueError, RecordNotFound) as exc:  # bad JSON, schema violation, vanished
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
