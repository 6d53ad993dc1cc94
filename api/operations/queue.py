"""Upload jobs on a real queue (`HERITAGE_QUEUE=celery`): Celery over Redis, workers anywhere.

The API receives an upload as before, then stages its files in the object store
(`staging/<job>/<n>`, and `staging/<job>/index.json` naming them) and enqueues the job's id.
Any `heritage worker` that reaches the store and the broker takes it, copies the files to its
own scratch folder, runs the same `run_ingest` (`jobs.execute_job`) and writes the job's state,
counts and report to the store, where every API replica reads them. The staged copy is removed
when the job ends, whatever the outcome.

Delivery is acknowledged late: a worker killed mid-job leaves its message unacknowledged and
Redis hands it to another worker once the visibility timeout (HERITAGE_QUEUE_LEASE_SECONDS)
passes. The pipeline commits item by item and recognises what is stored, so the job run again
finishes the rest and stores nothing twice.

A long job outlives the visibility timeout, so the message can come back while its first worker
is still transcoding. A worker therefore holds a lease on the job (`Job.worker`,
`Job.lease_until`, renewed every third of the lease by a heartbeat thread); a delivery that finds
a live lease is put back with a delay instead of running the job twice, and the first delivery
after a lease lapses (its worker died) takes the job over.

Items fan out (`ItemFanout`): the job's coordinator (a worker's job thread, or `heritage ingest`
itself) stages each item's files under `staging/<job>/items/<unit>/` and sends one message per
item to the `images` or `av` queue; any worker's item processes run the unchanged
`ingest.worker.process` on its own copies and send back the result (JSON through the Redis
result backend); the coordinator commits records in plan order, as with local pools. An item
message is acknowledged when a worker starts it, and the worker beats while it works; the
coordinator sends the item again when the beat stops for a whole lease (the worker died). So a
transcode longer than any timeout is made once, and a dead worker's item is made by another
(blobs are content-addressed, only the coordinator writes records: nothing is stored twice).
Jobs run in threads of their own and items in processes of their own (`heritage worker` starts
both), so coordinators waiting for items never hold the slots the items need.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from concurrent.futures import Executor, Future
from concurrent.futures import wait as futures_wait
from contextlib import suppress
from pathlib import Path, PurePosixPath
from typing import Any

from celery import Celery, Task
from celery.result import AsyncResult
from celery.signals import task_received

from api.operations.jobs import (
    INTERRUPTED,
    Job,
    JobRunner,
    JobStopped,
    JobStore,
    Progress,
    Upload,
    execute_job,
)
from api.services import Services
from api.settings import Settings
from ingest.errors import IngestError, ItemError
from ingest.task import TaskResult, result_message, result_of, task_message, task_of
from ingest.worker import process
from repository import ObjectStore, open_store
from repository.keys import (
    staging_beat_key,
    staging_index_key,
    staging_item_key,
    staging_key,
    staging_prefix,
)
from schemas.errors import NotFound, Unavailable

log = logging.getLogger("heritage.queue")

TASK = "heritage.ingest_job"
QUEUE = "ingest"
ITEM_TASK = "heritage.ingest_item"
ITEM_QUEUES = {"general": "images", "av": "av"}
"""Lane of `ingest.pipeline` → the queue its items go to (a machine may take only one)."""
RESULT_POLL = 0.2  # seconds between looks at the results of the items in flight

app = Celery("heritage", set_as_current=False)
app.conf.update(
    task_acks_late=True,  # a message is done when its job is, not when a worker took it
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # a busy worker does not hoard jobs others could run
    task_serializer="json",
    accept_content=["json"],
    task_default_queue=QUEUE,
    task_ignore_result=True,  # the job's state lives in the store
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


def configure(settings: Settings) -> Celery:
    """The Celery app for these settings (broker and result backend, visibility timeout = the
    lease)."""
    if not settings.broker_url:
        raise Unavailable("HERITAGE_QUEUE=celery needs HERITAGE_BROKER_URL (e.g. redis://host/0)")
    app.conf.broker_url = settings.broker_url
    app.conf.result_backend = settings.broker_url  # item results only; jobs keep theirs in store
    app.conf.broker_transport_options = {"visibility_timeout": settings.queue_lease_seconds}
    return app


# --- staging: an upload's files in the store, for a worker on any machine -------------------------


def stage(store: ObjectStore, job_id: str, upload: Upload) -> None:
    """Copy the upload's files to the store, the index last (a worker reads only a whole one)."""
    entries: list[dict[str, Any]] = []

    def put(kind: str, path: Path, name: str) -> None:
        with path.open("rb") as source:
            store.put_file(staging_key(job_id, len(entries)), source)
        entries.append({"kind": kind, "name": name})

    for name in upload.names:
        path = upload.files_dir / name
        if path.is_file():
            put("file", path, name)
    for archive in upload.archives:
        put("archive", archive, archive.name)
    if upload.manifest is not None:
        put("manifest", upload.manifest, upload.manifest.name)
    index = {"entries": entries, "fields": upload.fields, "plain_files": upload.plain_files}
    store.put_bytes(staging_index_key(job_id), json.dumps(index, ensure_ascii=False).encode())


def unstage(store: ObjectStore, job_id: str, root: Path) -> Upload:
    """The staged files of `job_id`, copied into `root` as the API had received them."""
    index = json.loads(store.get_bytes(staging_index_key(job_id)))
    upload = Upload(root, fields=dict(index["fields"]), plain_files=int(index["plain_files"]))
    for n, entry in enumerate(index["entries"]):
        kind, name = entry["kind"], entry["name"]
        if kind == "file":
            target = upload.files_dir / name
            upload.names.append(name)
        elif kind == "archive":
            target = root / "archives" / str(len(upload.archives)) / name
            upload.archives.append(target)
        else:
            target = root / "manifest" / name
            upload.manifest = target
        if not target.resolve().is_relative_to(root.resolve()):  # names were checked on upload
            raise IngestError(f"staged file name {name!r} leaves the scratch folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in store.open_range(staging_key(job_id, n)):
                out.write(chunk)
    return upload


def drop_staging(store: ObjectStore, job_id: str) -> None:
    for key in list(store.list(staging_prefix(job_id))):
        store.delete(key)


# --- items fanned out to the workers -------------------------------------------------------------


class ItemFanout:
    """`ingest.pipeline.ExecutorFactory` for the queue: each lane's items become messages.

    One watcher thread per lane looks at the results of the items in flight every RESULT_POLL
    seconds and completes their futures; an item's staged files are removed once its result
    is in (whatever it was), and everything under the job's staging prefix when the job ends.

    Item messages are acknowledged when a worker starts them, and the worker then beats (a new
    token in `staging/<job>/items/<unit>/beat`) every third of the lease while it works. The
    watcher sends an item again when its beat has not changed for a whole lease (its worker
    died): so a transcode longer than any timeout is never made twice while it runs, and a
    dead worker's item is made by another. Beats are compared by token, not by clock, so the
    machines' clocks need not agree."""

    def __init__(self, store: ObjectStore, job_id: str, celery: Celery, lease: float):
        self.store = store
        self.job_id = job_id
        self.celery = celery
        self.lease = lease

    def __call__(self, lane: str, width: int) -> Executor:
        return _RemoteLane(self, ITEM_QUEUES[lane])


class _Flight:
    """One item in flight: its message (the latest sent), future, staged files and beat."""

    def __init__(self, message: dict[str, Any], sent: AsyncResult, future: Future[TaskResult]):
        self.message = message
        self.sent = sent
        self.future = future
        self.beat: bytes | None = None
        self.beat_seen = time.monotonic()


def _staged_count(task: dict[str, Any]) -> int:
    """How many files a task message's item staged: its files, then its caption files."""
    return len(task["files"]) + len(task.get("captions", []))


class _RemoteLane(Executor):
    def __init__(self, fanout: ItemFanout, queue: str):
        self.fanout = fanout
        self.queue = queue
        self._flying: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name=f"items-{queue}", daemon=True)
        self._watcher.start()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        (task,) = args  # always `ingest.pool.process(task)`: the queue's workers run `process`
        unit = uuid.uuid4().hex
        store, job = self.fanout.store, self.fanout.job_id
        future: Future[TaskResult] = Future()
        future.set_running_or_notify_cancel()
        try:
            staged = [*task.files, *(caption.source for caption in task.captions)]
            for n, source in enumerate(staged):
                with source.path.open("rb") as data:
                    store.put_file(staging_item_key(job, unit, n), data)
            message = {
                "job": job,
                "unit": unit,
                "lease": self.fanout.lease,
                "task": task_message(task),
            }
            sent = self._send(message)
        except Exception as exc:  # the store or broker is down: this item fails, by name
            future.set_exception(Unavailable(f"it could not be sent to the queue workers: {exc}"))
            return future
        with self._lock:
            self._flying[unit] = _Flight(message, sent, future)
        return future

    def _send(self, message: dict[str, Any]) -> AsyncResult:
        return self.fanout.celery.send_task(ITEM_TASK, args=[message], queue=self.queue)

    def _watch(self) -> None:
        every = max(1, int(self.fanout.lease / 3 / RESULT_POLL))  # polls between beat checks
        polls = 0
        while not self._closed.wait(RESULT_POLL):
            polls += 1
            with self._lock:
                flying = list(self._flying.items())
            for unit, flight in flying:
                try:
                    if not flight.sent.ready():
                        if polls % every == 0:
                            self._check_beat(unit, flight)
                        continue
                    # the coordinator may run inside a job task: asked for a finished result only
                    answer = flight.sent.get(propagate=False, disable_sync_subtasks=False)
                    flight.sent.forget()
                except Exception as exc:  # noqa: BLE001 - the backend is down: retried next look
                    log.warning("item %s: the result backend failed: %s", unit, exc)
                    continue
                with self._lock:
                    del self._flying[unit]
                self._settle(flight.future, answer)
                for n in range(_staged_count(flight.message["task"])):
                    with suppress(Exception):  # what is left goes with the job's staging
                        self.fanout.store.delete(staging_item_key(self.fanout.job_id, unit, n))

    def _check_beat(self, unit: str, flight: _Flight) -> None:
        """Send the item again when its worker has stopped beating for a whole lease. A beat
        that cannot be read is logged as the store's fault (not the result backend's, which
        the caller logs) and looked at again next time: no resend on an unread beat."""
        key = staging_beat_key(self.fanout.job_id, unit)
        try:
            beat = self.fanout.store.get_bytes(key)
        except NotFound:
            return  # not started yet: waiting in the queue for a free worker
        except Exception as exc:  # noqa: BLE001 - the store is down: read again next check
            log.warning(
                "item %s: its heartbeat could not be read from the store (%s): %s", unit, key, exc
            )
            return
        now = time.monotonic()
        if beat != flight.beat:
            flight.beat, flight.beat_seen = beat, now
        elif now - flight.beat_seen > self.fanout.lease:
            try:
                flight.sent = self._send(flight.message)
            except Exception as exc:  # noqa: BLE001 - the broker is down: tried again next check
                log.warning("item %s: its worker stopped beating; the resend failed: %s", unit, exc)
                return
            log.warning("item %s: its worker stopped beating; sent to the queue again", unit)
            flight.beat_seen = now

    @staticmethod
    def _settle(future: Future[TaskResult], answer: Any) -> None:
        if isinstance(answer, dict) and "result" in answer:
            future.set_result(result_of(answer["result"]))
        elif isinstance(answer, dict) and "failed" in answer:
            subject, problem = answer["failed"]
            future.set_exception(ItemError(subject, problem))
        else:  # the task raised (a worker-side bug): Celery hands back the exception
            future.set_exception(
                Unavailable(f"the queue worker could not make the item: {answer!r}")
            )

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self._lock:
                for flight in self._flying.values():
                    with suppress(Exception):
                        flight.sent.revoke()
                    flight.future.set_exception(
                        IngestError("the ingest run stopped before this item came back")
                    )
                self._flying.clear()
        elif wait:
            while True:
                with self._lock:
                    pending = [flight.future for flight in self._flying.values()]
                if not pending:
                    break
                futures_wait(pending)
        self._closed.set()
        self._watcher.join()


# --- the API side ---------------------------------------------------------------------------------


class QueuedRunner(JobRunner):
    """`JobRunner` for HERITAGE_QUEUE=celery: jobs are staged and enqueued, not run here; a
    dry run's files are not kept for "apply this import" (the page asks to upload again)."""

    def __init__(self, services: Services):
        super().__init__(services)
        self.celery = configure(services.settings)

    def start(self) -> None:
        self.uploads.mkdir(parents=True, exist_ok=True)  # jobs running on workers go on

    def stop(self) -> None:
        pass

    def keep_preview(self, job_id: str, upload: Upload) -> None:
        upload.remove()

    def submit(self, job: Job, upload: Upload) -> None:
        self.jobs.save(job)
        try:
            stage(self.services.store, job.id, upload)
            self.celery.send_task(TASK, args=[job.id], queue=QUEUE)
        except Exception as exc:
            drop_staging(self.services.store, job.id)
            job.fail(f"the job could not be queued: {type(exc).__name__}: {exc}")
            self.jobs.save(job)
            raise Unavailable(f"the ingest queue cannot take job {job.id}: {exc}") from exc
        finally:
            upload.remove()


# --- the worker side ------------------------------------------------------------------------------

_services: Services | None = None
_services_lock = threading.Lock()


def _worker_services() -> Services:
    """One Services per worker process (its store, index and settings from the environment)."""
    global _services
    with _services_lock:
        if _services is None:
            _services = Services.from_settings(Settings())
        return _services


def scratch_root() -> Path:
    """Where this worker copies a job's files: HERITAGE_WORKER_SCRATCH (set by `heritage
    worker --scratch`), else `<data dir>/worker-scratch`."""
    given = os.environ.get("HERITAGE_WORKER_SCRATCH")
    return Path(given) if given else _worker_services().settings.data_dir / "worker-scratch"


def ingest_job(self: Task, job_id: str) -> None:
    """Claim the job, run it with a heartbeat on its lease, record how it ended."""
    services = _worker_services()
    jobs = JobStore(services.store)
    lease = float(services.settings.queue_lease_seconds)
    me = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
    claimed = jobs.claim(job_id, me, lease)
    if claimed is None:
        return  # finished, unknown, or another worker has just taken it
    if isinstance(claimed, float):  # another worker's lease is live: look again when it ends
        raise self.retry(countdown=max(1.0, claimed + 1.0))
    run_claimed(services, claimed, lease)


app.task(name=TASK, bind=True, max_retries=None)(ingest_job)


def ingest_item(message: dict[str, Any]) -> dict[str, Any]:
    """Make one item: copy its staged files here, run `ingest.worker.process`, answer with
    the result, or with the item's failure (file and reason) as data. Beats while it works
    (`ItemFanout`), so its coordinator knows it is alive however long it takes."""
    services = _worker_services()
    job, unit, wanted = message["job"], message["unit"], message["task"]
    beat_key = staging_beat_key(job, unit)
    done = threading.Event()

    def beat() -> None:
        while True:
            with suppress(Exception):  # a missed beat is only late; a lease of them, a resend
                services.store.put_bytes(beat_key, uuid.uuid4().hex.encode())
            if done.wait(float(message["lease"]) / 3):
                return

    beating = threading.Thread(target=beat, name=f"beat-{unit}", daemon=True)
    beating.start()
    root = scratch_root() / "items" / unit
    try:
        paths = []
        for n, entry in enumerate([*wanted["files"], *wanted.get("captions", [])]):
            name = PurePosixPath(entry["relpath"]).name  # kept: identify reads the suffix
            target = root / str(n) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                for chunk in services.store.open_range(staging_item_key(job, unit, n)):
                    out.write(chunk)
            paths.append(target)
        task = task_of(wanted, paths, services.store_config, root / "work")
        try:
            return {"result": result_message(process(task))}
        except ItemError as exc:
            return {"failed": [exc.subject, exc.problem]}
    finally:
        done.set()
        beating.join()
        shutil.rmtree(root, ignore_errors=True)


_receiver_store: ObjectStore | None = None
"""The item worker's main process's own store: its pool's processes never touch it (a client
made before a fork is not theirs to share)."""


def first_beat(request: Any = None, **_: Any) -> None:
    """An item's first beat, when its worker takes the message (before acknowledging it): from
    here on a worker that dies leaves a beat that stops, so the coordinator sends it again."""
    global _receiver_store
    if request is None or request.name != ITEM_TASK:
        return
    try:
        if _receiver_store is None:
            _receiver_store = open_store(Settings().store_config())
        message = request.args[0]
        key = staging_beat_key(message["job"], message["unit"])
        _receiver_store.put_bytes(key, uuid.uuid4().hex.encode())
    except Exception as exc:  # noqa: BLE001 - the item's own beats follow
        log.warning("the first beat of an item could not be written: %s", exc)


task_received.connect(first_beat)


# acknowledged when started: a dead worker's item is sent again by its coordinator (`ItemFanout`)
app.task(name=ITEM_TASK, ignore_result=False, acks_late=False)(ingest_item)


def run_claimed(services: Services, job: Job, lease: float) -> None:
    jobs = JobStore(services.store)
    stopping = threading.Event()
    progress = Progress(job, jobs, stopping)
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(lease / 3):
            progress.renew(time.time() + lease)

    beat = threading.Thread(target=heartbeat, name=f"lease-{job.id}", daemon=True)
    beat.start()
    root = scratch_root() / job.id
    try:
        upload = unstage(services.store, job.id, root)
        fanout = ItemFanout(services.store, job.id, app, lease)
        execute_job(services, job, upload, progress, fanout)
    except JobStopped:
        job.fail(INTERRUPTED)
    except IngestError as exc:
        job.fail(str(exc))
    except Exception as exc:  # storage down, a bug: the job fails, the worker goes on
        log.exception("ingest job %s failed", job.id)
        job.fail(f"the ingest stopped: {type(exc).__name__}: {exc}")
    finally:
        done.set()
        beat.join()
        Upload(root).remove()
    job.lease_until = None
    jobs.save(job)
    drop_staging(services.store, job.id)
