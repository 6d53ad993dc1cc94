"""Storing new originals: `LocalStore.put_blob` against a plain buffered copy, in one run.

    .venv/bin/python bench/bench_store.py                  # 60 photos of bench_ingest.py, 3 rounds
    .venv/bin/python bench/bench_store.py --big-gib 1      # and one 1 GiB file

Each round takes turns between:

  plain   what a store would do without care for the CPU: hash the file (`hashlib.file_digest`),
          then copy it with Python's buffered writes while hashing again, fsync, rename — the
          way `LocalStore` wrote blobs before stop 26
  store   `LocalStore.put_blob` of the same files into a fresh store: the same two hashes and
          the fsync, the copy written past the page cache (O_DIRECT) through reused buffers
  snapshot  what the ingest does with a photo since stop 27: `snapshot_of` reads the file whole
          into a reused buffer and hashes it there, `put_blob` writes that buffer as it is
          (O_DIRECT) with the fsync: one read, one hash (photos only: the 1 GiB file is over
          the snapshot limit)

and prints the medians of CPU (every thread, user + system) and wall per file, and each / plain.
The photos are bench_ingest.py's 200-photo batch (made there, cached in its `--dir`); the big
file is random bytes, made once in `--dir`. Both sides read from the page cache (the files are
read once before timing). The page cache's cost is the kernel's: on this project's VMs, filling
it costs about 2 ms of CPU a megabyte, more than hashing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the checkout being measured (run from its root)
from repository import LocalStore  # noqa: E402
from repository.store import snapshot_of  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain(files: list[Path], root: Path) -> None:
    root.mkdir(parents=True)
    for number, path in enumerate(files):
        with path.open("rb") as source:
            hashlib.file_digest(source, "sha256")
        digest = hashlib.sha256()
        temporary = root / f"tmp-{number}"
        with path.open("rb") as source, temporary.open("wb") as target:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, root / digest.hexdigest())


def store(files: list[Path], root: Path) -> None:
    blobs = LocalStore(root)
    for path in files:
        with path.open("rb") as source:
            blobs.put_blob(source)


def snapshot(files: list[Path], root: Path) -> None:
    blobs = LocalStore(root)
    for path in files:
        with snapshot_of(path) as read:
            assert read is not None, f"{path} is over the snapshot limit"
            blobs.put_blob(read)


METHODS = {"plain": plain, "store": store, "snapshot": snapshot}


def measure(
    files: list[Path], rounds: int, scratch: Path, names: tuple[str, ...]
) -> dict[str, list[tuple[float, float]]]:
    for path in files:
        path.read_bytes()  # into the page cache for every side
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for round_ in range(rounds):
        turn = names[round_ % len(names) :] + names[: round_ % len(names)]  # rotating order
        for name in turn:
            root = scratch / f"{name}-{round_}"
            used, start = cpu(), time.perf_counter()
            METHODS[name](files, root)
            wall, spent = time.perf_counter() - start, cpu() - used
            results[name].append((spent / len(files), wall / len(files)))
            shutil.rmtree(root)
    return results


def report(title: str, results: dict[str, list[tuple[float, float]]], unit: float) -> None:
    print(title)
    medians = {}
    for name, runs in results.items():
        medians[name] = (
            statistics.median(c for c, _ in runs),
            statistics.median(w for _, w in runs),
        )
        c, w = medians[name]
        print(f"  {name:8s} CPU {c * unit:8.2f}  wall {w * unit:8.2f}")
    pc, pw = medians["plain"]
    for name, (c, w) in medians.items():
        if name != "plain":
            print(f"  {name} / plain: CPU {c / pc:.2f}×, wall {w / pw:.2f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="photos (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each (default 3)")
    parser.add_argument("--big-gib", type=float, default=0, help="also one file of this size")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "heritage-bench-ingest",
        help="bench_ingest.py's cache (its batch-200 photos)",
    )
    args = parser.parse_args()
    photos = sorted((args.dir / "batch-200").glob("*.jpg"))[: args.n]
    if len(photos) < args.n:
        sys.exit(f"run bench/bench_ingest.py first: it makes the photos in {args.dir}/batch-200")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    size = sum(p.stat().st_size for p in photos) / len(photos) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.dir) as tmp:
        scratch = Path(tmp)
        results = measure(photos, args.rounds, scratch, ("plain", "store", "snapshot"))
        report(f"{len(photos)} photos, {size:.1f} MB on average; ms a file", results, 1000)
        if args.big_gib:
            big = args.dir / f"random-{args.big_gib:g}GiB.bin"
            if not big.is_file():
                with big.open("wb") as out:
                    for _ in range(int(args.big_gib * 1024)):
                        out.write(os.urandom(1024 * 1024))
            results = measure([big], args.rounds, scratch, ("plain", "store"))
            report(f"one file of {args.big_gib:g} GiB; seconds", results, 1)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
