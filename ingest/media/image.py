"""Access copy and thumbnail of one image, decoded once at the size they need.

Speed: a camera JPEG (RGB, untagged or sRGB — most of what is ingested) is decoded by
libjpeg-turbo (simplejpeg's wheel) at the smallest DCT scale that leaves libvips' Lanczos-3 at
least 1.5× to reduce — 5/8 for a 24 MP photo, where libvips' own loader could only offer ½
(softer than pyvips' thumbnail) or the whole frame (dearer) — then resized, turned and saved by
libvips (pyvips), the thumbnail made from the access image in memory and written while the access
copy is. Measured (bench/README.md): 1.1× pyvips' chained thumbnail a photo, same or better PSNR
and SSIM; Pillow's Lanczos resize costs more than the decode and libvips' about a third of it,
so no Pillow path reaches pyvips' quality at pyvips' cost. Every other image goes through
Pillow: decoded straight at the smallest DCT scale (1/2, 1/4, 1/8) that still covers the access
size when it is a JPEG — `draft` must be given the aspect-fitted target, a square box would
decode the full frame — then resized once with bicubic; colour conversion, flattening and
rotation all run on the small image.

Correctness: EXIF orientation applied exactly once (libheif turns HEIF and Pillow ≥ 13 turns
TIFF while decoding, so what is left to do is read after decoding); CMYK (Adobe inverted
CMYK JPEGs included) and embedded ICC profiles converted to sRGB; 16-bit greys scaled to 8 bits,
not clipped; palette and alpha composited on white; the first frame of animations; the pixel
count checked against `max_pixels` from the header, before any decoding; truncated data refused.

Near-duplicates: the perceptual hash (`ingest.media.phash`) is taken of the thumbnail still in
memory, whichever path made it, so the same photo as a JPEG and as a TIFF hashes alike.
"""

from __future__ import annotations

import io
import math
import struct
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

import pillow_heif
import pyvips
import simplejpeg
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from ingest.errors import ImageError, ItemError
from ingest.media.phash import phash

pillow_heif.register_heif_opener()
# Every call reads a different file: libvips' operation cache would only hold on to decoded
# images, and could hand back a stale one for a scratch path reused with new content. (libvips'
# threads do not survive a fork: the pipeline's worker pools spawn.)
pyvips.cache_set_max(0)

ACCESS_MAX = 2048
THUMBNAIL_MAX = 400
ACCESS_QUALITY = 85
THUMBNAIL_QUALITY = 80

_DCT_SCALED = frozenset({"JPEG", "MPO"})
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_VIPS_TRANSPOSE = {  # the same turns and flips as _TRANSPOSE, in libvips' terms
    2: lambda im: im.fliphor(),
    3: lambda im: im.rot180(),
    4: lambda im: im.flipver(),
    5: lambda im: im.rot90().fliphor(),
    6: lambda im: im.rot90(),
    7: lambda im: im.rot270().fliphor(),
    8: lambda im: im.rot270(),
}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


@dataclass(frozen=True)
class Derivative:
    path: Path
    width: int
    height: int
    media_type: str = "image/jpeg"


@dataclass(frozen=True)
class ImageTechnical:
    """Facts read from the file. Width and height are as displayed (after EXIF orientation)."""

    format: str  # Pillow's format name: JPEG, PNG, TIFF, WEBP, GIF, BMP, HEIF …
    width: int
    height: int
    mode: str  # the decoded pixel mode: RGB, CMYK, I;16, P …
    captured: str | None = None  # EXIF DateTimeOriginal as ISO 8601
    camera_make: str | None = None
    camera_model: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    orientation: int | None = None  # EXIF orientation as found (1–8)
    icc_profile: str | None = None  # description of the embedded profile converted from

    @property
    def camera(self) -> str | None:
        """'Canon EOS 5D' from make 'Canon' and model 'Canon EOS 5D' (no doubled make)."""
        make, model = self.camera_make or "", self.camera_model or ""
        if model.casefold().startswith(make.casefold()):
            return model or None
        return f"{make} {model}".strip() or None

    def to_record(self) -> dict[str, Any]:
        """The record schema's `technical` object."""
        result: dict[str, Any] = {"format": self.format, "width": self.width, "height": self.height}
        if self.captured:
            result["captured"] = self.captured
        if self.camera:
            result["camera"] = self.camera
        if self.gps_lat is not None and self.gps_lon is not None:
            gps = {"lat": self.gps_lat, "lon": self.gps_lon}
            if self.gps_alt is not None:
                gps["alt"] = self.gps_alt
            result["gps"] = gps
        return result


@dataclass(frozen=True)
class ImageResult:
    access: Derivative
    thumbnail: Derivative
    technical: ImageTechnical
    notes: tuple[str, ...] = ()  # what normalisation did, for the provenance event
    phash: str | None = None  # 64-bit perceptual hash of the thumbnail, 16 hex digits
    warnings: tuple[str, ...] = ()  # what the copies lack, for the report


def make_image_derivatives(
    src: Path, out_dir: Path, *, max_pixels: int, data: memoryview | None = None
) -> ImageResult:
    """Write `access.jpg` (sRGB, longest side ≤ 2048) and `thumbnail.jpg` (≤ 400) into `out_dir`.

    Never upscales. Raises ImageError naming the file when it cannot be decoded safely.
    `data`: the file's bytes, already read (the ingest's `Snapshot`): they are what is read
    and decoded, not the file (`src` then only names it), so whatever the item records of the
    image comes from the bytes it stores.
    """
    notes: list[str] = []
    try:
        with _open(src, max_pixels, data) as im:
            technical = _technical(im)
            warnings = _preview_only(im)
            icc = im.info.get("icc_profile") or None
            if im.format in _DCT_SCALED and im.mode == "RGB" and (icc is None or _is_srgb(icc)):
                pending = _pending_orientation(im)  # a JPEG decoder never turns the picture
                made = _libvips_pictures(src, out_dir, im.size, pending, data)
            else:
                decoded = _decode_fitted(im)
                pending = _pending_orientation(im)
                access = _resize(_resizable(decoded), ACCESS_MAX, Image.Resampling.BICUBIC)
                access, converted_from = _to_srgb(_flatten(access), icc, notes)
                if converted_from:
                    technical = replace(technical, icc_profile=converted_from)
                if pending is not None:
                    access = access.transpose(_TRANSPOSE[pending])
                made = _write_pictures(access, out_dir)
    except ItemError:
        raise  # already names the file and the problem (ours are ValueErrors too)
    except _DECODE_ERRORS as exc:
        raise _undecodable(src, exc) from None
    if pending in (5, 6, 7, 8):  # the header's size is the stored one: turn it too
        technical = replace(technical, width=technical.height, height=technical.width)
    if technical.orientation not in (None, 1):
        notes.append(f"EXIF orientation {technical.orientation} applied")
    access_copy, thumbnail, small = made
    return ImageResult(access_copy, thumbnail, technical, tuple(notes), phash(small), warnings)


_REDUCED_RESOLUTION = 0x1  # TIFF NewSubfileType (tag 254): a reduced-size copy of another image
_DNG_VERSION = 50706


def _preview_only(im: Image.Image) -> tuple[str, ...]:
    """A TIFF whose first image is a reduced-size preview of one it holds elsewhere: how DNG
    and most camera raw files (NEF, ARW, PEF…) begin. Pillow reads that preview; the raw
    picture is not decoded, and the archivist is told that the copies are only the preview."""
    tags = getattr(im, "tag_v2", None) if im.format == "TIFF" else None
    if tags is None:
        return ()
    kind_of = tags.get(254)
    # a damaged file may give the tag another type (bytes, text): then it says nothing
    if not isinstance(kind_of, int) or not kind_of & _REDUCED_RESOLUTION:
        return ()
    kind = "a DNG camera raw file" if _DNG_VERSION in tags else "a camera raw file or a TIFF"
    width, height = im.size
    return (
        f"{kind}: its first image is a preview of {width}×{height} pixels and its full "
        "picture is not decoded, so the access copies show that preview (the original is kept "
        "whole); to show the full picture, export a TIFF or JPEG from the raw and ingest it too",
    )


def save_pictures(picture: Image.Image, out_dir: Path) -> tuple[Derivative, Derivative]:
    """Write `access.jpg` (longest side ≤ ACCESS_MAX) and `thumbnail.jpg` (≤ THUMBNAIL_MAX)
    from an RGB/L picture: a photo's decoded pixels or a document's first page."""
    access, thumbnail, _ = _write_pictures(picture, out_dir)
    return access, thumbnail


def _write_pictures(
    picture: Image.Image, out_dir: Path
) -> tuple[Derivative, Derivative, Image.Image]:
    """`save_pictures`, and the thumbnail's pixels too."""
    access = _resize(picture, ACCESS_MAX, Image.Resampling.LANCZOS)
    thumbnail = _resize(access, THUMBNAIL_MAX, Image.Resampling.LANCZOS)
    out_dir.mkdir(parents=True, exist_ok=True)
    access_path, thumbnail_path = out_dir / "access.jpg", out_dir / "thumbnail.jpg"
    access.save(access_path, "JPEG", quality=ACCESS_QUALITY)
    thumbnail.save(thumbnail_path, "JPEG", quality=THUMBNAIL_QUALITY)
    return (
        Derivative(access_path, *access.size),
        Derivative(thumbnail_path, *thumbnail.size),
        thumbnail,
    )


def save_page(picture: Image.Image, out_dir: Path, number: int) -> Derivative:
    """Write `page-NNNN.jpg` (longest side ≤ ACCESS_MAX) from an RGB/L picture of page `number`."""
    page = _resize(picture, ACCESS_MAX, Image.Resampling.LANCZOS)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"page-{number:04d}.jpg"
    page.save(path, "JPEG", quality=ACCESS_QUALITY)
    return Derivative(path, *page.size)


def tiff_page_pictures(
    src: Path,
    out_dir: Path,
    *,
    max_pixels: int,
    count: int,
    expired: Callable[[int], bool],
) -> tuple[list[Derivative], str | None]:
    """Pages 2…`count` of a multi-page TIFF, each converted as a photo is (modes, ICC, alpha,
    orientation) and saved by `save_page`. Stops at the first page that is over `max_pixels`
    or cannot be decoded, or when `expired(index)` says the time is up; the problem, if any,
    is returned (the pages before it stand)."""
    made: list[Derivative] = []
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # each page's size is checked below, before it is decoded
    try:
        with Image.open(src) as im:
            for index in range(1, count):
                if expired(index):
                    return made, None
                try:
                    im.seek(index)
                    width, height = im.size
                    if width * height > max_pixels:
                        return made, (
                            f"page {index + 1} declares {width}×{height} pixels, more than the "
                            f"limit of {max_pixels / 1e6:.0f} MP; the page images stop there"
                        )
                    made.append(save_page(_page_picture(im), out_dir, index + 1))
                except _DECODE_ERRORS as exc:
                    return made, (
                        f"page {index + 1} cannot be decoded ({exc}); the page images stop there"
                    )
    except _DECODE_ERRORS as exc:
        return made, f"the TIFF's pages cannot be read ({exc}); only page 1 has an image"
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    return made, None


def _page_picture(im: Image.Image) -> Image.Image:
    """The current frame, decoded and converted to an sRGB picture as `make_image_derivatives`
    converts a photo."""
    im.load()
    pending = _pending_orientation(im)
    picture = _resize(_resizable(im.copy()), ACCESS_MAX, Image.Resampling.BICUBIC)
    picture, _ = _to_srgb(_flatten(picture), im.info.get("icc_profile") or None, [])
    return picture.transpose(_TRANSPOSE[pending]) if pending is not None else picture


def _libvips_pictures(
    src: Path, out_dir: Path, stored: tuple[int, int], pending: int | None, data: memoryview | None
) -> tuple[Derivative, Derivative, Image.Image]:
    """`_write_pictures` for an RGB JPEG in sRGB of `stored` width × height: decoded once by
    libjpeg-turbo, at the DCT scale `_jpeg_eighths` picks, then resized (Lanczos-3), turned and
    saved by libvips."""
    jpeg = data if data is not None else memoryview(src.read_bytes())
    size = fitted(stored, ACCESS_MAX)
    try:
        try:
            decoded = _decode_jpeg(jpeg, stored, size)
            height, width = decoded.shape[:2]
            picture = pyvips.Image.new_from_memory(decoded.data, width, height, 3, "uchar")
        except ValueError:
            # Strict libjpeg-turbo stops at any warning, stray bytes before a marker too, which
            # viewers shrug off; libvips' own loader (the whole frame, decoded at once so that
            # a turn reads it in any order) refuses only truncation.
            picture = pyvips.Image.new_from_source(
                pyvips.Source.new_from_memory(jpeg), "", fail_on="truncated"
            )
        if size != (picture.width, picture.height):
            picture = picture.resize(
                size[0] / picture.width, vscale=size[1] / picture.height, kernel="lanczos3"
            )
        if pending is not None:
            picture = _VIPS_TRANSPOSE[pending](picture)
        # Computed here, once; unchanged (a small upright photo), it stays on the decode buffer,
        # which nothing reuses before this call returns.
        access = picture.copy_memory()
    except pyvips.Error as exc:
        # the decoder's warnings and errors, in the order they came, without libvips' trailer
        said = [line.strip() for line in exc.detail.splitlines() if line.strip()]
        said = [line for line in said if not line.endswith(": load error")] or said
        raise _undecodable(src, "; ".join(said) or exc.message) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    access_path, thumbnail_path = out_dir / "access.jpg", out_dir / "thumbnail.jpg"
    with ThreadPoolExecutor(max_workers=1) as pool:  # libvips lets go of the GIL
        small = pool.submit(_libvips_thumbnail, access, thumbnail_path)
        access.jpegsave(str(access_path), Q=ACCESS_QUALITY, keep="none")
        thumbnail = small.result()
    return (
        Derivative(access_path, access.width, access.height),
        Derivative(thumbnail_path, thumbnail.width, thumbnail.height),
        Image.frombytes("RGB", (thumbnail.width, thumbnail.height), thumbnail.write_to_memory()),
    )


def _libvips_thumbnail(access: pyvips.Image, path: Path) -> pyvips.Image:
    # made once in memory: the JPEG and the pixels handed to the perceptual hash both read it
    thumbnail = access.thumbnail_image(THUMBNAIL_MAX, size="down", no_rotate=True).copy_memory()
    thumbnail.jpegsave(str(path), Q=THUMBNAIL_QUALITY, keep="none")
    return thumbnail


# The DCT scales (in eighths) a JPEG is decoded at. libjpeg-turbo decodes at 6/8 and 7/8 more
# slowly than at 8/8 (its SIMD code covers the whole frame and the halvings), so they are not
# used; 3/8 costs what 4/8 does (bench/README.md, "photo derivatives, sixth round").
_JPEG_EIGHTHS = (1, 2, 4, 5, 8)
# How much reducing is left to the Lanczos-3 at least. A ½ DCT scale leaving it less (a 24 MP
# photo: 3000 px to 2048) comes out softer than pyvips' full-frame thumbnail; 5/8 and 1.5× do
# not (PSNR and SSIM at or above it, at less CPU).
_LANCZOS_ROOM = 1.5
_decode_buffers = threading.local()


def _jpeg_eighths(stored: tuple[int, int], size: tuple[int, int]) -> int:
    """The smallest DCT scale, in eighths, that leaves `size` at least `_LANCZOS_ROOM` to
    reduce; 8 (the whole frame) when none does."""
    longest, wanted = max(stored), max(size)
    for eighths in _JPEG_EIGHTHS[:-1]:
        if math.ceil(longest * eighths / 8) >= _LANCZOS_ROOM * wanted:
            return eighths
    return 8


def _decode_jpeg(jpeg: memoryview, stored: tuple[int, int], size: tuple[int, int]) -> Any:
    """The RGB pixels (a numpy array, rows × columns × 3) at the scale `_jpeg_eighths` picks,
    decoded into this thread's buffer. Strict: ValueError at libjpeg-turbo's first warning."""
    eighths = _jpeg_eighths(stored, size)
    width, height = (math.ceil(side * eighths / 8) for side in stored)
    buffer = getattr(_decode_buffers, "buffer", None)
    if buffer is None or len(buffer) < width * height * 3:
        # kept for the next photo: a fresh photo-sized buffer costs its page faults every time
        buffer = _decode_buffers.buffer = bytearray(width * height * 3)
    return simplejpeg.decode_jpeg(
        jpeg, "RGB", min_width=width, min_height=height, buffer=buffer, strict=True
    )


def _undecodable(src: Path, why: object) -> ImageError:
    return ImageError(
        src.name, f"the image data is truncated or corrupt and cannot be decoded ({why})"
    )


def fitted(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled so its longest side is at most `longest`, aspect kept, never enlarged."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@contextmanager
def _open(src: Path, max_pixels: int, data: memoryview | None) -> Iterator[Image.Image]:
    """Open (header only) and check the pixel count before anything is decoded."""
    saved = Image.MAX_IMAGE_PIXELS
    # Pillow's own bomb check would fire first with its fixed limit; ours uses `max_pixels` and
    # names the file. Only the header is read while it is off (workers are single-threaded).
    Image.MAX_IMAGE_PIXELS = None
    try:
        im = Image.open(src if data is None else io.BufferedReader(_MemoryFile(data)))
    except UnidentifiedImageError:
        head = bytes(data[:_JPEG_HEAD]) if data is not None else _head(src)
        problem = _jpeg_we_cannot_read(head)
        raise ImageError(
            src.name, problem or "the image cannot be decoded (unknown or damaged header)"
        ) from None
    except _DECODE_ERRORS as exc:
        raise ImageError(src.name, f"the image header is damaged ({exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    with im:
        width, height = im.size
        if width * height > max_pixels:
            raise ImageError(
                src.name,
                f"the image declares {width}×{height} pixels ({width * height / 1e6:.0f} MP), "
                f"more than the limit of {max_pixels / 1e6:.0f} MP; it was not decoded "
                "(a decompression bomb or an oversized scan)",
            )
        yield im


_JPEG_HEAD = 64 * 1024  # where a JPEG's frame header is looked for
_LOSSLESS_FRAMES = frozenset({0xC3, 0xC7, 0xCB, 0xCF})


def _head(src: Path) -> bytes:
    with src.open("rb") as handle:
        return handle.read(_JPEG_HEAD)


def _jpeg_we_cannot_read(head: bytes) -> str | None:
    """What kind of JPEG this is when it is one Pillow cannot open: 12- and 16-bit samples and
    lossless coding come from medical and scientific cameras, and are valid files."""
    at = 2 if head.startswith(b"\xff\xd8") else len(head)
    while at + 5 <= len(head) and head[at] == 0xFF:
        marker, length = head[at + 1], int.from_bytes(head[at + 2 : at + 4], "big")
        if marker == 0xDA:  # the scan starts: no frame header before it
            break
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            bits = head[at + 4]
            kind = "lossless JPEG" if marker in _LOSSLESS_FRAMES else "JPEG"
            if bits == 8 and kind == "JPEG":
                return None
            return (
                f"the image is a {bits}-bit {kind} (as medical and scientific cameras write), "
                "which this repository cannot decode; save it as a 16-bit TIFF or PNG and "
                "ingest that"
            )
        at += 2 + length
    return None


class _MemoryFile(io.RawIOBase):
    """A read-only file over bytes already in memory, without copying them (`io.BytesIO`
    would copy a photo's megabytes to read its header)."""

    def __init__(self, data: memoryview):
        self._data, self._at = data, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data[self._at : self._at + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._data)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at


def _decode_fitted(im: Image.Image) -> Image.Image:
    """Decode once, at the smallest JPEG DCT scale that still covers the access size."""
    if im.format in _DCT_SCALED:
        im.draft("RGB", fitted(im.size, ACCESS_MAX))
    im.load()
    return im


def _pending_orientation(im: Image.Image) -> int | None:
    """The orientation left to apply once `im` is decoded, None when nothing is.

    Some decoders turn the picture themselves and then drop the tag: Pillow ≥ 13 for TIFF (its
    header size is already the displayed one), libheif for HEIF (the tag is reset to 1). JPEG,
    WebP, PNG and AVIF keep it. Asking after decoding is right whichever library versions run.
    """
    value = im.getexif().get(ExifTags.Base.Orientation)
    return value if value in _TRANSPOSE else None


def _resizable(im: Image.Image) -> Image.Image:
    """A mode `resize` filters correctly: palettes expanded, 16-bit and float scaled to 8 bits."""
    mode = im.mode
    if mode in ("P", "PA"):
        transparent = (
            mode == "PA"
            or "transparency" in im.info
            or (im.palette is not None and im.palette.mode == "RGBA")
        )
        return im.convert("RGBA" if transparent else "RGB")
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I;16") or mode == "I":
        wide = im.convert("I")
        high = wide.getextrema()[1]
        scale = 1 / 257 if (mode != "I" or (isinstance(high, int) and high > 255)) else 1
        return wide.point(lambda v: v * scale).convert("L")
    if mode == "F":
        low, high = cast(tuple[float, float], im.getextrema())
        span = float(high) - float(low) or 1.0
        return im.point(lambda v: (v - float(low)) * 255 / span).convert("L")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    return im.convert("RGBA" if "A" in mode or "a" in mode else "RGB")


def _resize(im: Image.Image, longest: int, resample: Image.Resampling) -> Image.Image:
    size = fitted(im.size, longest)
    if size == im.size:
        return im
    return im.resize(size, resample, reducing_gap=2.0)


def _flatten(im: Image.Image) -> Image.Image:
    """Composite transparency on white (JPEG has no alpha; white is how the item looks on paper)."""
    if im.mode not in ("RGBA", "LA"):
        return im
    base = im.mode[:-1]
    background = Image.new(base, im.size, 255 if base == "L" else (255, 255, 255))
    background.paste(im.convert(base), mask=im.getchannel("A"))
    return background


def _to_srgb(
    im: Image.Image, icc: bytes | None, notes: list[str]
) -> tuple[Image.Image, str | None]:
    """-> (RGB image in sRGB, description of the profile converted from, if any)."""
    if icc and not _is_srgb(icc):
        try:
            transform = _transform(icc, im.mode)
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            notes.append(f"embedded ICC profile unusable ({exc}); converted without it")
        else:
            described = _describe(icc)
            notes.append(f"ICC profile {described!r} converted to sRGB")
            return ImageCms.applyTransform(im, transform) or im, described
    if im.mode == "CMYK":
        notes.append("CMYK converted to RGB without a profile")
    return (im if im.mode == "RGB" else im.convert("RGB")), None


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=32)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    """Cached per profile: a batch from one camera or scanner repeats the same one."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(
        source, _srgb(), mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
    )


@lru_cache(maxsize=32)
def _describe(icc: bytes) -> str:
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (ImageCms.PyCMSError, OSError, ValueError):
        return "unreadable profile"


def _is_srgb(icc: bytes) -> bool:
    return "srgb" in _describe(icc).casefold()


def _technical(im: Image.Image) -> ImageTechnical:
    exif = im.getexif()
    orientation = im.info.get("original_orientation") or exif.get(ExifTags.Base.Orientation)
    orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None
    width, height = im.size  # as stored; turned by the caller if the orientation is pending
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _gps_coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    lon = _gps_coordinate(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if lat is not None and not -90 <= lat <= 90 or lon is not None and not -180 <= lon <= 180:
        lat = lon = None
    return ImageTechnical(
        format=im.format or "unknown",
        width=width,
        height=height,
        mode=im.mode,
        captured=_exif_datetime(
            sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime),
            sub.get(ExifTags.Base.OffsetTimeOriginal),
        ),
        camera_make=_text(exif.get(ExifTags.Base.Make)),
        camera_model=_text(exif.get(ExifTags.Base.Model)),
        gps_lat=lat,
        gps_lon=lon,
        gps_alt=_gps_altitude(
            gps.get(ExifTags.GPS.GPSAltitude), gps.get(ExifTags.GPS.GPSAltitudeRef)
        ),
        orientation=orientation,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned or None


def _exif_datetime(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # cameras write "0000:00:00 00:00:00" when the clock was never set
    zone = _text(offset)
    suffix = zone if zone and len(zone) == 6 and zone[0] in "+-" and zone[3] == ":" else ""
    return moment.isoformat() + suffix


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _gps_coordinate(dms: Any, ref: Any) -> float | None:
    if not isinstance(dms, tuple) or len(dms) != 3:
        return None
    parts = [_number(part) for part in dms]
    known = [part for part in parts if part is not None]
    if len(known) != len(parts):
        return None
    degrees, minutes, seconds = known
    value = degrees + minutes / 60 + seconds / 3600
    return round(-value if _text(ref) in ("S", "W") else value, 7)


def _gps_altitude(value: Any, ref: Any) -> float | None:
    altitude = _number(value)
    if altitude is None:
        return None
    below_sea = ref in (1, b"\x01")
    return round(-altitude if below_sea else altitude, 2)
