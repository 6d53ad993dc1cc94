"""Ingest jobs submitted over HTTP: their state in the store, and the thread that runs them.

One job runs at a time per process (the ingest itself fans out to its process pools); the others
wait in a queue. A job's state lives in the store (`jobs/<id>.json`), so it outlives the process:
on start, a job the last process left queued or running is marked failed. Nothing is lost by
that: the pipeline commits item by item, so submitting the same files again finishes the work
and stores nothing twice. Uploaded files are removed when their job ends, when the server stops
and, for leftovers of a killed process, when it starts.

Stopping the server while a job runs cancels the run at its next finished item (the progress
callback raises, and the pipeline then stops its pools and any ffmpeg), so a long transcode in
flight delays shutdown until it ends. Limit: like the write routes, this assumes one API process
per store; a second one starting would mark the first one's running jobs failed.
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
from api.operations.ingesting import ingest_options
from api.services import Services
from ingest.errors import IngestError
from ingest.pipeline import run_ingest
from repository import ObjectNotFound, ObjectStore, RecordStore, now_iso
from repository.keys import JOBS_PREFIX, job_key, report_key
from schemas.errors import HeritageError
from search.base import Audience

log = logging.getLogger("heritage.api.jobs")

JobState = Literal["queued", "running", "done", "failed"]
INTERRUPTED = "interrupted, submit again: nothing already stored is lost"
SAVE_EVERY = 2.0  # seconds: how often a running job's counts are written to the store


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


def collection_owner(records: RecordStore, slug: str, operator: str) -> str | None:
    """The institution a collection belongs to; None for a new one. A description without an
    institution (made by the operator's CLI) belongs to the operator's institution."""
    described = records.load_collection(slug)
    if described is None:
        return None
    return described.get("institution") or operator


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
        self.store.put_bytes(job_key(job.id), json.dumps(asdict(job), ensure_ascii=False).encode())

    def get(self, job_id: str) -> Job | None:
        try:
            return self._load(job_key(job_id))
        except (ObjectNotFound, ValueError):
            return None

    def unfinished(self) -> Iterator[Job]:
        for key in self.store.list(JOBS_PREFIX):
            job = self._load(key)
            if job.state in ("queued", "running"):
                yield job

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


class JobStopped(HeritageError):
    """Raised from the progress callback to end a run when the server stops."""


class _Progress:
    """Keeps a running job's counts in the store (at most every SAVE_EVERY seconds) and ends
    the run when the server stops."""

    def __init__(self, job: Job, jobs: JobStore, stopping: threading.Event):
        self.job = job
        self.jobs = jobs
        self.stopping = stopping
        self.saved = time.monotonic()

    def start(self, total: int) -> None:
        self.job.total = total
        self._save()

    def advance(self, name: str, outcome: str) -> None:
        if self.stopping.is_set():
            raise JobStopped(name)
        self.job.counts[outcome] = self.job.counts.get(outcome, 0) + 1
        if time.monotonic() - self.saved >= SAVE_EVERY:
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
                upload.remove()
            try:
                self.jobs.save(job)
            except Exception:  # the next start reports it interrupted
                log.exception("could not save the end of job %s", job.id)

    def _run(self, job: Job, upload: Upload) -> None:
        if self._stopping.is_set():
            raise JobStopped(job.id)
        settings = self.services.settings
        owner = collection_owner(self.services.records, job.collection, settings.institution)
        if owner not in (None, job.institution):
            raise IngestError(f"collection {job.collection!r} now belongs to institution {owner!r}")
        job.state, job.started = "running", now_iso()
        self.jobs.save(job)
        options = ingest_options(
            settings,
            job.collection,
            agent=job.agent,
            manifest=upload.manifest,
            status=job.status,
            access=job.access,
            institution=job.institution,
        )
        progress = _Progress(job, self.jobs, self._stopping)
        report = run_ingest(
            upload.paths(), options, self.services.store_config, self.services.index, progress
        )
        job.state, job.finished = "done", report.finished
        job.total, job.counts, job.report = len(report.items), report.counts(), report.job_id
