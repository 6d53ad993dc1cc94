"""The work of one item, run in a worker process: identify, make derivatives, store them all.

A task is plain picklable data (`ingest.task`) and the worker opens its own store from the
`StoreConfig`, so the same function runs on the local pools and on the queue's workers. Nothing is
stored until every file of the item has been identified and decoded: a file that fails leaves no
blob behind (a run killed while storing may still leave some; they are reused by the re-run, and
`heritage verify` lists them). An image (up to `ITEM_SNAPSHOTS` an item) is read from the disk
once, whole, into a reused buffer (`repository.store.Snapshot`): that read is hashed (is the item
stored already?), decoded by the makers and written into the store as it is; the file must be
unchanged when the item is committed. Other originals are read once to hash them, once by the
makers and once into the store, where the copy is hashed again and must match. Derivatives are made
in a temporary folder that is removed whatever happens (success, failure, KeyboardInterrupt).
Nothing here writes a record: the main process does that last.

Two channels come from the main process when the pool starts (`init_worker`): a queue on which
long steps are announced — `(file, stage)` — for the progress display, and a cancel event that an
interrupted run sets, so running ffmpeg processes stop instead of finishing long transcodes.
"""

from __future__ import annotations

import hashlib
import io
import signal
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from ingest.captions import CaptionError, caption_entry, read_caption_file
from ingest.discover import SourceFile
from ingest.errors import ItemError
from ingest.identify import (
    AV_KINDS,
    MULTIPAGE_TIFF,
    PDF,
    Format,
    identify,
    name_mismatch,
    require_supported,
)
from ingest.media import ffmpeg
from ingest.media.ffmpeg import OnStage
from ingest.normalize import normalize
from ingest.ocr import available as ocr_available
from ingest.ocr import ocr_record
from ingest.task import FileResult, Task, TaskResult, content_identifier, item_id
from ingest.text import joined_text, joined_text_pages
from repository import ObjectStore, RecordStore, StoreConfig, blob_key, open_store
from repository.store import SNAPSHOT_MAX, Snapshot, SourceChanged, StagedBlob, snapshot_of
from schemas.errors import HeritageError

LONG_KINDS = AV_KINDS | {"document"}
"""Kinds whose steps are announced on the stage queue (images are too quick to bother)."""
ITEM_SNAPSHOTS = 64 * 1024 * 1024  # an item's images read whole at once, at most


class _Queue(Protocol):
    def put(self, obj: Any, /) -> None: ...


class _Event(Protocol):
    def is_set(self) -> bool: ...


_stages: _Queue | None = None
_cancel: _Event | None = None


def init_worker(stages: _Queue | None = None, cancel: _Event | None = None) -> None:
    """Ctrl-C is the main process's to handle: it sets `cancel` (running ffmpeg processes stop)
    and waits for the items in progress, so workers neither die mid-item nor print tracebacks.

    The worker started with SIGINT blocked (`ingest.pool.spawning_workers`): ignoring it
    discards one that came while it started, and then it may be unblocked."""
    global _stages, _cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _stages, _cancel = stages, cancel
    ffmpeg.cancel_when(cancel)


@cache
def _store(config: StoreConfig) -> ObjectStore:
    return open_store(config)  # one per worker process, reused across its tasks


def process(task: Task) -> TaskResult:
    """Raises ItemError (naming the file) when a file cannot be ingested."""
    if _cancel is not None and _cancel.is_set():
        raise ItemError(task.files[0].relpath, "not started: the ingest run was interrupted")
    store = None if task.dry_run else _store(task.store_config)
    formats = [identify(source.path, source.relpath) for source in task.files]
    for source, fmt in zip(task.files, formats, strict=True):
        require_supported(fmt, source.relpath)  # before any byte is read further
    with ExitStack() as held:
        snapshots = _snapshots(task.files, formats, held)
        result = _made(task, store, formats, snapshots)
    _read_captions(store, task, result)
    if not result.reused:
        _read_pages(store, task, result)
    return result


def _snapshots(
    files: tuple[SourceFile, ...], formats: list[Format], held: ExitStack
) -> list[Snapshot | None]:
    """The item's images read whole (up to `ITEM_SNAPSHOTS` together), kept until `held`
    closes: one read serves the hash, the copy into the store and the decoder."""
    room = ITEM_SNAPSHOTS
    snapshots: list[Snapshot | None] = []
    for source, fmt in zip(files, formats, strict=True):
        snapshot = None
        if fmt.kind == "image":
            try:
                snapshot = held.enter_context(snapshot_of(source.path, min(SNAPSHOT_MAX, room)))
            except SourceChanged:
                raise _changed(source) from None
        room -= snapshot.size if snapshot else 0
        snapshots.append(snapshot)
    return snapshots


def _made(
    task: Task,
    store: ObjectStore | None,
    formats: list[Format],
    snapshots: list[Snapshot | None],
) -> TaskResult:
    """The item's originals hashed and, unless it is stored already, its derivatives made and
    everything stored."""
    originals = [
        FileResult(
            source.relpath,
            fmt.name,
            fmt.kind,
            [_original_entry(source, fmt, snapshot)],
            misnamed=name_mismatch(fmt, source.relpath),
        )
        for source, fmt, snapshot in zip(task.files, formats, snapshots, strict=True)
    ]
    identifier = task.identifier or content_identifier(originals[0].sha256)
    result = TaskResult(item_id(task.collection, identifier), originals)
    if store is not None and _already_stored(store, result):
        for source, original, snapshot in zip(task.files, originals, snapshots, strict=True):
            if store.stat(original.entries[0]["key"]) is None:  # lost since: `verify` says so
                with _Originals(store) as lost:
                    lost.commit(source, original, snapshot)
        result.reused = True
        return result
    task.scratch.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="item-", dir=task.scratch) as tmp,
        _Originals(store) as stored,
    ):
        for source, fmt, original, snapshot in zip(
            task.files, formats, originals, snapshots, strict=True
        ):
            if fmt.kind == "image":
                stored.stage(source, original, snapshot)
        made = [
            normalize(
                source.path,
                source.relpath,
                fmt,
                Path(tmp) / str(number),
                task.settings,
                _stage_of(source.relpath) if fmt.kind in LONG_KINDS else None,
                data=snapshot.data if snapshot else None,
            )
            for number, (source, fmt, snapshot) in enumerate(
                zip(task.files, formats, snapshots, strict=True)
            )
        ]
        for source, fmt, original, normalized, snapshot in zip(
            task.files, formats, originals, made, snapshots, strict=True
        ):
            long = fmt.kind in LONG_KINDS
            if long:
                _announce(source.relpath, "storing original")
            stored.commit(source, original, snapshot)
            original.entries[0].update(normalized.original)
            if long and normalized.derived:
                _announce(source.relpath, "storing copies")
            for derived in normalized.derived:
                original.entries.append({**derived.entry, **_put(store, derived.path)})
            original.media_type = normalized.media_type
            original.technical = normalized.technical
            original.notes = normalized.notes
            original.warnings = normalized.warnings
            original.text = normalized.text
            original.text_pages = normalized.text_pages
    return result


def _read_pages(store: ObjectStore | None, task: Task, result: TaskResult) -> None:
    """OCR of a new document's pages that have no text layer, here, where its page pictures
    were made: on any worker of the queue, not in the coordinator, which commits the items one
    after another. A draft of the record holds what `ingest.ocr` reads and writes."""
    if store is None or task.ocr is None or {f.media_type for f in result.files} != {"document"}:
        return
    if not ocr_available():
        return  # the coordinator reads them if it can, or says why not
    draft: dict[str, Any] = {
        "files": [entry for file in result.files for entry in file.entries],
        "language": list(task.languages),
    }
    text = joined_text(result.files)
    if text:
        draft["text"] = text
        if pages := joined_text_pages(result.files, text):
            draft["text_pages"] = pages
    for file in result.files:
        if file.media_type in LONG_KINDS:
            _announce(file.relpath, "reading text (OCR)")
    result.ocr_ran = True
    try:
        outcome = ocr_record(draft, store, task.ocr)
    except (HeritageError, OSError) as exc:
        result.ocr_notes.append(f"OCR failed ({exc})")
        return
    result.ocr_notes += [f"OCR: {warning}" for warning in outcome.warnings]
    if outcome.error:
        result.ocr_notes.append(f"OCR: {outcome.error}")
    if outcome.changed:
        result.ocr = {name: draft[name] for name in ("text", "text_pages", "ocr") if name in draft}
        result.ocr["file"] = next(f for f in draft["files"] if f["role"] == "ocr")


def _read_captions(store: ObjectStore | None, task: Task, result: TaskResult) -> None:
    """Read, convert and store the item's caption files. A bad one is dropped with a note
    naming it; the item is stored without it."""
    owner = next((f for f in result.files if f.media_type in AV_KINDS), None)
    for caption in task.captions:
        name = caption.source.relpath
        if owner is None:
            result.caption_notes.append(
                f"{name}: the captions were dropped: the item has no video or audio"
            )
            continue
        try:
            captions = read_caption_file(caption.source.path, name)
        except CaptionError as exc:
            result.caption_notes.append(f"{exc}; the captions were dropped")
            continue
        stored = _put_bytes(store, captions.vtt)
        kind = "transcript" if owner.media_type == "audio" else "captions"
        language = caption.language or task.caption_language
        result.captions.append(caption_entry(captions, name, language, kind, stored))


def _put_bytes(store: ObjectStore | None, data: bytes) -> dict[str, Any]:
    """Like `_put`, for bytes made in memory."""
    if store is None:
        sha = hashlib.sha256(data).hexdigest()
        return {"key": blob_key(sha), "sha256": sha, "bytes": len(data)}
    blob = store.put_blob(io.BytesIO(data))
    return {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}


def _original_entry(source: SourceFile, fmt: Format, snapshot: Snapshot | None) -> dict[str, Any]:
    """The original's `files` entry from its bytes (hashed, not stored yet)."""
    entry: dict[str, Any] = {"role": "original", "name": source.relpath, "media_type": fmt.mime}
    if snapshot is None:
        entry.update(_put(None, source.path))
    else:
        entry.update(key=blob_key(snapshot.sha256), sha256=snapshot.sha256, bytes=snapshot.size)
    entry["format"] = fmt.name
    return entry


class _Originals:
    """Stores an item's originals (not in a dry run) once all its files are made.

    An image's original can be staged first: copied into the store in a thread while the
    derivatives are made (the copy waits on the disk, the maker on the CPU; both let go of the
    GIL), published by `commit`, and dropped when the item fails, so a failed item still leaves
    no blob. Long kinds are stored after they are made: a staged file is not touched while a
    transcode runs, and the store removes temporary files left untouched for long.
    What is stored must be what was hashed, and the file must not have changed meanwhile: a
    snapshot is written as it was read and hashed, and its file checked unchanged at commit;
    a file read from the disk is checked by the store while it copies (not hashed a third
    time)."""

    def __init__(self, store: ObjectStore | None):
        self.store = store
        self.staging: dict[str, Future[StagedBlob]] = {}
        self.copier: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Originals:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for future in self.staging.values():  # only those of an item that failed
                with suppress(Exception):
                    future.result().discard()
        finally:
            if self.copier is not None:
                self.copier.shutdown(wait=True)

    def stage(self, source: SourceFile, original: FileResult, snapshot: Snapshot | None) -> None:
        if self.store is None:
            return
        if self.copier is None:
            self.copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="original")
        self.staging[source.relpath] = self.copier.submit(self._put, source, original, snapshot)

    def commit(self, source: SourceFile, original: FileResult, snapshot: Snapshot | None) -> None:
        if self.store is None:
            return
        future = self.staging.pop(source.relpath, None)
        staged = future.result() if future else self._put(source, original, snapshot)
        if snapshot is not None and snapshot.changed():
            staged.discard()
            raise _changed(source)
        staged.commit()

    def _put(
        self, source: SourceFile, original: FileResult, snapshot: Snapshot | None
    ) -> StagedBlob:
        assert self.store is not None
        if snapshot is not None:
            return self.store.stage_blob(snapshot)
        entry = original.entries[0]
        try:
            with source.path.open("rb") as handle:
                return self.store.stage_blob(handle, known=(entry["sha256"], entry["bytes"]))
        except SourceChanged:
            raise _changed(source) from None


def _changed(source: SourceFile) -> ItemError:
    return ItemError(
        source.relpath,
        "the file changed while it was being ingested; run the ingest again once it is final",
    )


def _announce(relpath: str, stage: str) -> None:
    if _stages is not None:
        _stages.put((relpath, stage))


def _stage_of(relpath: str) -> OnStage | None:
    if _stages is None:
        return None
    return lambda stage: _announce(relpath, stage)


def _put(store: ObjectStore | None, path: Path) -> dict[str, Any]:
    """Store a file as a blob (or, in a dry run, only hash it): key, sha256 and size. A file
    small enough for a snapshot (a photo's copies) is read once, for its hash and its write."""
    with snapshot_of(path) as snapshot:
        if snapshot is not None:
            if store is not None:
                store.put_blob(snapshot)
            sha = snapshot.sha256
            return {"key": blob_key(sha), "sha256": sha, "bytes": snapshot.size}
    with path.open("rb") as handle:
        if store is None:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
            return {"key": blob_key(sha), "sha256": sha, "bytes": path.stat().st_size}
        blob = store.put_blob(handle)
    return {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}


def _already_stored(store: ObjectStore, result: TaskResult) -> bool:
    """A record with this id already holds exactly these originals: derivatives exist too —
    unless it is a paged document stored before pages had images (then they are made now)."""
    files = RecordStore(store).files_unchecked(result.item_id)  # the coordinator checks it
    if files is None:
        return False
    originals = [f for f in files if f.get("role") == "original"]
    if [f.get("sha256") for f in originals] != [f.sha256 for f in result.files]:
        return False
    return not _lacks_pages(files)


_PAGED = frozenset({PDF.name, MULTIPAGE_TIFF.name})


def _lacks_pages(files: list[dict[str, Any]]) -> bool:
    """A PDF or multi-page TIFF of several pages whose record has no page image at all."""
    paged = any(
        f.get("format") in _PAGED and isinstance(f.get("pages"), int) and f["pages"] > 1
        for f in files
    )
    return paged and not any(f.get("role") == "page" for f in files)
