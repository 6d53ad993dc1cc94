"""End-to-end ingest of a photo batch against the bare derivative rate, in one run (issue 15).

    .venv/bin/python bench/bench_ingest.py                 # 200 photos, half 24 MP, half 12 MP
    .venv/bin/python bench/bench_ingest.py --n 1000        # the issue's 1 000-photo batch

The photos are bench_images.py's photo-like 6000×4000 JPEGs (q90, every fourth sideways with
EXIF Orientation 6) and 4240×2832 (12 MP) versions of them; each of the N files is a distinct
copy (its own JPEG comment segment), so every one is a new item. Cached in `--dir`.

  bare     `make_image_derivatives` of every file in a spawned pool of `--workers` processes
           that is started and warmed before the clock starts: the derivative work alone, with
           nothing read twice, hashed, stored, recorded or indexed
  ingest   `heritage ingest <dir> -c bench-ingest --workers K` into a fresh data folder
           (LocalStore + SQLite, the embedded default), from the command's start to its exit:
           CLI and worker start-up, hashing, derivatives, storing, records, index, report;
           run as an installed command runs, with its bytecode compiled (kept under
           ~/.cache/heritage/pycache: this shell may set PYTHONDONTWRITEBYTECODE)

The two take turns `--rounds` times; the table shows the medians, ingest / bare as a rate ratio
(the target is ≥ 0.9), the CPU seconds of each (children included; the kernel's part apart:
writes, fsyncs and process start-up are kernel time), and the time a 1 000-photo
batch would take at the measured rate (start-up once, then per photo). The load average is
printed at the start and the end: on a shared machine, read the CPU columns beside the wall ones.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, os.getcwd())  # the checkout being measured (run from its root)

from bench_images import photos  # noqa: E402
from installed import (  # noqa: E402
    children,
    compile_checkout,
    count_every_descendant,
    installed_env,
    reap_orphans,
)

from ingest.media.image import make_image_derivatives  # noqa: E402

HERITAGE = str(Path(sys.executable).parent / "heritage")
MEDIUM = (4240, 2832)  # 12 MP
BASES = 8


def bases(cache: Path) -> list[bytes]:
    """Eight 24 MP photos and their 12 MP versions, as JPEG bytes."""
    made = []
    for path in photos(cache / "bases", BASES):
        made.append(path.read_bytes())
        medium = path.with_name(path.stem + "-12mp.jpg")
        if not medium.is_file():
            with Image.open(path) as im:
                exif = im.info.get("exif", b"")
                im.resize(MEDIUM, Image.Resampling.LANCZOS).save(
                    medium, "JPEG", quality=90, exif=exif
                )
        made.append(medium.read_bytes())
    return made


def batch(cache: Path, n: int) -> Path:
    """A folder of N distinct JPEGs, alternately 24 MP and 12 MP (made once, then reused)."""
    folder = cache / f"batch-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.jpg"))) != n:
        data = bases(cache)
        for i in range(n):
            comment = f"bench-ingest copy {i}".encode()
            segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
            source = data[i % len(data)]
            (folder / f"photo-{i:04d}.jpg").write_bytes(source[:2] + segment + source[2:])
    return folder


def children_cpu() -> tuple[float, float]:
    """CPU seconds of the reaped children: all of it, and the kernel's part."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_stime


def derive(args: tuple[Path, Path]) -> None:
    src, out = args
    make_image_derivatives(src, out, max_pixels=200_000_000)
    shutil.rmtree(out)


def warm(_: int) -> None:
    time.sleep(0.2)  # every worker started and imported before the clock starts


def bare(pool: ProcessPoolExecutor, files: list[Path], scratch: Path) -> tuple[float, float, float]:
    """Wall, CPU and kernel CPU seconds of the derivatives of every file in a ready pool."""
    own = os.times()
    start = time.perf_counter()
    list(pool.map(derive, [(f, scratch / f.stem) for f in files], chunksize=4))
    wall = time.perf_counter() - start
    now = os.times()
    # the pool's processes are not reaped between rounds: read their CPU from /proc
    cpu, system = pool_cpu(pool)
    own_system = now.system - own.system
    return wall, now.user - own.user + own_system + cpu, own_system + system


_last: dict[int, float] = {}


def pool_cpu(pool: ProcessPoolExecutor) -> tuple[float, float]:
    """CPU seconds the pool's processes used since the last call, and the kernel's part."""
    total = system = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in list(pool._processes):  # noqa: SLF001 (a bench reads its own pool)
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user, kernel = int(fields[11]) / tick, int(fields[12]) / tick
        total += user + kernel - _last.get(pid, 0.0)
        system += kernel - _last.get(-pid, 0.0)
        _last[pid], _last[-pid] = user + kernel, kernel
    return total, system


def ingest(folder: Path, workers: int, data: Path) -> tuple[float, float, float, str]:
    """Wall, CPU and kernel CPU seconds of one `heritage ingest` into a fresh data folder, and
    its summary."""
    shutil.rmtree(data, ignore_errors=True)
    env = installed_env(HERITAGE_DATA_DIR=str(data), HERITAGE_QUEUE="local")
    env.pop("HERITAGE_STORAGE", None)
    cpu, system = children_cpu()
    mine = children()
    start = time.perf_counter()
    done = subprocess.run(
        [HERITAGE, "ingest", str(folder), "-c", "bench-ingest", "--workers", str(workers)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    reap_orphans(mine)  # the workers' fork server: its CPU and theirs count
    if done.returncode != 0:
        sys.exit(f"heritage ingest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    report = Path(done.stdout.rsplit("Report:", 1)[1].strip())
    counts: dict[str, int] = {}
    for item in json.loads(report.read_text())["items"]:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    shutil.rmtree(data, ignore_errors=True)
    cpu_after, system_after = children_cpu()
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    return wall, cpu_after - cpu, system_after - system, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="photos (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each (default 2)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "heritage-bench-ingest",
        help="where the photos are cached",
    )
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder = batch(args.dir, args.n)
    files = sorted(folder.glob("*.jpg"))
    size = sum(f.stat().st_size for f in files)
    print(f"{args.n} photos (half 24 MP, half 12 MP), {size / 1e9:.2f} GB, {args.workers} workers")
    compile_checkout()
    count_every_descendant()
    scratch = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    data = scratch / "data"
    results: dict[str, list[tuple[float, float, float]]] = {"bare": [], "ingest": []}
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(warm, range(args.workers * 2)))
        pool_cpu(pool)  # start counting from here
        for round_ in range(args.rounds):
            order = ["bare", "ingest"] if round_ % 2 == 0 else ["ingest", "bare"]
            for name in order:
                if name == "bare":
                    results[name].append(bare(pool, files, scratch / "bare"))
                else:
                    wall, cpu, system, summary = ingest(folder, args.workers, data)
                    results[name].append((wall, cpu, system))
                    print(f"  ingest: {summary}")
                wall, cpu, system = results[name][-1]
                print(
                    f"  round {round_ + 1} {name:6s} {wall:7.1f} s wall {cpu:7.1f} s CPU "
                    f"({system:.1f} s of it in the kernel)"
                )
    shutil.rmtree(scratch, ignore_errors=True)
    bare_wall, bare_cpu, bare_sys = (
        statistics.median(r[i] for r in results["bare"]) for i in range(3)
    )
    ingest_wall, ingest_cpu, ingest_sys = (
        statistics.median(r[i] for r in results["ingest"]) for i in range(3)
    )
    print()
    print(
        f"{'':28s}{'wall s':>9s}{'photos/s':>10s}{'CPU s':>9s}{'CPU ms/photo':>14s}"
        f"{'of it kernel':>14s}"
    )
    for label, wall, cpu, system in (
        ("bare derivatives", bare_wall, bare_cpu, bare_sys),
        ("heritage ingest", ingest_wall, ingest_cpu, ingest_sys),
    ):
        print(
            f"{label:28s}{wall:9.1f}{args.n / wall:10.2f}{cpu:9.1f}{cpu / args.n * 1000:14.0f}"
            f"{system / args.n * 1000:14.0f}"
        )
    print(f"ingest / bare, rate:        {bare_wall / ingest_wall:.2f}×   (target ≥ 0.9×)")
    # a round's two runs are back to back: this host's speed, which drifts by ±8 % over
    # minutes, is nearly the same for both, so the rounds' own ratios scatter less
    paired = sorted(b[0] / i[0] for b, i in zip(results["bare"], results["ingest"], strict=True))
    print(
        f"  round by round:           {statistics.median(paired):.2f}× median "
        f"({paired[0]:.2f}–{paired[-1]:.2f})"
    )
    print(f"ingest / bare, CPU a photo: {ingest_cpu / bare_cpu:.2f}×")
    per_photo = ingest_wall / args.n
    print(
        f"1 000 photos at this rate: {1000 * per_photo / 60:.1f} min "
        f"({per_photo * 1000:.0f} ms a photo; target < 3 min)"
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
