"""Re-running an ingest whose items are all stored, against the read+sha256 floor of its files.

Makes N distinct 6000×4000 JPEGs of about 5.5 MB (a few noise photos, each copy made unique by a
JPEG comment; cached in `--dir`), ingests them once with the `heritage` CLI (not timed; the store
is kept in `--dir` and reused), then takes turns `--runs` times between:

  floor   one process reads every file and computes its sha256 (`hashlib.file_digest`): what any
          re-run must at least do to know the files are unchanged
  re-run  `heritage ingest <photos> -c bench-reingest` in a fresh process, wall clock from start
          to exit (every item must come back `unchanged`)
  store   `put_blob` of every file into the stored repository, in one process (the store's own
          share of a re-run; each blob must come back `existed`)

and prints the medians, re-run / floor and store / floor, and the wall time of `heritage --help`
(what every CLI run pays before any work). The CLI is started as the `heritage` console script
is: from a script file, so the spawned workers re-import it as their main module. The files are
read once before timing, so every side reads from the page cache, and the CLI runs with its
bytecode compiled, as installed (bench/installed.py). `--storage s3` uses the MinIO
of scripts/services.sh (the HERITAGE_TEST_S3_* variables) with a bucket of its own.

    .venv/bin/python bench/bench_reingest.py [--n 300] [--runs 3] [--storage local|s3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, os.getcwd())  # the checkout being measured (run from its root)
from installed import compile_checkout, installed_env  # noqa: E402

from repository import LocalStore, ObjectStore  # noqa: E402

BASES = 4
SIZE = (6000, 4000)
COLLECTION = "bench-reingest"


def make_base(path: Path) -> None:
    """A noisy 6000×4000 JPEG at q90: about 5.5 MB, decodable like any photograph."""
    bands = [
        Image.effect_noise((500, 333), 60 + 10 * i).resize(SIZE, Image.Resampling.BICUBIC)
        for i in range(3)
    ]
    Image.merge("RGB", bands).save(path, "JPEG", quality=90)


def photos(directory: Path, n: int) -> list[Path]:
    """N distinct JPEGs: copies of a few bases, each with its own COM segment after SOI."""
    directory.mkdir(parents=True, exist_ok=True)
    bases = []
    for b in range(BASES):
        base = directory.parent / f"base-{b}.jpg"
        if not base.is_file():
            make_base(base)
        bases.append(base.read_bytes())
    paths = []
    for i in range(n):
        path = directory / f"photo-{i:04d}.jpg"
        if not path.is_file():
            comment = f"bench-reingest copy {i}".encode()
            segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
            data = bases[i % BASES]
            path.write_bytes(data[:2] + segment + data[2:])
        paths.append(path)
    return paths


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as handle:
            hashlib.file_digest(handle, "sha256")
    return time.perf_counter() - start


def store_pass(paths: list[Path], store: ObjectStore) -> float:
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as handle:
            if not store.put_blob(handle).existed:
                sys.exit(f"{path} was not stored yet")
    return time.perf_counter() - start


CONSOLE_SCRIPT = """import sys
try:
    from api.cli.commands import app
except ImportError:
    from api.cli.commands import app
if __name__ == "__main__":
    sys.exit(app())
"""


def cli(script: Path, args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one `heritage` run, and what it printed."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"heritage {args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def ingest(script: Path, photo_dir: Path, env: dict[str, str]) -> tuple[float, dict[str, int]]:
    """Wall seconds of one CLI ingest, and its outcome counts from the report it writes."""
    elapsed, stdout = cli(script, ["ingest", str(photo_dir), "-c", COLLECTION], env)
    report = stdout.rsplit("Report:", 1)[1].strip()
    counts: dict[str, int] = {}
    for item in json.loads(Path(report).read_text())["items"]:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    return elapsed, counts


def s3_env(bucket: str) -> dict[str, str]:
    try:
        return {
            "HERITAGE_STORAGE": "s3",
            "HERITAGE_S3_ENDPOINT": os.environ["HERITAGE_TEST_S3_ENDPOINT"],
            "HERITAGE_S3_ACCESS_KEY": os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
            "HERITAGE_S3_SECRET_KEY": os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
            "HERITAGE_S3_BUCKET": bucket,
        }
    except KeyError as missing:
        sys.exit(f"--storage s3 needs {missing} (set -a; . /tmp/heritage-services/env)")


def open_bench_store(data_dir: Path, env: dict[str, str]) -> ObjectStore:
    if env.get("HERITAGE_STORAGE") != "s3":
        return LocalStore(data_dir / "store")
    from repository.s3 import S3Store

    return S3Store(
        env["HERITAGE_S3_ENDPOINT"],
        env["HERITAGE_S3_ACCESS_KEY"],
        env["HERITAGE_S3_SECRET_KEY"],
        env["HERITAGE_S3_BUCKET"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="photos (default 300, about 1.67 GB)")
    parser.add_argument("--runs", type=int, default=3, help="timed re-runs (default 3)")
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "heritage-bench-reingest",
        help="where photos and the store are cached",
    )
    args = parser.parse_args()
    photo_dir = args.dir / f"photos-{args.n}"
    paths = photos(photo_dir, args.n)
    total = sum(p.stat().st_size for p in paths)
    data_dir = args.dir / f"data-{args.storage}-{args.n}"
    env = installed_env(HERITAGE_DATA_DIR=str(data_dir), PYTHONPATH=os.getcwd())
    if args.storage == "s3":
        env.update(s3_env(f"bench-reingest-{args.n}"))
    store = open_bench_store(data_dir, env)
    compile_checkout()
    print(f"{args.n} photos, {total / 1e9:.2f} GB, storage {args.storage}, code {os.getcwd()}")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "heritage"
        script.write_text(CONSOLE_SCRIPT)
        first, counts = ingest(script, photo_dir, env)
        print(f"first ingest (setup, not compared): {first:.1f} s {counts}")
        floor(paths)  # warm the page cache for every side
        floors, stores, reruns, startups = [], [], [], []
        for run in range(args.runs):
            floors.append(floor(paths))
            stores.append(store_pass(paths, store))
            elapsed, counts = ingest(script, photo_dir, env)
            if counts != {"unchanged": args.n}:
                sys.exit(f"re-run {run + 1} did not find every item unchanged: {counts}")
            reruns.append(elapsed)
            startups.append(cli(script, ["--help"], env)[0])
            print(
                f"  run {run + 1}: floor {floors[-1]:.2f} s, store {stores[-1]:.2f} s, "
                f"re-run {elapsed:.2f} s, heritage --help {startups[-1]:.2f} s"
            )
    f, st, r = (statistics.median(x) for x in (floors, stores, reruns))
    print(f"median floor (read+sha256, 1 process)  {f:.2f} s ({total / f / 1e6:.0f} MB/s)")
    print(f"median store.put_blob pass (1 process) {st:.2f} s  store / floor  {st / f:.2f}×")
    print(f"median re-run (heritage ingest)        {r:.2f} s  re-run / floor {r / f:.2f}×")
    print(f"median heritage --help                 {statistics.median(startups):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
