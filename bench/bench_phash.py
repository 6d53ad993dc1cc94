"""Perceptual hash at ingest: its cost per photo next to the derivative time, same run, same files.

Uses bench/bench_images.py's photo-like 6000×4000 JPEGs (made once and cached), runs the real
image stage (`make_image_derivatives`, which now hashes the thumbnail it holds in memory) on each
and times, per photo, the whole stage and the part of it spent in the hash: `phash` itself
(timed by wrapping the function the stage calls) plus the hand-over of libvips' thumbnail to
Pillow (`write_to_memory` + `Image.frombytes`, timed on the same thumbnail). Then the look-up
table (`ingest.neardup.NearTable`) at 100 000 stored photos: build time, one look-up with the
band probes against a full scan of every entry; and what filling it from the records costs (an
ingest run reads every record once, at its first photo): `--records` records in a LocalStore
read through `RecordStore.readable`, per record and projected to the table's size.

    .venv/bin/python bench/bench_phash.py [--n 8] [--repeat 3] [--dir DIR] [--table 100000]
                                          [--records 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_images, run from anywhere

import pyvips  # noqa: E402
from bench_images import MAX_PIXELS, photos  # noqa: E402
from PIL import Image  # noqa: E402

from ingest.media import image as image_stage  # noqa: E402
from ingest.media.phash import phash  # noqa: E402
from ingest.neardup import THRESHOLD, NearTable, Photo, photos_of, stored_photos  # noqa: E402
from repository import LocalStore, RecordStore  # noqa: E402

pyvips.cache_set_max(0)


def stage_and_hash(src: Path, out: Path) -> tuple[float, float, float]:
    """(stage seconds, of which in `phash`, hand-over seconds) for one photo."""
    spent: list[float] = []

    def timed(picture: Image.Image) -> str:
        start = time.perf_counter()
        value = phash(picture)
        spent.append(time.perf_counter() - start)
        return value

    vars(image_stage)["phash"] = timed  # the stage looks the name up when it runs
    try:
        start = time.perf_counter()
        image_stage.make_image_derivatives(src, out, max_pixels=MAX_PIXELS)
        stage = time.perf_counter() - start
    finally:
        vars(image_stage)["phash"] = phash
    small = pyvips.Image.new_from_file(str(out / "thumbnail.jpg")).copy_memory()
    start = time.perf_counter()
    Image.frombytes("RGB", (small.width, small.height), small.write_to_memory())
    handover = time.perf_counter() - start
    return stage, sum(spent), handover


def table_figures(size: int, probes: int = 1000) -> str:
    rng = random.Random(7)
    hashes = [rng.getrandbits(64) for _ in range(size)]
    start = time.perf_counter()
    table = NearTable()
    for n, value in enumerate(hashes):
        table.add(Photo(f"item-{n}", value))
    built = time.perf_counter() - start
    queries = [hashes[rng.randrange(size)] ^ (1 << rng.randrange(64)) for _ in range(probes)]
    start = time.perf_counter()
    for query in queries:
        table.near(query)
    banded = (time.perf_counter() - start) / probes
    start = time.perf_counter()
    for query in queries[:20]:
        [h for h in hashes if (h ^ query).bit_count() <= THRESHOLD]
    scan = (time.perf_counter() - start) / 20
    return (
        f"table of {size} photos: built in {built:.2f} s; one look-up {banded * 1e6:.0f} µs "
        f"with the band probes, {scan * 1e3:.1f} ms comparing every entry "
        f"({scan / banded:.0f}×)"
    )


def reading_figures(count: int, projected: int) -> str:
    """Seconds to fill the table from `count` stored records, and that scaled to `projected`."""
    original = {"role": "original", "key": "blobs/x", "media_type": "image/jpeg", "bytes": 1}
    with tempfile.TemporaryDirectory(prefix="heritage-bench-records-") as root:
        records = RecordStore(LocalStore(Path(root)))
        rng = random.Random(11)
        for n in range(count):
            digest = f"{rng.getrandbits(256):064x}"
            phash_hex = f"{rng.getrandbits(64):016x}"
            records.save(
                {
                    "schema_version": "1.0",
                    "id": f"bench-{n:08d}",
                    "collection": "bench",
                    "institution": "local",
                    "title": {"zh": f"剪纸 {n}"},
                    "media_type": "image",
                    "access": "public",
                    "status": "published",
                    "files": [{**original, "sha256": digest, "phash": phash_hex}],
                    "events": [],
                    "created": "2026-01-01T00:00:00Z",
                    "modified": "2026-01-01T00:00:00Z",
                }
            )
        fresh = RecordStore(LocalStore(Path(root)))  # a new run: nothing validated yet
        start = time.perf_counter()
        table = NearTable()
        for photo in stored_photos(fresh):
            table.add(photo)
        spent = time.perf_counter() - start
        start = time.perf_counter()
        checked = [p for record in fresh.readable() for p in photos_of(record)]
        validated = time.perf_counter() - start
    assert len(table) == len(checked) == count
    each, slow = spent / count, validated / count
    return (
        f"filling the table from {count} stored records (LocalStore): {each * 1e6:.0f} µs per "
        f"record, so ~{each * projected:.1f} s for {projected} at a run's first photo "
        f"(through RecordStore's schema check: {slow * 1e6:.0f} µs, ~{slow * projected:.0f} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="number of 6000×4000 photos (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (≥ 1)")
    parser.add_argument("--table", type=int, default=100_000, help="photos in the look-up table")
    parser.add_argument("--records", type=int, default=2000, help="records read to fill it")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "heritage-bench-images",
        help="where the test photos are cached (shared with bench_images.py)",
    )
    args = parser.parse_args()
    if min(args.n, args.repeat, args.table, args.records) < 1:
        parser.error("--n, --repeat, --table and --records must be ≥ 1")
    files = photos(args.dir, args.n)
    print(f"machine: {os.cpu_count()} cores; load average at start: {os.getloadavg()[0]:.2f}")
    stages, hashes, handovers = [], [], []
    with tempfile.TemporaryDirectory(prefix="heritage-bench-phash-") as scratch:
        for pass_ in range(args.repeat + 1):  # the first pass warms up and is dropped
            for src in files:
                stage, hashed, handover = stage_and_hash(src, Path(scratch) / src.stem)
                if pass_:
                    stages.append(stage)
                    hashes.append(hashed)
                    handovers.append(handover)
    stage, hashed, handover = map(statistics.median, (stages, hashes, handovers))
    print(
        f"{len(files)} photos × {args.repeat} passes, medians per photo:\n"
        f"  derivatives (make_image_derivatives, hash included): {stage * 1e3:.1f} ms\n"
        f"  perceptual hash (phash of the thumbnail):             {hashed * 1e3:.2f} ms\n"
        f"  libvips thumbnail handed to Pillow:                   {handover * 1e3:.2f} ms\n"
        f"  hash cost / derivative time: {(hashed + handover) / stage:.2%} (target ≤ 5 %)"
    )
    print(table_figures(args.table))
    print(reading_figures(args.records, args.table))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
