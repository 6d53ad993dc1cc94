"""Image derivatives: our pipeline against pyvips and plain Pillow, same run, same files.

Makes N photo-like JPEGs of 6000×4000 or `--size` (quality 90, some stored sideways with EXIF
Orientation 6; cached between runs), then for each method makes an access copy (≤ 2048 px,
JPEG q85) and a thumbnail (≤ 400 px, JPEG q80) of every file:

  ours      `ingest.media.image.make_image_derivatives` (the real pipeline stage)
  pyvips    the baseline: libvips' chained thumbnail — `thumbnail(file, 2048)` held in memory
            (`copy_memory`, so the file is decoded once), saved, then `thumbnail_image(400)` of it
  pillow    plain Pillow, the naive way, decoding once: open → exif_transpose (full decode) →
            RGB → thumbnail(2048) → save, then thumbnail(400) of that → save

Each method runs one warm-up pass (not timed), then `--repeat` timed passes, the methods taking
turns in a rotating order; the table gives the median throughput and the ratio to pyvips.
`--workers K` adds the same measurement through a pool of K processes (wall-clock throughput of
the whole pool). Then the quality of each method's access copies: PSNR (RGB) and SSIM (luma,
7×7 window) against a full-quality reference — full decode, upright, one Lanczos resize to the
same size — averaged over the files. libvips' operation cache is off, as in the pipeline: every
file is read as if for the first time.

    .venv/bin/python bench/bench_images.py [--n 8] [--size 6000x4000] [--repeat 3] [--workers K]
                                           [--dir DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
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

import numpy as np
import PIL
import pyvips
import simplejpeg
from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter, ImageOps, features

from ingest.media.image import (
    ACCESS_MAX,
    ACCESS_QUALITY,
    THUMBNAIL_MAX,
    THUMBNAIL_QUALITY,
    fitted,
    make_image_derivatives,
)
from ingest.pipeline import IngestOptions

PHOTO_SIZE = (6000, 4000)
PHOTO_QUALITY = 90
MAX_PIXELS = IngestOptions.max_image_pixels

pyvips.cache_set_max(0)  # a real batch reads each file once

Method = Callable[[Path, Path], None]


# --- the test photographs ------------------------------------------------------------------


def make_photo(path: Path, seed: int, size: tuple[int, int] = PHOTO_SIZE) -> None:
    """A JPEG of `size` that compresses like a photograph: a smooth sky-to-ground gradient,
    soft-edged shapes (hills, trees, buildings), fine texture and mild sensor noise."""
    rng = random.Random(seed)
    small = (size[0] // 4, size[1] // 4)
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
    img = sky.filter(ImageFilter.GaussianBlur(1.2)).resize(size, Image.Resampling.BICUBIC)
    img = ImageChops.add(img, _noise(rng, (w * 2, h * 2), 40, size), 1.0, -20)  # texture
    img = ImageChops.add(img, _noise(rng, size, 18, size), 1.0, -9)  # sensor noise
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


def photos(directory: Path, n: int, size: tuple[int, int] = PHOTO_SIZE) -> list[Path]:
    """The N test photos of `size`, made once and reused from `directory` afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = directory / f"photo-{size[0]}x{size[1]}-q{PHOTO_QUALITY}-{i:02d}.jpg"
        if not path.is_file() or path.stat().st_size == 0:
            print(f"  making {path.name} …", file=sys.stderr)
            make_photo(path, i, size)
        paths.append(path)
    return paths


def _orientation(path: Path) -> int | None:
    with Image.open(path) as im:
        return im.getexif().get(ExifTags.Base.Orientation)


# --- the methods ---------------------------------------------------------------------------


def ours(src: Path, out: Path) -> None:
    make_image_derivatives(src, out, max_pixels=MAX_PIXELS)


def vips(src: Path, out: Path) -> None:
    """libvips' chained thumbnail: decode and shrink once, the thumbnail from the access copy."""
    out.mkdir(parents=True, exist_ok=True)
    access = pyvips.Image.thumbnail(str(src), ACCESS_MAX).copy_memory()
    access.jpegsave(str(out / "access.jpg"), Q=ACCESS_QUALITY)
    access.thumbnail_image(THUMBNAIL_MAX).jpegsave(str(out / "thumbnail.jpg"), Q=THUMBNAIL_QUALITY)


def pillow(src: Path, out: Path) -> None:
    """The naive way, decoding once: everything from the full-size picture."""
    out.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        img = ImageOps.exif_transpose(im).convert("RGB")
    img.thumbnail((ACCESS_MAX, ACCESS_MAX))
    img.save(out / "access.jpg", "JPEG", quality=ACCESS_QUALITY)
    img.thumbnail((THUMBNAIL_MAX, THUMBNAIL_MAX))
    img.save(out / "thumbnail.jpg", "JPEG", quality=THUMBNAIL_QUALITY)


METHODS: dict[str, tuple[str, Method]] = {
    "ours": ("ours (make_image_derivatives)", ours),
    "pyvips": ("pyvips chained thumbnail", vips),
    "pillow": ("plain Pillow, one decode", pillow),
}
BASELINE = "pyvips"


def _run(job: tuple[str, Path, Path]) -> float:
    """One file through one method: the CPU seconds its process spent on it (all threads).
    Top-level so a process pool can pickle it."""
    name, src, out = job
    start = time.process_time()
    METHODS[name][1](src, out)
    return time.process_time() - start


# --- measuring -----------------------------------------------------------------------------


Timings = dict[str, list[tuple[float, float]]]  # method → (wall s, CPU s) per timed pass


def measure(files: list[Path], out: Path, repeat: int, pool: ProcessPoolExecutor | None) -> Timings:
    """Wall and CPU seconds per pass over all files, per method: one warm-up pass each
    (dropped), then `repeat` rounds that time every method in turn, in a rotating order, so load
    from other processes on a shared machine falls on all methods alike."""
    seconds: Timings = {name: [] for name in METHODS}
    names = list(METHODS)
    for round_ in range(repeat + 1):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            jobs = [(name, src, out / name / src.stem) for src in files]
            start = time.perf_counter()
            cpu = sum(map(_run, jobs) if pool is None else pool.map(_run, jobs))
            if round_:
                seconds[name].append((time.perf_counter() - start, cpu))
    return seconds


def table(title: str, files: list[Path], timings: Timings) -> str:
    """Wall-clock throughput (what a batch waits for) and CPU per image (what the machine
    pays, and what a busy shared machine blurs least), as medians and ratios to pyvips."""
    n = len(files)
    rate = {name: n / statistics.median(w for w, _ in runs) for name, runs in timings.items()}
    cpu = {name: statistics.median(c for _, c in runs) / n for name, runs in timings.items()}
    lines = [
        title,
        f"  {'method':<32}{'images/s':>10}{'spread':>8}{'vs pyvips':>11}"
        f"{'CPU ms/image':>14}{'vs pyvips':>11}",
    ]
    for name, runs in timings.items():
        walls = [w for w, _ in runs]
        spread = (max(walls) - min(walls)) / statistics.median(walls)
        lines.append(
            f"  {METHODS[name][0]:<32}{rate[name]:>10.2f}{spread:>8.0%}"
            f"{rate[name] / rate[BASELINE]:>10.2f}×{cpu[name] * 1000:>14.0f}"
            f"{cpu[BASELINE] / cpu[name]:>10.2f}×"
        )
    lines.append(
        f"  ours/pyvips: {rate['ours'] / rate[BASELINE]:.2f}× throughput, "
        f"{cpu[BASELINE] / cpu['ours']:.2f}× CPU efficiency"
    )
    return "\n".join(lines)


# --- quality ---------------------------------------------------------------------------------


def reference(src: Path) -> Image.Image:
    """The access copy at full quality: full decode, upright, one Lanczos resize, no JPEG."""
    with Image.open(src) as im:
        upright = ImageOps.exif_transpose(im).convert("RGB")
    return upright.resize(fitted(upright.size, ACCESS_MAX), Image.Resampling.LANCZOS)


def psnr(found: np.ndarray, wanted: np.ndarray) -> float:
    mse = float(np.mean((found - wanted) ** 2))
    return 10 * np.log10(255**2 / mse)


def ssim(found: np.ndarray, wanted: np.ndarray, window: int = 7) -> float:
    """Mean SSIM of the luma over `window`×`window` squares (Wang et al. 2004, uniform window)."""
    weights = np.array([0.299, 0.587, 0.114])
    x, y = found @ weights, wanted @ weights

    def mean(values: np.ndarray) -> np.ndarray:
        total = np.pad(values, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
        k = window
        return (total[k:, k:] - total[:-k, k:] - total[k:, :-k] + total[:-k, :-k]) / k**2

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = mean(x), mean(y)
    vx, vy, cov = mean(x * x) - mx**2, mean(y * y) - my**2, mean(x * y) - mx * my
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(index.mean())


def quality(files: list[Path], out: Path) -> str:
    """PSNR/SSIM of every method's access copies (from the last pass) against `reference`."""
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in METHODS}
    for src in files:
        wanted = np.asarray(reference(src), dtype=np.float64)
        for name in METHODS:
            with Image.open(out / name / src.stem / "access.jpg") as im:
                found = np.asarray(im.convert("RGB"), dtype=np.float64)
            if found.shape != wanted.shape:
                raise SystemExit(
                    f"{name}: {src.name} access copy is {found.shape}, not {wanted.shape}"
                )
            scores[name].append((psnr(found, wanted), ssim(found, wanted)))
    lines = [
        "quality of the access copies against the full-quality reference (mean over the files)",
        f"  {'method':<32}{'PSNR dB':>10}{'SSIM':>10}",
    ]
    for name, pairs in scores.items():
        lines.append(
            f"  {METHODS[name][0]:<32}{statistics.mean(p for p, _ in pairs):>10.2f}"
            f"{statistics.mean(s for _, s in pairs):>10.4f}"
        )
    return "\n".join(lines)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(side) for side in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 4000x3000") from None
    if not (64 <= width <= 20000 and 64 <= height <= 20000):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 64 to 20000 px")
    return width, height


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="number of photos (default 8)")
    parser.add_argument(
        "--size",
        type=_size,
        default=PHOTO_SIZE,
        help="the photos' width×height, e.g. 4000x3000 (default 6000x4000: 24 MP)",
    )
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

    size = args.size
    files = photos(args.dir, args.n, size)
    rotated = sum(1 for f in files if _orientation(f) == 6)
    average_mb = statistics.mean(f.stat().st_size for f in files) / 1e6
    print(
        f"machine: {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}, Pillow {PIL.__version__}, "
        f"libjpeg-turbo {features.version('libjpeg_turbo')} (Pillow's), "
        f"simplejpeg {simplejpeg.__version__}, "
        f"pyvips {pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)}."
        f"{pyvips.version(2)}, {pyvips.concurrency_get()} threads)"
    )
    print("load average at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(
        f"input: {len(files)} JPEGs {size[0]}×{size[1]} q{PHOTO_QUALITY} "
        f"({rotated} with EXIF Orientation 6), {average_mb:.1f} MB on average, in {args.dir}"
    )
    print(
        f"work: access copy ≤ {ACCESS_MAX} px + thumbnail ≤ {THUMBNAIL_MAX} px per image; "
        f"median of {args.repeat} timed passes after 1 warm-up pass; "
        "spread = (slowest - fastest pass) / median; CPU counts every thread of the process "
        "that did the work\n"
    )
    with tempfile.TemporaryDirectory(prefix="heritage-bench-out-") as scratch:
        out = Path(scratch)
        print(table("single process", files, measure(files, out, args.repeat, None)))
        if args.workers:
            # Spawned, as the pipeline's pools are: libvips' threads do not survive a fork.
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool:
                pooled = measure(files, out, args.repeat, pool)
            print(f"\n{table(f'process pool, {args.workers} workers', files, pooled)}")
        print(f"\n{quality(files, out)}")
    print("load average at end: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
