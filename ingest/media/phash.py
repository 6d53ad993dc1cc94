"""A 64-bit perceptual hash of a photo, so the same picture scanned twice, resized or re-encoded
is recognised across items and collections (`ingest.neardup` compares them).

The DCT pHash (Zauner 2010, what `imagehash.phash` computes): the picture in greys at 32×32, the
8×8 lowest frequencies of its 2-D DCT-II, one bit per coefficient above their median (the DC
term included, as imagehash does). It keeps the coarse structure of the picture and drops what
resizing, JPEG re-encoding, a slight crop or a brightness change alter. The `imagehash` package
computes the same thing but pulls in numpy, scipy and PyWavelets for 64 numbers; here the DCT is
two small matrix products over precomputed cosines, under 2 ms in plain Python, on the
thumbnail the image stage already holds in memory (bench/bench_phash.py measures it).
"""

from __future__ import annotations

import math
import statistics
from functools import cache

from PIL import Image

HASH_SIZE = 8  # 8×8 coefficients: 64 bits, written as 16 hex digits
SAMPLE = 32  # the greyscale picture the DCT is taken of


@cache
def _cosines() -> tuple[tuple[float, ...], ...]:
    """The first HASH_SIZE rows of the SAMPLE-point DCT-II basis (scale does not change bits)."""
    return tuple(
        tuple(math.cos(math.pi * u * (2 * x + 1) / (2 * SAMPLE)) for x in range(SAMPLE))
        for u in range(HASH_SIZE)
    )


def phash(picture: Image.Image) -> str:
    """The 64-bit pHash of `picture` (any mode) as 16 lower-case hex digits."""
    grey = picture.convert("L").resize((SAMPLE, SAMPLE), Image.Resampling.LANCZOS)
    data = grey.tobytes()
    rows = [data[y * SAMPLE : (y + 1) * SAMPLE] for y in range(SAMPLE)]
    basis = _cosines()
    # rows first: the HASH_SIZE low horizontal frequencies of every row …
    across = [[sum(c * p for c, p in zip(cos, row, strict=True)) for cos in basis] for row in rows]
    # … then the HASH_SIZE low vertical frequencies of each of those columns
    coefficients = [
        sum(cos[y] * across[y][u] for y in range(SAMPLE)) for cos in basis for u in range(HASH_SIZE)
    ]
    median = statistics.median(coefficients)
    bits = 0
    for value in coefficients:
        bits = (bits << 1) | (value > median)
    return f"{bits:016x}"


def distance(a: str, b: str) -> int:
    """Hamming distance of two hashes: how many of the 64 bits differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
