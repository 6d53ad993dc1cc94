"""`run_ingest`: discover → pair with manifest → (workers) identify, store, derive → record → index.

The main process reads the manifest, plans one work unit per manifest item or unmatched file and
hands the units to a process pool. Each worker stores the originals and derivatives as
content-addressed blobs; back in the main process, in plan order, the record is built, validated
and saved LAST — the commit point — and then indexed. A run killed anywhere leaves at most
orphan blobs, never a record pointing at missing ones, and running the same command again
finishes the job: existing items come back "unchanged", nothing is stored twice.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex
from typing import Any, Protocol

from ingest.discover import SourceFile, discover
from ingest.errors import IngestError, ItemError, RowError
from ingest.manifest import Manifest, ManifestRow, Pairing, load_manifest, pair_rows
from ingest.metadata import row_fields
from ingest.record import Defaults, add_events, build_record, same_content
from ingest.report import IngestReport, ItemOutcome, Outcome
from ingest.worker import Task, TaskResult, init_worker, process
from repository import RecordStore, StoreConfig, now_iso, open_store
from repository.keys import is_valid_slug, report_key
from schemas import SchemaError, validate_record
from search.base import SearchIndex

STATUSES = ("draft", "review", "published", "withdrawn")
ACCESS_LEVELS = ("public", "institution", "restricted")
_REPAIR = "run `heritage reindex` to repair the search index"


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


class ProgressCallback(Protocol):
    """What the CLI's progress bar is driven with."""

    def start(self, total: int) -> None:
        """Called once, before any item finishes, with the number of items to report."""

    def advance(self, name: str, outcome: str) -> None:
        """One item is done: `name` is its file(s) or manifest row, `outcome` as in the report."""


@dataclass
class _Unit:
    files: list[SourceFile]
    row: ManifestRow | None
    fields: dict[str, Any]

    @property
    def source(self) -> str:
        return "; ".join(f.relpath for f in self.files)


def run_ingest(
    paths: Sequence[Path],
    options: IngestOptions,
    store_config: StoreConfig,
    index: SearchIndex | None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest files and folders into `options.collection`; return (and store) the report.

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
    run = _Run(options, store_config, records, index, report, progress, scratch)
    try:
        failures, units = _plan(paths, options, manifest, scratch)
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
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        report.finished = now_iso()
        if not options.dry_run:
            store.put_bytes(report_key(job_id), _report_json(report))
    return report


def _plan(
    paths: Sequence[Path], options: IngestOptions, manifest: Manifest | None, scratch: Path
) -> tuple[list[ItemOutcome], list[_Unit]]:
    """Failures known before any file is read, and the work units: manifest items, then the
    files no row names."""
    exclude = [options.manifest] if options.manifest else []
    discovery = discover(paths, scratch, exclude=exclude)
    pairing = pair_rows(manifest, discovery.files) if manifest else Pairing()
    if manifest is None:
        pairing.unmatched = discovery.files
    failures = [
        ItemOutcome(r.relpath, "failed", reason=f"{r.relpath}: {r.reason}")
        for r in discovery.refused
    ]
    failures += [
        ItemOutcome(_row_source(f.row, f.number), "failed", reason=str(f.error), row=f.number)
        for f in pairing.failures
    ]
    units: list[_Unit] = []
    for row, files in pairing.items:
        try:
            units.append(_Unit(files, row, row_fields(row)))
        except RowError as exc:
            source = _row_source(row, row.number)
            failures.append(ItemOutcome(source, "failed", reason=str(exc), row=row.number))
    units += [_Unit([source], None, {}) for source in pairing.unmatched]
    return failures, units


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
    if options.default_status not in STATUSES:
        raise IngestError(f"default status {options.default_status!r} is not one of {STATUSES}")
    if options.default_access not in ACCESS_LEVELS:
        raise IngestError(
            f"default access {options.default_access!r} is not one of {ACCESS_LEVELS}"
        )


def _row_source(row: ManifestRow | None, number: int) -> str:
    return "; ".join(row.values["path"]) if row else f"manifest row {number}"


def _collection_description(options: IngestOptions) -> dict[str, Any]:
    return {
        "slug": options.collection,
        "title": {"en": options.collection.replace("-", " ").capitalize()},
        "institution": options.institution,
        "created": now_iso(),
    }


def _report_json(report: IngestReport) -> bytes:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")


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
    ):
        self.options = options
        self.store_config = store_config
        self.records = records
        self.index = index
        self.report = report
        self.progress = progress
        self.scratch = scratch
        self.defaults = Defaults(
            options.default_access, options.default_status, options.institution, options.agent
        )
        self.seen: dict[str, tuple[str, str]] = {}  # original sha256 -> (item id, its source)
        self.index_failures: list[str] = []

    def record_outcome(self, outcome: ItemOutcome) -> None:
        self.report.items.append(outcome)
        if self.progress:
            self.progress.advance(outcome.source, outcome.outcome)

    def execute(self, units: list[_Unit]) -> None:
        if not units:
            return
        self._load_existing()
        pool = ProcessPoolExecutor(
            max_workers=min(self.options.workers, len(units)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
        )
        try:
            futures = [pool.submit(process, self._task(unit)) for unit in units]
            for unit, future in zip(units, futures, strict=True):
                self.record_outcome(self._finish(unit, future))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if self.index_failures:
            self.report.errors.append(
                f"the search index could not be updated for {len(self.index_failures)} stored "
                f"item(s) ({self.index_failures[0]}); the items are safely stored: {_REPAIR}"
            )

    def _task(self, unit: _Unit) -> Task:
        return Task(
            files=tuple(unit.files),
            collection=self.options.collection,
            identifier=unit.fields.get("identifier"),
            store_config=self.store_config,
            max_pixels=self.options.max_image_pixels,
            dry_run=self.options.dry_run,
            scratch=self.scratch,
        )

    def _load_existing(self) -> None:
        """Originals already in this collection, so a copy under another name is a duplicate."""
        prefix = f"{self.options.collection}-"
        for item_id in self.records.ids():
            if item_id.startswith(prefix):
                record = self.records.get(item_id)
                if record and record.get("collection") == self.options.collection:
                    self._remember(record)

    def _remember(self, record: dict[str, Any]) -> None:
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
        return self._commit(unit, result, row)

    def _reason(self, unit: _Unit, exc: ItemError) -> str:
        return f"{unit.row.where}: {exc}" if unit.row else str(exc)

    def _commit(self, unit: _Unit, result: TaskResult, row: int | None) -> ItemOutcome:
        duplicate = self._duplicate_of(unit, result)
        if duplicate:
            return ItemOutcome(
                unit.source, "duplicate", id=duplicate[0], reason=duplicate[1], row=row
            )
        existing = self.records.get(result.item_id)
        record = build_record(
            item_id=result.item_id,
            collection=self.options.collection,
            fields=unit.fields,
            files=result.files,
            stored_files=existing["files"] if result.reused and existing else None,
            existing=existing,
            defaults=self.defaults,
        )
        roles = [entry["role"] for entry in record["files"]]
        if existing is not None and same_content(record, existing):
            self._remember(existing)
            self._index(existing)  # a killed run may have stored it without indexing it
            return ItemOutcome(unit.source, "unchanged", id=result.item_id, row=row, files=roles)
        add_events(
            record,
            existing=existing,
            files=result.files,
            reused_files=result.reused,
            job_id=self.report.job_id,
            agent=self.options.agent,
        )
        try:
            validate_record(record)
        except SchemaError as exc:
            reason = self._reason(unit, ItemError(unit.source, f"the record is invalid: {exc}"))
            return ItemOutcome(unit.source, "failed", id=result.item_id, reason=reason, row=row)
        self._remember(record)
        outcome: Outcome = "updated" if existing else "stored"
        if self.options.dry_run:
            return ItemOutcome(unit.source, "would-store", id=result.item_id, row=row, files=roles)
        self.records.save(record)  # the commit point: every blob it names is already stored
        note = self._index(record)
        return ItemOutcome(
            unit.source, outcome, id=result.item_id, reason=note, row=row, files=roles
        )

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

    def _index(self, record: dict[str, Any]) -> str | None:
        if self.index is None or self.options.dry_run:
            return None
        try:
            self.index.index([record])
        except Exception as exc:  # the stored record stands; the index is derived and repairable
            problem = f"{record['id']}: {type(exc).__name__}: {exc}"
            self.index_failures.append(problem)
            return f"stored, but not indexed ({problem}); {_REPAIR}"
        return None
