"""Ingest throughput through the queue against the local process pools, in one run (issue 16).

    .venv/bin/python bench/bench_queue.py                       # 40 photos + 4 videos
    .venv/bin/python bench/bench_queue.py --photos 200 --videos 10

The same batch (bench_images.py's 6000×4000 photographs, made once and cached in `--dir`, and
10-second 720p H.264 clips) is ingested by `heritage ingest` into a fresh store each time:

  local ×1     HERITAGE_QUEUE=local, one image process and one ffmpeg at a time
  local ×2     the same with two of each (the machine's cores)
  celery ×1    HERITAGE_QUEUE=celery: the command coordinates, one `heritage worker --queues
               images,av --concurrency 1` makes the items
  celery ×2    two such workers, each with its own scratch folder (as if on two machines)

and prints wall time, items a minute, the ratios celery ×1 / local ×1 (the queue's overhead:
staging, messages, results) and celery ×2 / celery ×1 (scaling), and the coordinator's CPU
seconds per item (the `heritage ingest` process alone: staging uploads, commits, index
writes), from which the note works out how many workers one coordinator can feed. Workers
are started and ready before the clock starts. Needs Redis (scripts/services.sh: the
HERITAGE_TEST_REDIS_URL variable) and ffmpeg.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_images import photos  # noqa: E402
from installed import children, count_every_descendant, reap_orphans  # noqa: E402

HERITAGE = str(Path(sys.executable).parent / "heritage")


def videos(directory: Path, n: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(n):
        path = directory / f"clip-720p-10s-{i:02d}.mp4"
        if not path.is_file():
            subprocess.run(
                ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                 "-i", f"testsrc2=s=1280x720:r=25:d=10,hue=h={i * 30}",
                 "-f", "lavfi", "-i", f"sine=frequency={300 + 40 * i}:duration=10",
                 "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(path)],
                check=True,
            )  # fmt: skip
        made.append(path)
    return made


def environment(data: Path, queue: str, broker: str, width: int) -> dict[str, str]:
    return {
        **os.environ,
        "HERITAGE_DATA_DIR": str(data),
        "HERITAGE_STORAGE": "local",
        "HERITAGE_SEARCH": "sqlite",
        "HERITAGE_QUEUE": queue,
        "HERITAGE_BROKER_URL": broker,
        "HERITAGE_QUEUE_LEASE_SECONDS": "600",
        "HERITAGE_WORKERS": str(width),
        "HERITAGE_FFMPEG_CONCURRENCY": str(width),
    }


@contextmanager
def item_worker(env: dict[str, str], scratch: Path) -> Iterator[None]:
    log = scratch.with_suffix(".log")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [HERITAGE, "worker", "--queues", "images,av", "--concurrency", "1",
             "--scratch", str(scratch)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            while "ready." not in log.read_text(errors="replace"):
                if process.poll() is not None:
                    sys.exit(f"the worker stopped:\n{log.read_text()}")
                time.sleep(0.2)
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()


def ingest(batch: Path, env: dict[str, str]) -> tuple[float, float, dict[str, int]]:
    """Wall seconds, the command's own CPU seconds, and its report's outcome counts."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = children()
    start = time.perf_counter()
    done = subprocess.run(
        [HERITAGE, "ingest", str(batch), "-c", "bench-queue"],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    reap_orphans(mine)  # local workers come from a fork server that outlives the command
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"ingest failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(Path(done.stdout.rsplit("Report:", 1)[1].strip()).read_text())
    counts: dict[str, int] = {}
    for item in report["items"]:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    return wall, cpu, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=Path.home() / ".cache/heritage/bench-queue")
    parser.add_argument("--broker", default=os.environ.get("HERITAGE_TEST_REDIS_URL", ""))
    args = parser.parse_args()
    count_every_descendant()
    if not args.broker:
        sys.exit("give --broker redis://… (or start scripts/services.sh)")
    batch = Path(tempfile.mkdtemp(prefix="heritage-bench-queue-"))
    for path in [*photos(args.dir, args.photos), *videos(args.dir, args.videos)]:
        try:
            os.link(path, batch / path.name)
        except OSError:  # another file system
            shutil.copy(path, batch / path.name)
    total = args.photos + args.videos
    print(f"{args.photos} photos 6000×4000 + {args.videos} videos 720p 10 s; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    runs: dict[str, tuple[float, float]] = {}
    for name, queue, width, workers in (
        ("local ×1", "local", 1, 0),
        ("local ×2", "local", 2, 0),
        ("celery ×1", "celery", 1, 1),
        ("celery ×2", "celery", 1, 2),
    ):
        data = Path(tempfile.mkdtemp(prefix="heritage-bench-queue-data-"))
        env = environment(data, queue, args.broker, width)
        with ExitStack() as stack:
            for n in range(workers):
                stack.enter_context(item_worker(env, data / f"scratch-{n}"))
            wall, cpu, counts = ingest(batch, env)
        shutil.rmtree(data, ignore_errors=True)
        if counts.get("stored") != total:
            sys.exit(f"{name}: expected {total} stored, got {counts}")
        runs[name] = (wall, cpu)
        rate, per_item = total / wall * 60, cpu / total * 1000
        print(f"{name:<10} {wall:7.1f} s  {rate:6.1f} items/min  "
              f"command CPU {cpu:6.1f} s ({per_item:5.0f} ms/item)", flush=True)  # fmt: skip
    shutil.rmtree(batch, ignore_errors=True)
    local1, local2 = runs["local ×1"][0], runs["local ×2"][0]
    celery1, celery2 = runs["celery ×1"][0], runs["celery ×2"][0]
    print(f"\nqueue overhead: celery ×1 / local ×1 = {celery1 / local1:.2f}× the wall time")
    print(f"scaling: celery ×1 / celery ×2 = {celery1 / celery2:.2f}× faster with two workers "
          f"(local ×1 / local ×2 = {local1 / local2:.2f}×)")  # fmt: skip
    coordinator = runs["celery ×2"][1] / total
    print(f"coordinator: {coordinator * 1000:.0f} ms CPU per item")


if __name__ == "__main__":
    main()
