"""Image derivatives: our pipeline against plain Pillow, measured in the same run on the same files.

Makes N photo-like 6000×4000 JPEGs (quality 90, some stored sideways with EXIF Orientation 6;
cached between runs), then for each method makes an access copy (≤ 2048 px) and a thumbnail
(≤ 400 px) of every file:

  ours      `ingest.media.image.make_image_derivatives` (the real pipeline stage)
  baseline  plain Pillow, the naive way: full decode → exif_transpose → RGB → thumbnail(2048) →
            JPEG q85, then a fresh full decode for thumbnail(400)
  draft     the baseline with JPEG draft mode (decode at a reduced DCT scale) and nothing else

Each method runs one warm-up pass (not timed), then `--repeat` timed passes, the methods taking
turns; the table gives the median throughput. `--workers K` adds the same measurement through a
pool of K processes (wall-clock throughput of the whole pool).

    .venv/bin/python bench/bench_images.py [--n 8] [--repeat 3] [--workers K] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import PIL
from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter, ImageOps, features

from ingest.media.image import make_image_derivatives
from ingest.pipeline import IngestOptions

PHOTO_SIZE = (6000, 4000)
PHOTO_QUALITY = 90
ACCESS_MAX, THUMBNAIL_MAX, QUALITY = 2048, 400, 85
MAX_PIXELS = IngestOptions.max_image_pixels

Method = Callable[[Path, Path], None]


# --- the test photographs ------------------------------------------------------------------


def make_photo(path: Path, seed: int) -> None:
    """A 6000×4000 JPEG that compresses like a photograph: a smooth sky-to-ground gradient,
    soft-edged shapes (hills, trees, buildings), fine texture and mild sensor noise."""
    rng = random.Random(seed)
    small = (PHOTO_SIZE[0] // 4, PHOTO_SIZE[1] // 4)
    sky = ImageOps.colorize(
        Image.linear_gradient("L").resize(small),
        (rng.randint(40, 120), rng.randint(90, 160), rng.randint(170, 230)),
        (rng.randint(150, 220), rng.randint(140, 200), rng.randint(90, 160)),
    )
    draw = ImageDraw.Draw(sky)
    w, h = small
    for layer in range(4):
        base = h * (0.45 + layer * 0.12)
        ridge = [(x, base + rng.uniform(-h * 0.05, h * 0.05)) for x in range(0, w + 60, 60)]
        shade = (rng.randint(30, 120), rng.randint(70, 150), rng.randint(20, 90))
        draw.polygon([*ridge, (w, h), (0, h)], fill=shade)
    for _ in range(700):  # foliage, rocks, houses: many small muted shapes
        x, y, r = rng.uniform(0, w), rng.uniform(h * 0.35, h), rng.uniform(3, 30)
        grey = rng.randint(30, 200)
        colour = tuple(max(0, min(255, grey + rng.randint(-50, 50))) for _ in range(3))
        if rng.random() < 0.7:
            draw.ellipse((x - r, y - r, x + r, y + r * 1.3), fill=colour)
        else:
            draw.rectangle((x - r, y - r * 2, x + r, y), fill=colour)
    img = sky.filter(ImageFilter.GaussianBlur(1.2)).resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    img = ImageChops.add(img, _noise(rng, (w * 2, h * 2), 40, PHOTO_SIZE), 1.0, -20)  # texture
    img = ImageChops.add(img, _noise(rng, PHOTO_SIZE, 18, PHOTO_SIZE), 1.0, -9)  # sensor noise
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "Canon EOS 5D Mark IV"
    exif[ExifTags.Base.Orientation] = 6 if seed % 4 == 3 else 1
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = (
        f"2021:07:{10 + seed % 20} 10:00:00"
    )
    img.save(path, "JPEG", quality=PHOTO_QUALITY, exif=exif.tobytes())


def _noise(
    rng: random.Random, size: tuple[int, int], amount: int, to: tuple[int, int]
) -> Image.Image:
    """Seeded RGB noise of `amount` levels, drawn at `size` and scaled up to `to`."""
    bands = []
    for _ in range(3):
        band = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
        bands.append(band.point(lambda v: v * amount // 255).resize(to, Image.Resampling.BILINEAR))
    return Image.merge("RGB", bands)


def photos(directory: Path, n: int) -> list[Path]:
    """The N test photos, made once and reused from `directory` afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = directory / f"photo-{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}-q{PHOTO_QUALITY}-{i:02d}.jpg"
        if not path.is_file() or path.stat().st_size == 0:
            print(f"  making {path.name} …", file=sys.stderr)
            make_photo(path, i)
        paths.append(path)
    return paths


def _orientation(path: Path) -> int | None:
    with Image.open(path) as im:
        return im.getexif().get(ExifTags.Base.Orientation)


# --- the methods ---------------------------------------------------------------------------


def ours(src: Path, out: Path) -> None:
    make_image_derivatives(src, out, max_pixels=MAX_PIXELS)


def baseline(src: Path, out: Path) -> None:
    """The naive way: two full decodes, everything done at full size."""
    out.mkdir(parents=True, exist_ok=True)
    for box, name in ((ACCESS_MAX, "access.jpg"), (THUMBNAIL_MAX, "thumbnail.jpg")):
        with Image.open(src) as im:
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
        img.thumbnail((box, box))
        img.save(out / name, "JPEG", quality=QUALITY)


def draft(src: Path, out: Path) -> None:
    """The baseline plus JPEG draft mode (decode at 1/2, 1/4 or 1/8 scale), nothing else."""
    out.mkdir(parents=True, exist_ok=True)
    for box, name in ((ACCESS_MAX, "access.jpg"), (THUMBNAIL_MAX, "thumbnail.jpg")):
        with Image.open(src) as im:
            scale = min(1.0, box / max(im.size))  # draft needs the aspect-fitted size, not a box
            im.draft("RGB", (round(im.width * scale), round(im.height * scale)))
            img = ImageOps.exif_transpose(im).convert("RGB")
        img.thumbnail((box, box))
        img.save(out / name, "JPEG", quality=QUALITY)


METHODS: dict[str, tuple[str, Method]] = {
    "ours": ("ours (make_image_derivatives)", ours),
    "baseline": ("plain Pillow (baseline)", baseline),
    "draft": ("Pillow + draft only", draft),
}


def _run(job: tuple[str, Path, Path]) -> None:
    """One file through one method; top-level so a process pool can pickle it."""
    name, src, out = job
    METHODS[name][1](src, out)


# --- measuring -----------------------------------------------------------------------------


def measure(
    files: list[Path], out: Path, repeat: int, pool: ProcessPoolExecutor | None
) -> dict[str, list[float]]:
    """Seconds per pass over all files, per method: one warm-up pass each (dropped), then
    `repeat` rounds that time every method in turn, so load from other processes on a shared
    machine falls on all methods alike rather than on whichever happened to run then."""
    seconds: dict[str, list[float]] = {name: [] for name in METHODS}
    for round_ in range(repeat + 1):
        for name in METHODS:
            jobs = [(name, src, out / name / src.stem) for src in files]
            start = time.perf_counter()
            if pool is None:
                for job in jobs:
                    _run(job)
            else:
                list(pool.map(_run, jobs))
            if round_:
                seconds[name].append(time.perf_counter() - start)
    return seconds


def table(title: str, files: list[Path], timings: dict[str, list[float]]) -> str:
    rate = {name: len(files) / statistics.median(times) for name, times in timings.items()}
    lines = [
        title,
        f"  {'method':<32}{'images/s':>10}{'s/image':>10}{'spread':>9}{'vs baseline':>13}",
    ]
    for name, times in timings.items():
        spread = (max(times) - min(times)) / statistics.median(times)
        lines.append(
            f"  {METHODS[name][0]:<32}{rate[name]:>10.2f}{1 / rate[name]:>10.3f}"
            f"{spread:>8.0%}{rate[name] / rate['baseline']:>12.2f}×"
        )
    lines.append(f"  ratio ours/baseline: {rate['ours'] / rate['baseline']:.2f}×")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="number of 6000×4000 photos (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per method (≥ 3)")
    parser.add_argument("--workers", type=int, default=0, help="also measure a pool of K processes")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "heritage-bench-images",
        help="where the test photos are cached (default: a folder in the temp dir)",
    )
    args = parser.parse_args()
    if args.n < 1 or args.repeat < 3 or args.workers < 0:
        parser.error("--n must be ≥ 1, --repeat ≥ 3 and --workers ≥ 0")

    files = photos(args.dir, args.n)
    rotated = sum(1 for f in files if _orientation(f) == 6)
    average_mb = statistics.mean(f.stat().st_size for f in files) / 1e6
    print(
        f"machine: {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}, Pillow {PIL.__version__}, "
        f"libjpeg-turbo {features.version('libjpeg_turbo')}"
    )
    print(
        f"input: {len(files)} JPEGs {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} q{PHOTO_QUALITY} "
        f"({rotated} with EXIF Orientation 6), {average_mb:.1f} MB on average, in {args.dir}"
    )
    print(
        f"work: access copy ≤ {ACCESS_MAX} px + thumbnail ≤ {THUMBNAIL_MAX} px per image; "
        f"median of {args.repeat} timed passes after 1 warm-up pass; "
        "spread = (slowest - fastest pass) / median\n"
    )
    with tempfile.TemporaryDirectory(prefix="heritage-bench-out-") as scratch:
        out = Path(scratch)
        print(table("single process", files, measure(files, out, args.repeat, None)))
        if args.workers:
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                pooled = measure(files, out, args.repeat, pool)
            print(f"\n{table(f'process pool, {args.workers} workers', files, pooled)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
