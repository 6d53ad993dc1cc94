"""Real image files for the ingest tests, written with Pillow (and by hand where Pillow cannot).

Shared by the unit tests and tests/e2e/test_ingest_cli_free.py.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)


def halves(
    size: tuple[int, int], left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB"
) -> Image.Image:
    """An image whose left half is `left` and right half is `right`."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def photo_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a camera writes it: make, model, capture time, GPS and orientation."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D Mark IV"
    exif.get_ifd(0x8769)[0x9003] = "2019:05:01 10:20:30"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps.update(
        {1: "N", 2: (39.0, 36.0, 0.0), 3: "E", 4: (109.0, 47.0, 24.0), 5: b"\x00", 6: 1350.5}
    )
    return exif


def jpeg(path: Path, size: tuple[int, int] = (600, 400), *, orientation: int = 1) -> Path:
    halves(size, RED, BLUE).save(path, "JPEG", quality=92, exif=photo_exif(orientation))
    return path


def noisy_jpeg(path: Path, size: tuple[int, int]) -> Path:
    """A JPEG with detail everywhere, so a cut-off file really lacks image data."""
    Image.effect_noise(size, 60).convert("RGB").save(path, "JPEG", quality=90)
    return path


def truncated_jpeg(path: Path) -> Path:
    data = noisy_jpeg(path, (800, 600)).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def cmyk_jpeg(path: Path) -> Path:
    """Pillow writes CMYK JPEGs the Adobe way: inverted, with an APP14 marker."""
    halves((200, 100), (0, 255, 255, 0), (255, 255, 0, 0), mode="CMYK").save(
        path, "JPEG", quality=95
    )
    return path


def tiff16_grey(path: Path, value: int = 40000) -> Path:
    Image.new("I;16", (300, 200), value).save(path, "TIFF")
    return path


def tiff16_rgb(path: Path, pixel: tuple[int, int, int] = (65535, 32768, 1000)) -> Path:
    """A 48-bit RGB TIFF (Pillow cannot write one): uncompressed, one strip, little-endian."""
    width, height = 40, 20
    data = struct.pack("<HHH", *pixel) * (width * height)
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, None),  # bits per sample: 16,16,16 stored after the IFD
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, 1, None),  # strip offset, filled below
        (277, 3, 1, 3),
        (278, 4, 1, height),
        (279, 4, 1, len(data)),
        (284, 3, 1, 1),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_at = 8 + ifd_size
    data_at = bits_at + 6
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = {258: bits_at, 273: data_at}.get(tag, value)
        ifd += (
            struct.pack("<HHII", tag, kind, count, value)
            if kind == 4 or count > 1
            else struct.pack("<HHIHH", tag, kind, count, value, 0)
        )
    path.write_bytes(
        b"II*\x00"
        + struct.pack("<I", 8)
        + ifd
        + b"\0\0\0\0"
        + struct.pack("<HHH", 16, 16, 16)
        + data
    )
    return path


def png_alpha(path: Path) -> Path:
    """Left half fully transparent red, right half opaque blue."""
    halves((200, 100), (*RED, 0), (*BLUE, 255), mode="RGBA").save(path, "PNG")
    return path


def animated_gif(path: Path) -> Path:
    """Two frames: red, then green. Only the first should be used."""
    frames = [Image.new("RGB", (120, 80), RED), Image.new("RGB", (120, 80), GREEN)]
    frames = [f.convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def palette_png_transparent(path: Path) -> Path:
    image = halves((100, 50), RED, BLUE).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    red_index = image.getpixel((0, 0))
    image.save(path, "PNG", transparency=red_index)
    return path


def simple(path: Path, fmt: str, size: tuple[int, int] = (120, 80)) -> Path:
    halves(size, RED, BLUE).save(path, fmt, **({"quality": 95} if fmt in ("WEBP", "HEIF") else {}))
    return path


def png_bomb(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A valid PNG header declaring a huge image, with a tiny IDAT: costs nothing to write."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _write(
        path,
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b""),
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def swapped_primaries_icc(description: str = "Test RGB with red and green swapped") -> bytes:
    """A matrix/TRC RGB ICC profile whose red colorant is sRGB's green and vice versa.

    A pixel (255, 0, 0) tagged with it is really green; converted to sRGB it must come out green.
    """

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    ascii_text = description.encode("ascii") + b"\0"
    desc = (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_text))
        + ascii_text
        + b"\0" * 8
        + b"\0\0\0"
        + b"\0" * 67
    )
    curve = b"curv\0\0\0\0" + struct.pack(">I", 1) + struct.pack(">H", int(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green colorant (D50)
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red colorant
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0public domain\0"),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, body = struct.pack(">I", len(tags)), b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = 128 + table_size + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + table + body


def scene(seed: int, size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """A photo-like picture: a plain ground and overlapping coloured ellipses, different for
    every seed (for perceptual hashes: near-duplicates are made from one, strangers from two)."""
    rng = random.Random(seed)
    picture = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    width, height = size
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 24, width // 2), rng.randrange(height // 16, height // 2)
        draw.ellipse([x, y, x + w, y + h], fill=tuple(rng.randrange(256) for _ in range(3)))
    return picture


def broken_booklet(path: Path) -> Path:
    """A two-page TIFF whose first page says the next page's directory is past the end (Pillow
    counts its pages with a TypeError)."""
    pages = [halves((32, 24), RED, BLUE) for _ in range(2)]
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:])
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\x00"  # little-endian: offsets read with "<"
    first = struct.unpack_from("<I", data, 4)[0]
    entries = struct.unpack_from("<H", data, first)[0]
    struct.pack_into("<I", data, first + 2 + entries * 12, len(data) + 1000)
    path.write_bytes(bytes(data))
    return path
