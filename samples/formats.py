"""Save a drawn picture in the file format an archivist would have handed over.

The formats are chosen to exercise the ingest pipeline: EXIF (camera, date, GPS), a JPEG stored
sideways with Orientation 6, CMYK, 16-bit and 8-bit TIFF, PNG with alpha, palette PNG and GIF,
WebP, BMP and HEIC.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pillow_heif
from catalogue import Camera, Shot
from PIL import ExifTags, Image

pillow_heif.register_heif_opener()

JPEG_QUALITY = 80


def exif_bytes(camera: Camera, orientation: int = 1) -> bytes:
    """EXIF with make, model, capture time and (if known) GPS in degrees, minutes, seconds."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = camera.make
    exif[ExifTags.Base.Model] = camera.model
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = camera.taken
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = camera.taken
    if camera.gps:
        lat, lon = camera.gps
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return float(degrees), float(minutes), seconds


def _exif_args(shot: Shot, orientation: int = 1) -> dict[str, bytes]:
    return {"exif": exif_bytes(shot.camera, orientation)} if shot.camera else {}


def _jpeg(img: Image.Image, shot: Shot, path: Path) -> None:
    if shot.form == "rotated":
        # Orientation 6 = "turn 90° clockwise to display": store the pixels turned anticlockwise.
        stored = img.convert("RGB").transpose(Image.Transpose.ROTATE_90)
        stored.save(
            path, "JPEG", quality=JPEG_QUALITY, optimize=True, **_exif_args(shot, orientation=6)
        )
    elif shot.form == "cmyk":
        img.convert("RGB").convert("CMYK").save(path, "JPEG", quality=JPEG_QUALITY, dpi=(300, 300))
    else:
        img.convert("RGB").save(
            path, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **_exif_args(shot)
        )


def _tiff(img: Image.Image, shot: Shot, path: Path) -> None:
    if shot.form == "16bit":
        # `img` is float greyscale on a 0..65535 scale (see make_samples.render).
        img.convert("I").convert("I;16").save(
            path, "TIFF", compression="tiff_adobe_deflate", dpi=(600, 600)
        )
    else:
        img.convert("L").save(path, "TIFF", compression="tiff_lzw", dpi=(600, 600))


def _png(img: Image.Image, shot: Shot, path: Path) -> None:
    if img.mode == "RGBA":
        img.save(path, "PNG", optimize=True)
    else:
        img.convert("RGB").quantize(16, dither=Image.Dither.NONE).save(path, "PNG", optimize=True)


def _gif(img: Image.Image, shot: Shot, path: Path) -> None:
    """Palette GIF; a transparent background becomes the transparent palette index."""
    rgba = img.convert("RGBA")
    palette = rgba.convert("RGB").quantize(31, dither=Image.Dither.NONE)
    transparent = 31
    colours = (palette.getpalette() or [])[: 3 * transparent]
    palette.putpalette(colours + [0] * (3 * (transparent + 1) - len(colours)))
    palette.paste(transparent, (0, 0), rgba.getchannel("A").point(lambda a: 255 if a < 128 else 0))
    palette.save(path, "GIF", transparency=transparent)


def _webp(img: Image.Image, shot: Shot, path: Path) -> None:
    img.convert("RGB").save(path, "WEBP", quality=80, method=6, **_exif_args(shot))


def _bmp(img: Image.Image, shot: Shot, path: Path) -> None:
    img.convert("RGB").quantize(32, dither=Image.Dither.NONE).save(path, "BMP")


def _heic(img: Image.Image, shot: Shot, path: Path) -> None:
    img.convert("RGB").save(path, "HEIF", quality=55, **_exif_args(shot))


WRITERS: dict[str, Callable[[Image.Image, Shot, Path], None]] = {
    ".jpg": _jpeg,
    ".jpeg": _jpeg,
    ".tif": _tiff,
    ".tiff": _tiff,
    ".png": _png,
    ".gif": _gif,
    ".webp": _webp,
    ".bmp": _bmp,
    ".heic": _heic,
}


def save(img: Image.Image, shot: Shot, path: Path) -> None:
    """Write `img` as the format the shot's file extension (and `form`) asks for."""
    try:
        writer = WRITERS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{shot.path}: no writer for {path.suffix!r} files") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(img, shot, path)
