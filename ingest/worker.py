"""The work of one item, run in a worker process: identify, store originals, make derivatives.

A task is plain picklable data and the worker opens its own store from the `StoreConfig`, so the
same function can later run on a distributed pool. Originals are streamed into the store and
hashed while copying (one read); derivatives are made in a temporary folder that is removed
whatever happens. Nothing here writes a record: the main process does that last.
"""

from __future__ import annotations

import hashlib
import signal
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ingest.discover import SourceFile
from ingest.errors import ImageError
from ingest.identify import identify, require_supported
from ingest.media.image import make_image_derivatives
from repository import ObjectStore, RecordStore, StoreConfig, blob_key, open_store


@dataclass(frozen=True)
class Task:
    files: tuple[SourceFile, ...]
    collection: str
    identifier: str | None  # the manifest identifier; None = derive the id from content
    store_config: StoreConfig
    max_pixels: int
    dry_run: bool
    scratch: Path  # parent of this task's temporary folder


@dataclass
class FileResult:
    """One original and what was made from it."""

    relpath: str
    format: str
    entries: list[dict[str, Any]]  # record `files` entries: original, access, thumbnail
    technical: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return str(self.entries[0]["sha256"])


@dataclass
class TaskResult:
    item_id: str
    files: list[FileResult]
    reused: bool = False  # a stored record already has these originals; no derivatives made


def item_id(collection: str, identifier: str) -> str:
    digest = hashlib.sha256(f"{collection}\0{identifier}".encode()).hexdigest()
    return f"{collection}-{digest[:12]}"


def content_identifier(sha256: str) -> str:
    """The identifier of an item the manifest gave none: its first original's content."""
    return f"sha256:{sha256}"


def init_worker() -> None:
    """Ctrl-C is the main process's to handle: it cancels what has not started and waits for
    the items in progress (seconds each), so workers neither die mid-item nor print tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@cache
def _store(config: StoreConfig) -> ObjectStore:
    return open_store(config)  # one per worker process, reused across its tasks


def process(task: Task) -> TaskResult:
    """Raises ItemError (naming the file) when a file cannot be ingested."""
    store = None if task.dry_run else _store(task.store_config)
    formats = [identify(source.path, source.relpath) for source in task.files]
    for source, fmt in zip(task.files, formats, strict=True):
        require_supported(fmt, source.relpath)  # before any byte is stored
    originals: list[FileResult] = []
    for source, fmt in zip(task.files, formats, strict=True):
        entry = {"role": "original", "name": source.relpath, "media_type": fmt.mime}
        entry.update(_put(store, source.path))
        entry["format"] = fmt.name
        originals.append(FileResult(source.relpath, fmt.name, [entry]))
    identifier = task.identifier or content_identifier(originals[0].sha256)
    result = TaskResult(item_id(task.collection, identifier), originals)
    if store is not None and _already_stored(store, result):
        result.reused = True
        return result
    task.scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="item-", dir=task.scratch) as tmp:
        for number, (source, original) in enumerate(zip(task.files, originals, strict=True)):
            try:
                made = make_image_derivatives(
                    source.path, Path(tmp) / str(number), max_pixels=task.max_pixels
                )
            except ImageError as exc:  # name the file as the archivist knows it
                raise ImageError(source.relpath, exc.problem) from None
            original.entries[0].update(width=made.technical.width, height=made.technical.height)
            for role, derivative in (("access", made.access), ("thumbnail", made.thumbnail)):
                entry = {"role": role, "media_type": derivative.media_type, "format": "JPEG"}
                entry.update(_put(store, derivative.path))
                entry.update(width=derivative.width, height=derivative.height)
                original.entries.append(entry)
            # One name per format across the record: the one identify gave the original.
            original.technical = {**made.technical.to_record(), "format": original.format}
            original.notes = list(made.notes)
    return result


def _put(store: ObjectStore | None, path: Path) -> dict[str, Any]:
    """Store a file as a blob (or, in a dry run, only hash it): key, sha256 and size."""
    with path.open("rb") as handle:
        if store is None:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
            return {"key": blob_key(sha), "sha256": sha, "bytes": path.stat().st_size}
        blob = store.put_blob(handle)
    return {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}


def _already_stored(store: ObjectStore, result: TaskResult) -> bool:
    """A record with this id already holds exactly these originals: derivatives exist too."""
    record = RecordStore(store).get(result.item_id)
    if record is None:
        return False
    stored = [f["sha256"] for f in record["files"] if f["role"] == "original"]
    return stored == [f.sha256 for f in result.files]
