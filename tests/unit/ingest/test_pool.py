"""Local worker processes (`ingest.pool`): spawned lean, started early, always shut down."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ingest import IngestOptions, run_ingest
from ingest.errors import IngestError
from ingest.pipeline import _Run
from ingest.pool import GENERAL_LANE, LEAN_ENVIRONMENT, PRELOAD, Workers
from repository import StoreConfig


def _photos(folder: Path, count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        Image.new("RGB", (64 + number, 48), (40 * number, 90, 160)).save(folder / f"{number}.jpg")
    return folder


def _fork_servers() -> list[int]:
    """This process's children that are multiprocessing fork servers."""
    me, found = str(os.getpid()), []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (proc / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if parent == me and b"multiprocessing.forkserver" in command:
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here"
)
def test_started_workers_get_under_way_before_any_item_and_shut_down_with_the_items(
    tmp_path: Path,
) -> None:
    """The CLI starts the workers before it has imported the pipeline: the fork server is up
    (importing the worker code) before there is a task, the run's items are done in the pool
    started (no other), and its workers exit when the items are done."""
    before = set(multiprocessing.active_children())
    with Workers(stages=True) as started:
        pool = started.start(GENERAL_LANE, 2).pool(GENERAL_LANE, 2)
        assert len(_fork_servers()) == 1
        report = run_ingest(
            [_photos(tmp_path / "in", 3)],
            IngestOptions("c", workers=2),
            StoreConfig(local_root=tmp_path / "store"),
            None,
            workers=started,
        )
        assert report.counts() == {"stored": 3}
        assert set(multiprocessing.active_children()) == before  # shut down by the run
        with pytest.raises(RuntimeError, match="shutdown"):
            pool.submit(os.getpid)  # the very pool the run used, and shut down


def test_a_run_that_stops_before_its_items_leaves_no_started_worker(tmp_path: Path) -> None:
    before = set(multiprocessing.active_children())
    with pytest.raises(IngestError, match="nothing-here"), Workers(stages=False) as started:
        started.start(GENERAL_LANE, 2)
        run_ingest(
            [tmp_path / "nothing-here"],
            IngestOptions("c"),
            StoreConfig(local_root=tmp_path / "store"),
            None,
            workers=started,
        )
    assert set(multiprocessing.active_children()) == before
    assert started.cancel.is_set()  # an item already running would have been told to stop


def test_stage_announcements_are_drained_when_nobody_shows_them() -> None:
    """Workers started early always announce stages; with no display to tell, the queue must
    still be emptied, or a full pipe would block a worker mid-item."""
    queue = multiprocessing.get_context("spawn").SimpleQueue()
    for number in range(5):
        queue.put((f"{number}.jpg", "storing original"))
    run = _Run.__new__(_Run)
    run.stage = None
    run._relay(queue)  # noqa: SLF001
    assert queue.empty()
    queue.close()


LEAN_SCRIPT = """
import multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor
with open(sys.argv[1], "a") as marker:  # runs each time this file is executed as a module
    marker.write("ran\\n")
from ingest.pool import lean_spawn
if __name__ == "__main__":
    with lean_spawn():
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        seen = [pool.submit(os.getenv, "OPENBLAS_NUM_THREADS") for _ in range(4)]
    print(sorted({future.result() for future in seen}), os.getenv("OPENBLAS_NUM_THREADS"))
    print(__file__ == sys.argv[0])
    pool.shutdown()
"""


@pytest.mark.parametrize("user", [None, "3"])
def test_workers_skip_the_main_module_and_start_no_blas_threads(
    tmp_path: Path, user: str | None
) -> None:
    """A console script's main module (the whole CLI) is not run again in each worker, and
    OpenBLAS runs one thread there unless the user set otherwise; the CLI's own state is back."""
    script, marker = tmp_path / "heritage_cli.py", tmp_path / "ran"
    script.write_text(LEAN_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    if user is not None:
        env["OPENBLAS_NUM_THREADS"] = user
    done = subprocess.run(
        [sys.executable, str(script), str(marker)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"['{user or 1}'] {user}", "True"]
    assert marker.read_text() == "ran\n"  # by the parent only


def _loaded_after(statement: str, prefixes: tuple[str, ...]) -> list[str]:
    code = (
        f"import json, sys; {statement}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {prefixes!r})))"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def test_starting_workers_waits_for_nothing_but_the_standard_library() -> None:
    """The CLI imports this before the pipeline: it must not pull the pipeline in."""
    loaded = _loaded_after("import ingest.pool", ("ingest", "PIL", "numpy", "pyvips", "schemas"))
    assert loaded == ["ingest", "ingest.pool"]


def test_a_worker_starts_without_the_schema_checker_or_the_search_analyser() -> None:
    """A worker never checks a record against the schema nor analyses text (~0.1 s of imports
    at each worker's start, before its first item)."""
    loaded = _loaded_after("import ingest.worker", ("jsonschema", "search", "opencc"))
    assert loaded == []


def _forked_from() -> dict[str, object]:
    """Run in a worker: what its parent process (the fork server) holds."""
    parent = os.getppid()
    maps = Path(f"/proc/{parent}/maps").read_text()
    return {
        "parent": parent,
        "threads": len(os.listdir(f"/proc/{parent}/task")),
        "numpy": "_multiarray_umath" in maps,
        "libvips": "libvips" in maps,
    }


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here"
)
def test_workers_are_forked_from_a_server_that_imported_their_code_but_no_thread() -> None:
    """The worker code is imported once, by the fork server, not by every worker; and nothing
    the server imported started a thread, which a fork would lose (libvips is loaded after)."""
    with Workers(stages=False) as started:
        pool = started.start(GENERAL_LANE, 2).pool(GENERAL_LANE, 2)
        seen = [pool.submit(_forked_from).result() for _ in range(4)]
    assert {s["parent"] for s in seen} != {os.getpid()}
    assert all(s["threads"] == 1 and s["numpy"] and not s["libvips"] for s in seen), seen


def test_what_the_fork_server_imports_starts_no_thread_and_loads_no_libvips() -> None:
    code = (
        "import os, sys; "
        f"[__import__(name) for name in {list(PRELOAD)!r}]; "
        "print(len(os.listdir('/proc/self/task')), 'pyvips' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, **LEAN_ENVIRONMENT}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["1", "False"]
