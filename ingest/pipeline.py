"""`run_ingest`: discover → pair with manifest → (workers) identify, derive, store → record → index.

The main process unpacks archives and bags, reads the manifest, plans one work unit per manifest
item or unmatched file (a file whose row was refused waits for the row) and hands the units to
process pools. Each worker decodes all of an item's files, then stores the originals and
derivatives as content-addressed blobs (an item that fails stores nothing); back in the main
process the record is built, validated and saved LAST — the commit point — and then indexed. A
run killed anywhere leaves at most orphan blobs, never a record pointing at missing ones, and
running the same command again finishes the job: existing items come back "unchanged", nothing
is stored twice. A re-run never undoes what people decided or edited since (see `ingest.record`).

Transcoding must not starve the photos: units with video or audio go to a pool of their own,
`ffmpeg_concurrency` processes (each runs one ffmpeg at a time), beside the `workers` pool for
images and documents. Each pool's results are committed in plan order, the two interleaved as
they finish, so a long transcode holds up no photo. An interrupted run (Ctrl-C) sets a cancel
event that stops running ffmpeg processes; every temporary folder is removed on the way out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex
from typing import Any, Protocol

from ingest.authorities import Linker
from ingest.captions import ORPHAN, CaptionSource, is_caption_name, plan_captions
from ingest.discover import SourceFile, discover
from ingest.errors import IngestError, ItemError, RowError
from ingest.identify import AV_KINDS, HEAD_BYTES, sniff
from ingest.manifest import (
    Manifest,
    ManifestRow,
    Pairing,
    RowFailure,
    load_manifest,
    pair_rows,
)
from ingest.media.ffmpeg import TranscodeSettings
from ingest.metadata import bag_provenance, bag_values, row_fields
from ingest.neardup import Near, NearTable, looks_like, photos_of, stored_photos
from ingest.ocr import OcrLimits, available, ocr_record
from ingest.pool import AV_LANE, GENERAL_LANE, Workers, process, spawning_workers
from ingest.record import (
    Defaults,
    add_events,
    build_record,
    field_changes,
    keep_curated,
    same_content,
)
from ingest.report import IngestInterrupted, IngestReport, ItemOutcome, Outcome
from ingest.task import DocumentLimits, Settings, Task, TaskResult
from ingest.unpack import UnpackLimits
from repository import DamagedRecord, RecordStore, StoreConfig, now_iso, open_store
from repository.authorities import AuthorityStore
from repository.keys import is_valid_slug, report_key
from repository.store import WriteConflict
from schemas.errors import HeritageError, InvalidInput, Unavailable
from schemas.text import check_document
from search.base import SearchIndex
from search.screening import screen_for, screen_record

STATUSES = ("draft", "review", "published", "withdrawn")
ACCESS_LEVELS = ("public", "institution", "restricted")
_REPAIR = "run `heritage reindex` to repair the search index"
REINDEX_BATCH = 200  # unchanged records indexed again together
STAGE_POLL = 0.25  # seconds between looks for stage announcements while items run


def default_ffmpeg_concurrency() -> int:
    """Half the cores (ffmpeg is multi-threaded itself), at least one: 1 on a 2-core laptop."""
    return max(1, (os.cpu_count() or 1) // 2)


@dataclass(frozen=True)
class IngestOptions:
    collection: str
    manifest: Path | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    dry_run: bool = False
    default_status: str = "draft"
    default_access: str = "public"
    institution: str = "local"
    agent: str = "heritage-ingest"
    max_image_pixels: int = 250_000_000
    transcode: TranscodeSettings = field(default_factory=TranscodeSettings)
    documents: DocumentLimits = field(default_factory=DocumentLimits)  # pages and text
    ffmpeg_concurrency: int = field(default_factory=default_ffmpeg_concurrency)
    unpack_limits: UnpackLimits = field(default_factory=UnpackLimits)
    sensitive_terms_file: Path | None = None  # None: the shipped list
    overwrite_edits: bool = False  # re-runs replace fields people edited (never decisions)
    ocr: OcrLimits | None = None  # read new documents' pages without text (None: no OCR)


class ProgressCallback(Protocol):
    """What the CLI's progress bar is driven with.

    It may also have `stage(name: str, stage: str) -> None`, told when a long step of one file
    starts — "transcoding video (95 s)", "poster frame", "waveform", "reading PDF",
    "storing original", "storing copies", "reading text (OCR)" — so a display can show what a
    slow item is doing. It is optional: a progress object without it works unchanged (and no
    stages are sent).
    """

    def start(self, total: int) -> None:
        """Called once, before any item finishes, with the number of items to report."""

    def advance(self, name: str, outcome: str) -> None:
        """One item is done: `name` is its file(s) or manifest row, `outcome` as in the report."""


ExecutorFactory = Callable[[str, int], Executor]
"""Makes the executor of a lane (`"general"` or `"av"`, and the lane's width) that runs
`ingest.worker.process` on each item's `Task`. None: process pools on this machine;
`api.operations.queue.ItemFanout`: each item a message to queue workers on any machine."""


@dataclass
class _Unit:
    files: list[SourceFile]
    row: ManifestRow | None
    fields: dict[str, Any]
    warnings: list[str] = field(default_factory=list)  # names its row links to no authority
    captions: list[CaptionSource] = field(default_factory=list)

    @property
    def source(self) -> str:
        return "; ".join(f.relpath for f in self.files)


def run_ingest(
    paths: Sequence[Path],
    options: IngestOptions,
    store_config: StoreConfig,
    index: SearchIndex | None,
    progress: ProgressCallback | None = None,
    executors: ExecutorFactory | None = None,
    workers: Workers | None = None,
) -> IngestReport:
    """Ingest files and folders into `options.collection`; return (and store) the report.

    The items go to `executors` (the queue's) when given, else to local worker processes:
    `workers` when the caller started them early (`ingest.pool`), shut down with the items.

    Raises IngestError before doing anything when the options, paths or manifest are unusable.
    Per-item problems never raise: they are failed items in the report, each naming its file.
    """
    _check(paths, options)
    manifest = load_manifest(options.manifest) if options.manifest else None
    store = open_store(store_config)
    records = RecordStore(store)
    started = datetime.now(UTC)
    job_id = f"{started:%Y%m%dT%H%M%SZ}-{options.collection}-{token_hex(3)}"
    report = IngestReport(job_id, options.collection, now_iso(), dry_run=options.dry_run)
    scratch = Path(tempfile.mkdtemp(prefix="heritage-ingest-"))
    run = _Run(options, store_config, records, index, report, progress, scratch, executors, workers)
    try:
        failures, units = _plan(paths, options, manifest, scratch)
        linker = Linker(AuthorityStore(store))
        for unit in units:
            if unit.row is not None:
                unit.warnings += linker.link(unit.fields, unit.row)
        if progress:
            progress.start(len(failures) + len(units))
        for outcome in failures:
            run.record_outcome(outcome)
        if units and not options.dry_run and records.load_collection(options.collection) is None:
            records.save_collection(_collection_description(options))
        run.execute(units)
    except KeyboardInterrupt:
        report.errors.append(
            "interrupted before the end; items reported here are done, "
            "re-run the same command to finish the rest"
        )
        raise IngestInterrupted(report) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        report.finished = now_iso()
        if not options.dry_run:
            try:
                store.put_bytes(report_key(job_id), report.to_json())
            except Unavailable as exc:  # the store went away: the caller still gets the report
                report.errors.append(f"the report could not be stored ({exc}); run again")
    return report


def _plan(
    paths: Sequence[Path], options: IngestOptions, manifest: Manifest | None, scratch: Path
) -> tuple[list[ItemOutcome], list[_Unit]]:
    """Failures known before any file is read, and the work units: manifest items, then the
    files no row names."""
    exclude = [options.manifest] if options.manifest else []
    discovery = discover(paths, scratch, exclude=exclude, limits=options.unpack_limits)
    captions = [f for f in discovery.files if is_caption_name(f.relpath)]
    media = [f for f in discovery.files if not is_caption_name(f.relpath)]
    pairing = pair_rows(manifest, media) if manifest else Pairing()
    if manifest is None:
        pairing.unmatched = media
    failures = [
        ItemOutcome(r.relpath, "failed", reason=f"{r.relpath}: {r.reason}")
        for r in discovery.refused
    ]
    failures += [
        ItemOutcome(s.relpath, "skipped", reason=f"{s.relpath}: {s.reason}")
        for s in discovery.skipped
    ]
    failures += [
        ItemOutcome(_failure_source(f), "failed", reason=str(f.error), row=f.number)
        for f in pairing.failures
    ]
    units: list[_Unit] = []
    planned: list[tuple[ManifestRow | None, list[SourceFile]]] = [*pairing.items]
    planned += [(None, [source]) for source in pairing.unmatched]
    caption_plan = plan_captions(
        [(files, row.values.get("captions", []) if row else []) for row, files in planned],
        captions,
    )
    failures += [
        ItemOutcome(c.relpath, "failed", reason=f"{c.relpath}: {ORPHAN}")
        for c in caption_plan.orphans
    ]
    for (row, files), mine, notes in zip(
        planned, caption_plan.by_unit, caption_plan.notes, strict=True
    ):
        try:
            units.append(_Unit(files, row, _fields(row, files[0]), notes, mine))
        except RowError as exc:  # a value the row (or a bag-info.txt) gives cannot be read
            source = _row_source(row, row.number) if row else files[0].relpath
            failures.append(
                ItemOutcome(source, "failed", reason=str(exc), row=row.number if row else None)
            )
    return failures, units


def _fields(row: ManifestRow | None, first: SourceFile) -> dict[str, Any]:
    """Record fields from the manifest row, with the bag's bag-info.txt where the row is silent."""
    bag = first.bag
    values = bag_values(bag) if bag else {}
    if row is None:
        if not values:
            return {}
        row = ManifestRow(0, f"{bag.relpath}/bag-info.txt" if bag else first.relpath, {})
    said = {column.removesuffix("_zh").removesuffix("_en") for column in row.values}
    values = {column: value for column, value in values.items() if column not in said}
    return row_fields(replace(row, values={**values, **row.values}))  # keeps how it names columns


def _needs_ffmpeg(unit: _Unit) -> bool:
    """Whether a unit's files announce video or audio (the worker identifies them for real)."""
    for source in unit.files:
        try:
            with source.path.open("rb") as handle:
                fmt = sniff(handle.read(HEAD_BYTES))
        except OSError:
            continue
        if fmt is not None and fmt.kind in AV_KINDS:
            return True
    return False


def _check(paths: Sequence[Path], options: IngestOptions) -> None:
    if not is_valid_slug(options.collection):
        raise IngestError(
            f"collection {options.collection!r} is not a valid slug: use lower-case letters, "
            "digits and '-', starting with a letter or digit (e.g. ordos-folk-songs)"
        )
    if not paths:
        raise IngestError("no files or folders to ingest were given")
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
    if options.manifest is not None and not options.manifest.is_file():
        raise IngestError(f"manifest {options.manifest}: no such file")
    if options.workers < 1:
        raise IngestError(f"workers must be at least 1, not {options.workers}")
    if options.ffmpeg_concurrency < 1:
        raise IngestError(
            f"ffmpeg concurrency must be at least 1, not {options.ffmpeg_concurrency}"
        )
    if options.default_status not in STATUSES:
        raise IngestError(f"default status {options.default_status!r} is not one of {STATUSES}")
    if options.default_access not in ACCESS_LEVELS:
        raise IngestError(
            f"default access {options.default_access!r} is not one of {ACCESS_LEVELS}"
        )


def _row_source(row: ManifestRow | None, number: int) -> str:
    return "; ".join(row.values["path"]) if row else f"manifest row {number}"


def _failure_source(failure: RowFailure) -> str:
    """A failed row's files as the row names them, else the row's number."""
    if failure.row is None and failure.paths:
        return "; ".join(failure.paths)
    return _row_source(failure.row, failure.number)


def _collection_description(options: IngestOptions) -> dict[str, Any]:
    return {
        "slug": options.collection,
        "title": {"en": options.collection.replace("-", " ").capitalize()},
        "institution": options.institution,
        "created": now_iso(),
    }


class _Run:
    """The state of one run in the main process: what was seen, decided and stored."""

    def __init__(
        self,
        options: IngestOptions,
        store_config: StoreConfig,
        records: RecordStore,
        index: SearchIndex | None,
        report: IngestReport,
        progress: ProgressCallback | None,
        scratch: Path,
        executors: ExecutorFactory | None = None,
        workers: Workers | None = None,
    ):
        self.options = options
        self.executors = executors  # the queue's, else local worker processes:
        self.workers = workers  # started early by the caller, else at `execute`
        self.store_config = store_config
        self.records = records
        self.index = index
        self.report = report
        self.progress = progress
        self.scratch = scratch
        # read before any item: a list that cannot be read stops the run, not its middle
        self.screen = screen_for(options.sensitive_terms_file)
        described = records.load_collection(options.collection) or {}  # may set default_status
        self.defaults = Defaults(
            options.default_access,
            described.get("default_status", options.default_status),
            options.institution,
            options.agent,
        )
        self.seen: dict[str, tuple[str, str]] = {}  # original sha256 -> (item id, its source)
        self.index_failures: list[str] = []  # the first problem of each failed indexing
        self.unindexed_items = 0  # how many stored items those failures left out
        self.unindexed: list[Mapping[str, Any]] = []  # unchanged records, indexed in batches
        self.deleted_files: set[str] = set()  # blobs stored for items deleted for good
        self.stage: Callable[[str, str], None] | None = getattr(progress, "stage", None)
        self.near: NearTable | None = None  # every stored photo's hash, read at the first photo

    def record_outcome(self, outcome: ItemOutcome) -> None:
        self.report.items.append(outcome)
        if self.progress:
            self.progress.advance(outcome.source, outcome.outcome)

    def execute(self, units: list[_Unit]) -> None:
        if not units:
            return
        remote = self.executors is not None
        workers = self.workers or Workers(stages=self.stage is not None and not remote)
        general: list[_Unit] = []
        av: list[_Unit] = []
        for unit in units:
            (av if _needs_ffmpeg(unit) else general).append(unit)
        groups = (
            (GENERAL_LANE, general, self.options.workers),
            (AV_LANE, av, self.options.ffmpeg_concurrency),
        )
        pools: list[Executor] = []  # the queue's, when the items go to it
        try:
            lanes: list[deque[tuple[_Unit, Future[TaskResult]]]] = []
            with spawning_workers():
                for lane, group, size in groups:
                    if not group:
                        continue
                    width = min(size, len(group))
                    if self.executors is not None:
                        pools.append(pool := self.executors(lane, width))
                    else:
                        pool = workers.pool(lane, width)
                    submitted = [(unit, pool.submit(process, self._task(unit))) for unit in group]
                    lanes.append(deque(submitted))
            self._load_existing()  # while the workers start: only committing needs it
            self._collect(lanes, None if remote else workers.stages)
            self._index_unchanged()
        except BaseException:
            workers.cancel.set()  # running ffmpeg processes stop; items not started are not started
            raise
        finally:
            for pool in pools:
                pool.shutdown(wait=True, cancel_futures=True)
            workers.shutdown()
        self._drop_deleted_files()
        if self.index_failures:
            self.report.errors.append(
                f"the search index could not be updated for {self.unindexed_items} stored "
                f"item(s) ({self.index_failures[0]}); the items are safely stored: {_REPAIR}"
            )

    def _drop_deleted_files(self) -> None:
        """Remove again what the workers stored for items deleted for good, unless another
        record or version names it (checked once all items are committed)."""
        if self.deleted_files and not self.options.dry_run:
            for key in sorted(self.deleted_files - self.records.blob_references()):
                self.records.store.delete(key)

    def _collect(
        self, lanes: list[deque[tuple[_Unit, Future[TaskResult]]]], stages: Any | None
    ) -> None:
        """Commit each lane's items in plan order, the lanes interleaved as items finish."""
        while any(lanes):
            heads = {lane[0][1]: lane for lane in lanes if lane}
            timeout = STAGE_POLL if stages is not None else None
            done, _ = wait(heads, timeout=timeout, return_when=FIRST_COMPLETED)
            self._relay(stages)
            for future, lane in heads.items():
                if future in done:
                    unit, _ = lane.popleft()
                    self.record_outcome(self._finish(unit, future))

    def _relay(self, stages: Any | None) -> None:
        """Show the workers' stage announcements; drained even when nobody shows them (workers
        started early always announce), so that a full pipe never blocks a worker."""
        while stages is not None and not stages.empty():
            name, stage = stages.get()
            if self.stage is not None:
                self.stage(name, stage)

    def _task(self, unit: _Unit) -> Task:
        return Task(
            files=tuple(unit.files),
            collection=self.options.collection,
            identifier=unit.fields.get("identifier"),
            store_config=self.store_config,
            settings=Settings(
                self.options.max_image_pixels, self.options.transcode, self.options.documents
            ),
            dry_run=self.options.dry_run,
            scratch=self.scratch,
            captions=tuple(unit.captions),
            caption_language=(unit.fields.get("language") or ["zh"])[0],
            ocr=self.options.ocr,
            languages=tuple(unit.fields.get("language") or ()),
        )

    def _load_existing(self) -> None:
        """Originals already in this collection, so a copy under another name is a duplicate."""
        prefix = f"{self.options.collection}-"
        for item_id in self.records.ids():
            if item_id.startswith(prefix):
                try:
                    record = self.records.get(item_id)
                except DamagedRecord:  # its file fails in `_commit` if it comes again
                    continue
                if record and record.get("collection") == self.options.collection:
                    self._remember(record)

    def _remember(self, record: Mapping[str, Any]) -> None:
        originals = [f for f in record["files"] if f["role"] == "original"]
        source = "; ".join(f.get("name", f["key"]) for f in originals)
        for original in originals:
            self.seen.setdefault(original["sha256"], (record["id"], source))

    def _finish(self, unit: _Unit, future: Future[TaskResult]) -> ItemOutcome:
        row = unit.row.number if unit.row else None
        try:
            result = future.result()
        except ItemError as exc:
            return ItemOutcome(unit.source, "failed", reason=self._reason(unit, exc), row=row)
        except BrokenProcessPool:
            return ItemOutcome(
                unit.source,
                "failed",
                reason=f"{unit.source}: the worker process handling it died (killed or out of "
                "memory); nothing was recorded for it — re-run the same command to finish",
                row=row,
            )
        except Exception as exc:  # a storage or decoder fault: this item fails, the batch goes on
            return ItemOutcome(
                unit.source,
                "failed",
                reason=self._reason(unit, ItemError(unit.source, f"{type(exc).__name__}: {exc}")),
                row=row,
            )
        try:
            return self._commit(unit, result, row)
        except Unavailable as exc:  # the store or index went away: this item fails, by name
            problem = f"{exc}; run the same command again"
            reason = self._reason(unit, ItemError(unit.source, problem))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)

    def _reason(self, unit: _Unit, exc: ItemError) -> str:
        return f"{unit.row.where}: {exc}" if unit.row else str(exc)

    def _commit(self, unit: _Unit, result: TaskResult, row: int | None) -> ItemOutcome:
        duplicate = self._duplicate_of(unit, result)
        if duplicate:
            return ItemOutcome(
                unit.source, "duplicate", id=duplicate[0], reason=duplicate[1], row=row
            )
        if (tombstone := self.records.tombstone(result.item_id)) is not None:
            self.deleted_files.update(e["key"] for f in result.files for e in f.entries)
            problem = (
                f"item {result.item_id} was deleted for good on {tombstone['deleted'][:10]} "
                f"(tombstones/{result.item_id}.json); it is not ingested again"
            )
            reason = self._reason(unit, ItemError(unit.source, problem))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)
        try:
            existing, read_at = self.records.get_versioned(result.item_id)
        except DamagedRecord as exc:  # never written over: it may hold edits and history
            problem = f"{exc}; restore it (`heritage verify` lists damage), then ingest again"
            reason = self._reason(unit, ItemError(unit.source, problem))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)
        record = build_record(
            item_id=result.item_id,
            collection=self.options.collection,
            fields=unit.fields,
            files=result.files,
            stored_files=existing["files"] if result.reused and existing else None,
            existing=existing,
            defaults=self.defaults,
            captions=result.captions,
        )
        conflicts, replaced = (
            keep_curated(
                record, existing, unit.fields, overwrite_edits=self.options.overwrite_edits
            )
            if existing
            else ([], [])
        )
        ocr_notes = self._ocr(unit, record, result)
        screened = screen_record(record, self.screen, previous=existing)  # a person decides
        roles = [entry["role"] for entry in record["files"]]
        kept = [conflict.describe() for conflict in conflicts] + unit.warnings
        kept += result.caption_notes
        changes = field_changes(record, existing, conflicts, replaced) if existing else []
        if existing is not None and same_content(record, existing):
            self._remember(existing)
            self._reindex(existing)  # a killed run may have stored it without indexing it
            return ItemOutcome(
                unit.source,
                "unchanged",
                id=result.item_id,
                reason="; ".join(kept) or None,
                row=row,
                files=roles,
                conflicts=conflicts,
                changes=changes,
                warnings=unit.warnings,
            )
        bag = unit.files[0].bag
        add_events(
            record,
            existing=existing,
            files=result.files,
            reused_files=result.reused,
            job_id=self.report.job_id,
            agent=self.options.agent,
            package=bag_provenance(bag) if bag else None,
            replaced=replaced,
        )
        if screened.event:
            record["events"].append(screened.event)
        try:
            self.records.check(record)  # remembered: saving it validates nothing again
            check_document(record, what="the record")  # text XML and UTF-8 can carry
        except InvalidInput as exc:
            reason = self._reason(unit, ItemError(unit.source, f"the record is invalid: {exc}"))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)
        self._remember(record)
        outcome: Outcome = "updated" if existing else "stored"
        notes = [w for f in result.files for w in [f.misnamed, *f.warnings] if w] + kept
        notes += ocr_notes
        similar, named = self._looks_like(unit, record)
        notes += similar
        if self.options.dry_run:
            return ItemOutcome(
                unit.source,
                "would-update" if existing else "would-store",
                id=result.item_id,
                reason="; ".join(notes) or None,
                row=row,
                files=roles,
                conflicts=conflicts,
                looks_like=named,
                changes=changes,
                warnings=unit.warnings,
            )
        try:  # the commit point: every blob it names is already stored
            self.records.save(record, if_match=read_at)
        except WriteConflict:  # a person (or another run) changed it while this one worked
            problem = "it was changed by someone else while this ran; run the same command again"
            reason = self._reason(unit, ItemError(unit.source, problem))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)
        note = self._index(record)
        return ItemOutcome(
            unit.source,
            outcome,
            id=result.item_id,
            reason="; ".join([*notes, note] if note else notes) or None,
            row=row,
            files=roles,
            conflicts=conflicts,
            looks_like=named,
            changes=changes,
            warnings=unit.warnings,
        )

    def _ocr(self, unit: _Unit, record: dict[str, Any], result: TaskResult) -> list[str]:
        """OCR of a document's pages without text (ingest.ocr), when enabled and installed;
        what it could not do is a note: the item is stored with the text it has. A new
        document's pages were read by its worker; this adds what it read to the record. A
        stored one's (an item unchanged, or stored before OCR was on) are read here."""
        if result.ocr_ran:
            if result.ocr is not None:
                found = dict(result.ocr)
                entry = found.pop("file")
                record.update(found)
                record["files"] = [f for f in record["files"] if f["role"] != "ocr"] + [entry]
            return [f"{unit.source}: {note}" for note in result.ocr_notes]
        if (
            self.options.ocr is None
            or self.options.dry_run
            or record["media_type"] != "document"
            or not available()
        ):
            return []
        try:
            outcome = ocr_record(record, self.records.store, self.options.ocr)
        except (HeritageError, OSError) as exc:
            return [f"{unit.source}: OCR failed ({exc})"]
        said = [f"{unit.source}: OCR: {warning}" for warning in outcome.warnings]
        return said + ([f"{unit.source}: OCR: {outcome.error}"] if outcome.error else [])

    def _looks_like(self, unit: _Unit, record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """(the warning, the ids it names) when a photo of `record` is near one stored before or
        earlier in this run; the record's photos join the table for the items after it."""
        photos = photos_of(record)
        if not photos:
            return [], []
        unchecked = []
        if self.near is None:  # once per run, and only for a run with photos
            self.near = NearTable()
            try:
                for photo in stored_photos(self.records):
                    self.near.add(photo)
            except (HeritageError, OSError) as exc:  # a hint only: the item is stored anyway
                unchecked = [f"near-duplicates among stored items not checked ({exc})"]
        nearest: dict[str, Near] = {}  # one per item, however many of its photos match
        for photo in photos:
            for match in self.near.near(photo.phash, exclude=record["id"]):
                nearest.setdefault(match.photo.item_id, match)
        matches = sorted(nearest.values(), key=lambda m: (m.distance, m.photo.item_id))
        for photo in photos:
            self.near.add(photo)
        said, named = looks_like(matches, self.defaults.institution)
        return ([f"{unit.source}: {said}"] if said else []) + unchecked, named

    def _duplicate_of(self, unit: _Unit, result: TaskResult) -> tuple[str, str] | None:
        """(first item's id, reason) when an original is already another item's (or renamed)."""
        for file in result.files:
            first = self.seen.get(file.sha256)
            if first is None:
                continue
            first_id, first_source = first
            renamed = first_source != unit.source and unit.fields.get("identifier") is None
            if first_id != result.item_id or renamed:
                return first_id, (
                    f"{file.relpath}: same content as {first_source} (item {first_id}), "
                    "which is already in this collection; not stored again"
                )
        return None

    def _index(self, record: Mapping[str, Any]) -> str | None:
        """Index a record just saved: it becomes findable as its item is reported."""
        return self._index_all([record])

    def _reindex(self, record: Mapping[str, Any]) -> None:
        """Index an unchanged record again, with others in one batch (one transaction or bulk
        request, not one per item): a re-run over stored items is mostly this."""
        if self.index is not None and not self.options.dry_run:
            self.unindexed.append(record)
            if len(self.unindexed) >= REINDEX_BATCH:
                self._index_unchanged()

    def _index_unchanged(self) -> None:
        batch, self.unindexed = self.unindexed, []
        if batch:
            self._index_all(batch)

    def _index_all(self, records: list[Mapping[str, Any]]) -> str | None:
        if self.index is None or self.options.dry_run:
            return None
        try:
            self.index.index(records)
        except Exception as exc:  # the stored record stands; the index is derived and repairable
            which = records[0]["id"] + (f" and {len(records) - 1} more" if len(records) > 1 else "")
            problem = f"{which}: {type(exc).__name__}: {exc}"
            self.index_failures.append(problem)
            self.unindexed_items += len(records)
            return f"stored, but not indexed ({problem}); {_REPAIR}"
        return None
