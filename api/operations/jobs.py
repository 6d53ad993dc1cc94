"""Ingest jobs submitted over HTTP: their state in the store, and the thread that runs them.

One job runs at a time per process (the ingest itself fans out to its process pools); the others
wait in a queue. A job's state lives in the store (`jobs/<id>.json`), so it outlives the process:
on start, a job the last process left queued or running is marked failed. Nothing is lost by
that: the pipeline commits item by item, so submitting the same files again finishes the work
and stores nothing twice. Uploaded files are removed when their job ends, when the server stops
and, for leftovers of a killed process, when it starts.

A dry-run job (a preview) stores no item, only its report, and keeps its uploaded files for
KEEP_PREVIEW seconds (in this process; a restart removes them; at most KEPT_PREVIEWS at a time),
so "apply this import" runs exactly those bytes with exactly those options: `claim_preview`
hands them to the real job once.

Stopping the server while a job runs cancels the run at its next finished item (the progress
callback raises, and the pipeline then stops its pools and any ffmpeg), so a long transcode in
flight delays shutdown until it ends. Limit: this runner assumes one API process per store (a
second one starting would mark the first one's running jobs failed); with several replicas, set
HERITAGE_QUEUE=celery and the jobs run on workers instead (`api.operations.queue`).
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex
from typing import Any, Literal

from api.operations.access import is_visible
from api.operations.callers import Caller
from api.operations.collections import collection_owner
from api.operations.ingesting import ingest_options
from api.services import Services
from ingest.errors import IngestError
from ingest.pipeline import ExecutorFactory, run_ingest
from ingest.report import IngestReport
from repository import ObjectNotFound, ObjectStore, RecordStore, now_iso
from repository.keys import JOBS_PREFIX, job_key, report_key
from repository.store import WriteConflict
from schemas.errors import HeritageError
from search.base import Audience

log = logging.getLogger("heritage.api.jobs")

JobState = Literal["queued", "running", "done", "failed"]
INTERRUPTED = "interrupted, submit again: nothing already stored is lost"
SAVE_EVERY = 2.0  # seconds: how often a running job's counts are written to the store
KEEP_PREVIEW = 24 * 3600.0  # seconds a dry-run job's files wait to be applied
KEPT_PREVIEWS = 8  # at most this many wait (the oldest goes first): disk is bounded


@dataclass
class Upload:
    """What one upload delivered, in the job's staging folder `root`."""

    root: Path
    fields: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # every file as named (checked), in order
    archives: list[Path] = field(default_factory=list)
    manifest: Path | None = None
    plain_files: int = 0
    resumed: list[str] = field(default_factory=list)  # finished resumable uploads it took (ids)

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    def paths(self) -> list[Path]:
        """What `run_ingest` is given: the folder of plain files, then each archive."""
        return ([self.files_dir] if self.plain_files else []) + self.archives

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def new_job_id() -> str:
    """Sortable by submission time, unguessable enough not to be enumerated."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{token_hex(4)}"


@dataclass
class Job:
    id: str
    collection: str
    institution: str  # whose collection the job fills: its curators may read the job
    agent: str  # who submitted it, as provenance events name them (and may read the job)
    submitted: str
    files: list[str]
    manifest: str | None = None
    status: str | None = None  # default status for rows that set none
    access: str | None = None
    state: JobState = "queued"
    started: str | None = None
    finished: str | None = None
    total: int | None = None  # items the run reports on, once it knows
    counts: dict[str, int] = field(default_factory=dict)
    report: str | None = None  # the pipeline's report: `reports/<report>.json`
    error: str | None = None  # why the job as a whole failed
    dry_run: bool = False  # a preview: checks everything and says what would change
    applies: str | None = None  # the preview (dry-run job) whose files this job applies
    applied_by: str | None = None  # for a preview: the job that applied it
    worker: str | None = None  # HERITAGE_QUEUE=celery: the worker holding the job ...
    lease_until: float | None = None  # ... until then (epoch seconds), renewed while it runs

    def fail(self, reason: str) -> None:
        self.state = "failed"
        self.error = reason
        self.finished = now_iso()


def may_read_job(caller: Caller | None, job: Job) -> bool:
    """Its submitter, the curators of its institution and admins. A job names files and items,
    so an archivist reads the jobs it submitted, not a colleague's (which may hold restricted
    items); everyone else gets the 404 of an unknown job."""
    if caller is None:
        return False
    if caller.role == "admin" or caller.agent == job.agent:
        return True
    return caller.institution == job.institution and caller.has_role("curator")


def report_for(report: dict[str, Any], records: RecordStore, audience: Audience) -> dict[str, Any]:
    """The report as `audience` may read it: an entry naming a stored item the audience may not
    see (made restricted since, given to another institution by an admin's manifest, the first
    copy of a duplicate) is left out and counted in `withheld`; an id naming no stored item
    (a failed new item) hides nothing and stays."""
    if audience.everyone:
        return report
    hidden: dict[str, bool] = {}

    def is_hidden(item_id: str | None) -> bool:
        if item_id is None:
            return False
        if item_id not in hidden:
            record = records.get(item_id)
            hidden[item_id] = record is not None and not is_visible(record, audience)
        return hidden[item_id]

    shown = [entry for entry in report.get("items", []) if not is_hidden(entry.get("id"))]
    withheld = len(report.get("items", [])) - len(shown)
    return {**report, "items": shown, "withheld": withheld} if withheld else report


class JobStore:
    """Jobs as JSON objects in the store, beside the reports their runs write."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def save(self, job: Job) -> None:
        self.store.put_bytes(job_key(job.id), _dump(job))

    def get(self, job_id: str) -> Job | None:
        try:
            return self._load(job_key(job_id))
        except (ObjectNotFound, ValueError):
            return None

    def claim(self, job_id: str, worker: str, lease: float) -> Job | float | None:
        """Take a queued job, or one whose worker's lease lapsed, for `worker` (a conditional
        write: of two workers claiming at once, one gets it). The job; the seconds until
        another worker's live lease ends; or None when there is nothing to do (finished,
        unknown, or just taken by another)."""
        try:
            data, etag = self.store.get_versioned(job_key(job_id))
        except ObjectNotFound:
            return None
        job = Job(**json.loads(data))
        if job.state in ("done", "failed"):
            return None
        now = time.time()
        if job.worker not in (None, worker) and job.lease_until and job.lease_until > now:
            return job.lease_until - now
        job.worker, job.lease_until = worker, now + lease
        try:
            self.store.put_bytes(job_key(job.id), _dump(job), if_match=etag)
        except WriteConflict:
            return None
        return job

    def unfinished(self) -> Iterator[Job]:
        for key in self.store.list(JOBS_PREFIX):
            job = self._load(key)
            if job.state in ("queued", "running"):
                yield job

    def save_report(self, report: IngestReport) -> None:
        """A dry run's report: the pipeline stores only a real run's (`reports/<id>.json`)."""
        self.store.put_bytes(report_key(report.job_id), report.to_json())

    def report(self, job: Job) -> dict[str, Any] | None:
        """The report the job's run stored (the same the CLI writes), once there is one."""
        if job.report is None:
            return None
        try:
            report: dict[str, Any] = json.loads(self.store.get_bytes(report_key(job.report)))
            return report
        except ObjectNotFound:
            return None

    def _load(self, key: str) -> Job:
        return Job(**json.loads(self.store.get_bytes(key)))


def _dump(job: Job) -> bytes:
    return json.dumps(asdict(job), ensure_ascii=False).encode()


class JobStopped(HeritageError):
    """Raised from the progress callback to end a run when the server stops."""


class Progress:
    """Keeps a running job's counts in the store (at most every SAVE_EVERY seconds) and ends
    the run when the server stops. `renew` (a queue worker's heartbeat thread) saves too, so
    both hold one lock."""

    def __init__(self, job: Job, jobs: JobStore, stopping: threading.Event):
        self.job = job
        self.jobs = jobs
        self.stopping = stopping
        self.saved = time.monotonic()
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        with self._lock:
            self.job.total = total
            self._save()

    def advance(self, name: str, outcome: str) -> None:
        if self.stopping.is_set():
            raise JobStopped(name)
        with self._lock:
            self.job.counts[outcome] = self.job.counts.get(outcome, 0) + 1
            if time.monotonic() - self.saved >= SAVE_EVERY:
                self._save()

    def renew(self, until: float) -> None:
        with self._lock:
            self.job.lease_until = until
            self._save()

    def _save(self) -> None:
        try:
            self.jobs.save(self.job)
        except Exception:  # counts are a courtesy; the run must not stop for them
            log.warning("could not save the progress of job %s", self.job.id, exc_info=True)
        self.saved = time.monotonic()


class JobRunner:
    """A queue and one thread that runs the queued jobs in turn."""

    def __init__(self, services: Services):
        self.services = services
        self.jobs = JobStore(services.store)
        self.uploads = services.settings.uploads_dir
        self._queue: queue.SimpleQueue[tuple[Job, Upload] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="heritage-jobs", daemon=True)
        self._previews: dict[str, tuple[Upload, float]] = {}  # dry-run job id -> files, kept at
        self._previews_lock = threading.Lock()

    def start(self) -> None:
        """Forget what a previous process left behind, then take jobs."""
        shutil.rmtree(self.uploads, ignore_errors=True)
        self.uploads.mkdir(parents=True)
        for job in self.jobs.unfinished():
            job.fail(INTERRUPTED)
            self.jobs.save(job)
        self._thread.start()

    def stop(self) -> None:
        """End the running job (see the module docstring), fail the queued ones, clean up."""
        self._stopping.set()
        self._queue.put(None)
        self._thread.join()
        with self._previews_lock:
            for upload, _ in self._previews.values():
                upload.remove()
            self._previews.clear()

    def preview_kept(self, job_id: str) -> Upload | None:
        """The files of dry-run job `job_id`, while they are kept for applying it."""
        with self._previews_lock:
            self._drop_old_previews()
            kept = self._previews.get(job_id)
            return kept[0] if kept else None

    def claim_preview(self, job_id: str) -> Upload | None:
        """Take the files of dry-run job `job_id` for the job that applies it: once only, so
        two clicks on "apply" never queue the import twice (None for the second)."""
        with self._previews_lock:
            self._drop_old_previews()
            kept = self._previews.pop(job_id, None)
            return kept[0] if kept else None

    def keep_preview(self, job_id: str, upload: Upload) -> None:
        """Keep a finished dry run's files (again, when the job applying them was refused)."""
        with self._previews_lock:
            self._previews[job_id] = (upload, time.monotonic())
            while len(self._previews) > KEPT_PREVIEWS:
                oldest = min(self._previews, key=lambda kept: self._previews[kept][1])
                self._previews.pop(oldest)[0].remove()

    def _drop_old_previews(self) -> None:
        now = time.monotonic()
        for job_id, (upload, kept) in list(self._previews.items()):
            if now - kept > KEEP_PREVIEW:
                upload.remove()
                del self._previews[job_id]

    def submit(self, job: Job, upload: Upload) -> None:
        self.jobs.save(job)
        self._queue.put((job, upload))

    def _work(self) -> None:
        while (entry := self._queue.get()) is not None:
            job, upload = entry
            try:
                self._run(job, upload)
            except JobStopped:
                job.fail(INTERRUPTED)
            except IngestError as exc:
                job.fail(str(exc))
            except Exception as exc:  # storage down, a bug: the job fails, the server goes on
                log.exception("ingest job %s failed", job.id)
                job.fail(f"the ingest stopped: {type(exc).__name__}: {exc}")
            finally:
                if job.dry_run and job.state == "done":  # kept for "apply this import"
                    self.keep_preview(job.id, upload)
                else:
                    upload.remove()
            try:
                self.jobs.save(job)
            except Exception:  # the next start reports it interrupted
                log.exception("could not save the end of job %s", job.id)

    def _run(self, job: Job, upload: Upload) -> None:
        if self._stopping.is_set():
            raise JobStopped(job.id)
        execute_job(self.services, job, upload, Progress(job, self.jobs, self._stopping))


def execute_job(
    services: Services,
    job: Job,
    upload: Upload,
    progress: Progress,
    executors: ExecutorFactory | None = None,
) -> None:
    """Run one job's ingest over its received files (in the API's thread or on a queue
    worker, whose `executors` fan the items out): the state, counts and report go to the store
    as it runs."""
    settings = services.settings
    owner = collection_owner(services.records, job.collection, settings.institution)
    if owner not in (None, job.institution):
        raise IngestError(f"collection {job.collection!r} now belongs to institution {owner!r}")
    job.state, job.started = "running", job.started or now_iso()
    progress.jobs.save(job)
    options = ingest_options(
        settings,
        job.collection,
        agent=job.agent,
        manifest=upload.manifest,
        status=job.status,
        access=job.access,
        institution=job.institution,
        dry_run=job.dry_run,
    )
    report = run_ingest(
        upload.paths(), options, services.store_config, services.index, progress, executors
    )
    if job.dry_run:
        progress.jobs.save_report(report)
    job.state, job.finished = "done", report.finished
    job.total, job.counts, job.report = len(report.items), report.counts(), report.job_id
