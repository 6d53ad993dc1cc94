"""Copy a whole repository from one store to another, verifying every checksum.

This is how a small culture centre running the embedded default joins a provincial platform:
every blob is streamed across and re-hashed on arrival (a blob whose content does not match its
address is reported, never copied under a wrong name); records are copied only after every blob
they point to is present in the target, so the target never holds a record with missing files.
A re-run skips what already arrived (same key, same size), so an interrupted transfer resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from repository.keys import BLOBS_PREFIX, RECORDS_PREFIX
from repository.records import RecordStore
from repository.store import ObjectStore
from repository.streams import IteratorReader

Progress = Callable[[str, str], None]  # (phase, key)


@dataclass
class TransferReport:
    copied: int = 0
    skipped: int = 0  # already present in the target with the same size
    records: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _copy_blob(source: ObjectStore, target: ObjectStore, key: str, report: TransferReport) -> None:
    expected_sha = key.rsplit("/", 1)[-1]
    src_info = source.stat(key)
    if src_info is None:
        report.problems.append(f"{key}: vanished from the source during the transfer")
        return
    existing = target.stat(key)
    if existing is not None and existing.size == src_info.size:
        report.skipped += 1
        return
    blob = target.put_blob(IteratorReader(source.open_range(key)))
    if blob.sha256 != expected_sha:
        # The target stored it under its true address; drop that copy unless something uses it.
        if not blob.existed:
            target.delete(blob.key)
        report.problems.append(
            f"{key}: content at the source is damaged (sha256 {blob.sha256}); not copied"
        )
        return
    report.copied += 1
    report.bytes += blob.size


def transfer(
    source: ObjectStore, target: ObjectStore, progress: Progress | None = None
) -> TransferReport:
    """Copy blobs, then documents, then records (the commit points) from `source` to `target`."""
    report = TransferReport()
    for key in source.list(BLOBS_PREFIX):
        if progress:
            progress("blobs", key)
        _copy_blob(source, target, key, report)

    for key in source.list(""):
        if key.startswith((BLOBS_PREFIX, RECORDS_PREFIX, "tmp/")):
            continue
        if progress:
            progress("documents", key)
        data = source.get_bytes(key)
        existing = target.stat(key)
        if existing is not None and existing.size == len(data) and target.get_bytes(key) == data:
            report.skipped += 1
            continue
        target.put_bytes(key, data)
        report.copied += 1

    source_records, target_records = RecordStore(source), RecordStore(target)
    for item_id in source_records.ids():
        if progress:
            progress("records", item_id)
        try:
            record = source_records.load(item_id)
        except Exception as exc:  # a damaged record is reported, the others go on
            report.problems.append(f"record {item_id}: cannot be read at the source: {exc}")
            continue
        missing = [f["key"] for f in record["files"] if target.stat(f["key"]) is None]
        if missing:
            report.problems.append(
                f"record {item_id}: not copied, {len(missing)} file(s) missing in the target"
            )
            continue
        if target_records.get(item_id) != record:
            target_records.save(record)
        report.records += 1
    return report
