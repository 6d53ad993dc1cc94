"""A 64-bit perceptual hash of a photo, so the same picture scanned twice, resized or re-encoded
is recognised across items and collections (`ingest.neardup` compares them).

The DCT pHash (Zauner 2010, what `imagehash.phash` computes): the picture in greys at 32×32, the
8×8 lowest frequencies of its 2-D DCT-II, one bit per coefficient above their median (the DC
term included, as imagehash does). It keeps the coarse structure of the picture and drops what
resizing, JPEG re-encoding, a slight crop or a brightness change alter. The `imagehash` package
computes the same thing but pulls in scipy and PyWavelets for 64 numbers; here the DCT is two
small numpy matrix products over precomputed cosines (~0.1 ms), on the thumbnail the image
stage already holds in memory (bench/bench_phash.py measures it).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image

HASH_SIZE = 8  # 8×8 coefficients: 64 bits, written as 16 hex digits
SAMPLE = 32  # the greyscale picture the DCT is taken of


@cache
def _basis() -> np.ndarray:
    """The first HASH_SIZE rows of the SAMPLE-point DCT-II basis (scale does not change bits)."""
    u = np.arange(HASH_SIZE)[:, None]
    x = np.arange(SAMPLE)[None, :]
    return np.cos(np.pi * u * (2 * x + 1) / (2 * SAMPLE))


def phash(picture: Image.Image) -> str:
    """The 64-bit pHash of `picture` (any mode) as 16 lower-case hex digits."""
    grey = picture.convert("L").resize((SAMPLE, SAMPLE), Image.Resampling.LANCZOS)
    pixels = np.frombuffer(grey.tobytes(), dtype=np.uint8).reshape(SAMPLE, SAMPLE)
    basis = _basis()
    # the HASH_SIZE low horizontal frequencies of every row, then the low vertical ones of those
    coefficients = (basis @ (pixels @ basis.T)).ravel()  # [vertical][horizontal], row-major
    median = np.median(coefficients)
    bits = 0
    for above in coefficients > median:
        bits = (bits << 1) | int(above)
    return f"{bits:016x}"


def distance(a: str, b: str) -> int:
    """Hamming distance of two hashes: how many of the 64 bits differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
