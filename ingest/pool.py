"""The local worker processes of an ingest run.

Workers are not forked from the coordinator (that would copy its threads and connections): they
are forked from multiprocessing's fork server, a single-threaded process started once, which
imports the fork-safe part of the worker code first (`PRELOAD`: ~0.35 s of CPU, paid once
instead of by every worker). After the fork a worker imports only pyvips and the makers
(~0.05 s): libvips starts threads, which a fork would not carry over, so it is never loaded
before one. Workers are lean (`lean_spawn`) and deaf to Ctrl-C from their first instruction
(`spawning_workers`). A caller that knows early that a run will need them starts them first
(`Workers.start`), so their start overlaps the coordinator's imports and planning.

This module imports only the standard library, so that starting workers waits for nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import forkserver
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only names: importing them would load the task's modules before a worker
    from ingest.task import Task, TaskResult

GENERAL_LANE = "general"
"""The lane of every item that needs no ffmpeg: photos, documents, text."""
AV_LANE = "av"
"""The lane of video and audio items, as wide as the ffmpeg concurrency allows."""

_SPAWN_LOCK = threading.RLock()  # a pool spawned while spawning (none today) must not hang
PRELOAD = (
    "numpy",
    "PIL.ImageCms",
    "simplejpeg",
    "pillow_heif",
    "pypdfium2",
    "ingest.task",
    "ingest.identify",
    "ingest.text",
)
"""What the fork server imports before it forks any worker: none of it starts a thread (numpy's
OpenBLAS is held to one by `LEAN_ENVIRONMENT`, which the server inherits). Not pyvips, nor a
module that imports it."""
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
LEAN_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1"}
"""Set for the workers unless the environment says otherwise: each worker takes one core, so
numpy's OpenBLAS (for the perceptual hash of a 32×32 picture) would start threads that cost
~35 ms of CPU at import and then only compete with the other workers."""


@contextmanager
def lean_spawn() -> Iterator[None]:
    """Workers spawned inside import only what their tasks need.

    A spawned process first runs its parent's main module again unless `__main__` names no file
    or module: for the `heritage` console script that is the whole CLI (~0.1 s of CPU a worker),
    and the tasks need nothing from it (`process` lives in ingest.worker). Both changes are
    undone on leaving; the lock keeps two runs' spawns in one process from undoing each other's.
    """
    with _SPAWN_LOCK:
        main = sys.modules["__main__"]
        file, spec = main.__dict__.pop("__file__", None), getattr(main, "__spec__", None)
        main.__spec__ = None
        unset = [name for name in LEAN_ENVIRONMENT if name not in os.environ]
        os.environ.update({name: LEAN_ENVIRONMENT[name] for name in unset})  # a user's stands
        try:
            yield
        finally:
            if file is not None:
                main.__file__ = file
            main.__spec__ = spec
            for name in unset:
                os.environ.pop(name, None)


@contextmanager
def spawning_workers() -> Iterator[None]:
    """Spawn workers deaf to Ctrl-C from their first instruction, without losing one meant for
    the main process.

    Ctrl-C reaches the whole process group; a worker still importing modules when it arrives
    would die with a traceback before `ingest.worker.init_worker` could ignore it. So SIGINT is
    blocked in this thread while the pools spawn their workers (they are spawned as tasks are
    submitted, inside this block): a worker inherits the mask across exec and holds the signal
    until `init_worker` ignores (and so discards) it. Ignoring SIGINT here instead would discard
    a Ctrl-C meant for the main process too, and the run would go on to the end: in the main
    thread a Ctrl-C that comes meanwhile (to any thread) is noted and delivered once the
    workers are spawned, under the handler the process had.
    """
    caught: list[int] = []
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:  # only the main thread handles signals
        previous = signal.signal(signal.SIGINT, lambda number, _: caught.append(number))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with lean_spawn():
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a held SIGINT is noted now
        if in_main:
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    if caught:
        signal.raise_signal(signal.SIGINT)  # KeyboardInterrupt, unless SIGINT was ignored


def _init(stages: Any, cancel: Any) -> None:
    """Each worker's initializer: the worker code is imported here, in the worker."""
    from ingest.worker import init_worker

    init_worker(stages, cancel)


def _ready() -> None:
    """The task that makes a pool spawn a worker before there is real work."""


def process(task: Task) -> TaskResult:
    """`ingest.worker.process(task)`, in the worker. The coordinator submits this one, so that
    it never imports the worker's decoders (pyvips, libjpeg-turbo's and HEIF's bindings, PDFium:
    0.1–0.15 s of CPU at the start of every run, which the workers spend anyway)."""
    from ingest.worker import process as work

    return work(task)


class Workers:
    """One run's local process pools, one per lane, and what all their workers share: the
    queue of stage announcements (`stages`: None when nobody shows them) and the cancel event.
    Shut down when the run's items are done (`ingest.pipeline`), or by the `with` that started
    them early when the run stopped before its items."""

    def __init__(self, *, stages: bool) -> None:
        self.context = multiprocessing.get_context(START_METHOD)
        if START_METHOD == "forkserver":  # used when the server starts: at the first worker
            self.context.set_forkserver_preload(list(PRELOAD))
        self.stages = self.context.SimpleQueue() if stages else None
        self.cancel = self.context.Event()
        self._pools: dict[str, ProcessPoolExecutor] = {}

    def pool(self, lane: str, width: int) -> ProcessPoolExecutor:
        """The lane's pool: made by the first call, with `width` workers at most; later calls
        get that pool whatever width they ask (workers started early serve a narrower lane).
        Its workers are spawned as tasks are submitted: submit inside `spawning_workers()`."""
        if lane not in self._pools:
            self._pools[lane] = ProcessPoolExecutor(
                max_workers=width,
                mp_context=self.context,
                initializer=_init,
                initargs=(self.stages, self.cancel),
            )
        return self._pools[lane]

    def start(self, lane: str, width: int) -> Workers:
        """Get the lane's `width` workers under way before any task. With a fork server, start
        the server without waiting: it imports the worker code while the caller imports and
        plans, and the workers are forked from it at the first tasks (forking one waits for the
        server's imports, which the caller had better spend on its own). Without one, spawn the
        workers now; each imports the worker code before any task."""
        pool = self.pool(lane, width)
        with spawning_workers():
            if START_METHOD == "forkserver":
                forkserver.ensure_running()
            else:
                for _ in range(width):  # no worker is idle yet, so each submit spawns one
                    pool.submit(_ready)
        return self

    def shutdown(self) -> None:
        """Wait for every worker to finish its task and exit; tasks not started are dropped."""
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        if self.stages is not None:
            self.stages.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None:
            self.cancel.set()
        self.shutdown()
