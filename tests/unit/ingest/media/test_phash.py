"""The perceptual hash: the same photo resized, re-encoded, slightly cropped or brightened stays
within the near-duplicate threshold; different photos are far apart."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from ingest.media.image import make_image_derivatives
from ingest.media.phash import distance, phash
from ingest.neardup import THRESHOLD
from tests.unit.support import images


def reencoded(picture: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def cropped_brighter(picture: Image.Image) -> Image.Image:
    width, height = picture.size  # 2 % off every side, 10 % brighter
    box = (width // 50, height // 50, width - width // 50, height - height // 50)
    return ImageEnhance.Brightness(picture.crop(box)).enhance(1.1)


def half(picture: Image.Image) -> Image.Image:
    return picture.resize((picture.width // 2, picture.height // 2), Image.Resampling.BICUBIC)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    "change",
    [half, lambda p: reencoded(p, 60), cropped_brighter, lambda p: p.convert("L")],
    ids=["resized-50%", "jpeg-q60", "cropped-brightened", "greyscale"],
)
def test_the_same_photo_changed_stays_within_the_threshold(seed: int, change) -> None:
    photo = images.scene(seed)
    assert distance(phash(photo), phash(change(photo))) <= THRESHOLD


def test_different_photos_are_far_apart() -> None:
    hashes = [phash(images.scene(seed)) for seed in range(1, 9)]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert distance(a, b) > 2 * THRESHOLD


def test_the_hash_is_16_hex_digits_and_distance_counts_bits() -> None:
    value = phash(images.scene(4))
    assert re.fullmatch(r"[0-9a-f]{16}", value)
    assert distance(value, value) == 0
    flipped = f"{int(value, 16) ^ 0b1011:016x}"
    assert distance(value, flipped) == 3


def test_the_image_stage_hashes_alike_on_both_decoding_paths(tmp_path: Path) -> None:
    """A camera JPEG goes through libvips, a PNG through Pillow: the same picture hashes alike."""
    photo = images.scene(5, (2400, 1600))
    photo.save(tmp_path / "photo.jpg", "JPEG", quality=90)
    half(photo).save(tmp_path / "photo.png")
    jpeg = make_image_derivatives(tmp_path / "photo.jpg", tmp_path / "a", max_pixels=10**8)
    png = make_image_derivatives(tmp_path / "photo.png", tmp_path / "b", max_pixels=10**8)
    assert jpeg.phash and png.phash
    assert distance(jpeg.phash, png.phash) <= THRESHOLD
    other = tmp_path / "other.jpg"
    images.scene(6, (2400, 1600)).save(other, "JPEG", quality=90)
    stranger = make_image_derivatives(other, tmp_path / "c", max_pixels=10**8)
    assert stranger.phash and distance(jpeg.phash, stranger.phash) > THRESHOLD
