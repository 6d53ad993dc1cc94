"""Fixity audit: re-read every blob a record references and compare its sha256 and size.

Streams each blob (bounded memory), and checks each distinct blob once even when several
records share it (content addressing makes that common for derivatives).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from repository import ObjectNotFound, ObjectStore, RecordNotFound, RecordStore, record_key


@dataclass(frozen=True)
class Damage:
    item_id: str
    role: str
    key: str
    problem: str  # "missing", "changed" or "unreadable" (the record itself)
    detail: str


@dataclass
class AuditResult:
    records: int = 0
    blobs: int = 0
    bytes: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage


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


def audit(records: RecordStore, on_record: Callable[[str], None] | None = None) -> AuditResult:
    """Check every record (it must load and validate) and every blob it references."""
    result = AuditResult()
    verdicts: dict[str, tuple[str, str] | None] = {}
    for item_id in records.ids():
        result.records += 1
        try:
            record = records.load(item_id)
        except (ValueError, RecordNotFound) as exc:  # bad JSON, schema violation, vanished
            key = record_key(item_id)
            result.damage.append(Damage(item_id, "record", key, "unreadable", str(exc)))
            continue
        for file in record.get("files", []):
            key = file["key"]
            if key not in verdicts:
                verdicts[key] = check_blob(records.store, key, file["sha256"], file["bytes"])
                result.blobs += 1
                result.bytes += file["bytes"]
            if (verdict := verdicts[key]) is not None:
                result.damage.append(Damage(item_id, file["role"], key, *verdict))
        if on_record:
            on_record(item_id)
    return result
