"""IIIF Image API 3.0 over the access copies.

The image service serves the access copy (≤ 2048 px, already sRGB JPEG), never the master: its
`info.json` lists the thumbnail and access sizes (level 0: those two are sent as stored, no
decoding), and any region, size, rotation, quality and format (level 2 plus mirroring, arbitrary
rotation, webp) is rendered with Pillow. Rendered images are kept in a bounded in-memory LRU.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageOps

from schemas.errors import InvalidInput, Unavailable

IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "level2"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"
FORMATS = {
    "jpg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
}
QUALITIES = ("default", "color", "gray", "bitonal")
EXTRA_FEATURES = ["mirroring", "rotationArbitrary", "profileLinkHeader", "canonicalLinkHeader"]
TILE = 512
JPEG_QUALITY = 85
NONE = "none"  # the IIIF language key for values in no language
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"  # ASCII digits only, as the spec writes them
_ROTATION = re.compile(rf"(!)?({_NUMBER})")
_PCT_REGION = re.compile(rf"pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})")
_PX_REGION = re.compile(r"([0-9]+),([0-9]+),([0-9]+),([0-9]+)")
_SIZE = re.compile(rf"(\^)?(?:(max)|pct:({_NUMBER})|(!)?([0-9]+)?,([0-9]+)?)")
_IDENT = re.compile(r"([a-z0-9][a-z0-9-]{2,80})(?:~(p?)([1-9][0-9]{0,5}))?")
MAX_DIGITS = 9
"""Whole digits a number may have: no image is a billion pixels wide, and a number bounded so
keeps every computation with it finite (int() refuses 4300 digits, float() makes inf)."""


class IiifError(InvalidInput):
    """A request the Image API cannot answer: 400 unless `status` says otherwise."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


ImageRole = Literal["access", "page"]


def image_identifier(item_id: str, n: int = 1, role: ImageRole = "access") -> str:
    """`{id}` for an item's first image, `{id}~{n}` for the n-th (n from 1), `{id}~p{n}` for
    its n-th page image (a document's page n)."""
    if role == "page":
        return f"{item_id}~p{n}"
    return item_id if n == 1 else f"{item_id}~{n}"


def parse_identifier(identifier: str) -> tuple[str, int, ImageRole]:
    """(item id, n, role) of an identifier `image_identifier` made."""
    match = _IDENT.fullmatch(identifier)
    if not match or (not match.group(2) and len(match.group(3) or "") > 4):
        raise IiifError(f"no image with identifier {identifier!r}", 404)
    return match.group(1), int(match.group(3) or 1), "page" if match.group(2) else "access"


@dataclass(frozen=True)
class SourceImage:
    """One image of an item: its access copy and, when there is one, its thumbnail."""

    access: dict[str, Any]
    thumbnail: dict[str, Any] | None

    @property
    def size(self) -> tuple[int, int]:
        return self.access["width"], self.access["height"]


def images_of(record: Mapping[str, Any]) -> list[SourceImage]:
    """The item's access images, each with the thumbnail made from the same original."""
    access = [f for f in record.get("files", []) if f["role"] == "access"]
    thumbs = [f for f in record.get("files", []) if f["role"] == "thumbnail"]
    images = []
    for index, file in enumerate(access):
        if file["media_type"].startswith("image/") and "width" in file and "height" in file:
            thumb = thumbs[index] if index < len(thumbs) else None
            images.append(SourceImage(file, thumb if thumb and "width" in thumb else None))
    return images


def pages_of(record: Mapping[str, Any]) -> list[SourceImage]:
    """The item's page images (a document's pages, in order), without thumbnails."""
    return [
        SourceImage(file, None)
        for file in record.get("files", [])
        if file["role"] == "page"
        and file["media_type"].startswith("image/")
        and "width" in file
        and "height" in file
    ]


def sources_of(record: Mapping[str, Any], role: ImageRole) -> list[SourceImage]:
    return pages_of(record) if role == "page" else images_of(record)


def image_info(service_id: str, source: SourceImage, rights: str | None) -> dict[str, Any]:
    width, height = source.size
    sizes = [{"width": width, "height": height}]
    if source.thumbnail and source.thumbnail["width"] < width:
        sizes.insert(0, {"width": source.thumbnail["width"], "height": source.thumbnail["height"]})
    factors = [1]
    while max(width, height) / (factors[-1] * 2) >= TILE / 2:
        factors.append(factors[-1] * 2)
    info: dict[str, Any] = {
        "@context": IMAGE_CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": PROFILE,
        "width": width,
        "height": height,
        "sizes": sizes,
        "tiles": [{"width": TILE, "scaleFactors": factors}],
        "extraFormats": ["webp"],
        "extraFeatures": EXTRA_FEATURES,
    }
    if rights:
        info["rights"] = rights
    return info


@dataclass(frozen=True)
class ImageRequest:
    """A parsed, checked Image API request, in the canonical form the spec defines."""

    region: tuple[int, int, int, int]  # x, y, w, h in pixels of the full image
    size: tuple[int, int]
    mirror: bool
    rotation: float
    quality: str
    format: str

    @property
    def media_type(self) -> str:
        return FORMATS[self.format][1]

    def canonical(self, full: tuple[int, int]) -> str:
        x, y, w, h = self.region
        region = "full" if (x, y, w, h) == (0, 0, *full) else f"{x},{y},{w},{h}"
        size = "max" if self.size == (w, h) else f"{self.size[0]},{self.size[1]}"
        rotation = ("!" if self.mirror else "") + f"{self.rotation:g}"
        quality = "default" if self.quality == "color" else self.quality
        return f"{region}/{size}/{rotation}/{quality}.{self.format}"


def parse_request(
    full: tuple[int, int], region: str, size: str, rotation: str, quality_format: str
) -> ImageRequest:
    """Check every parameter as Image API 3.0 §4 states it; IiifError (400) names the bad one."""
    box = _region(full, region)
    out = _size(box[2:], size)
    match = _ROTATION.fullmatch(rotation)
    if not match or _number(match.group(2), "rotation") > 360:
        raise IiifError(f"rotation {rotation!r} is not a number from 0 to 360 (optionally with !)")
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot or quality not in QUALITIES:
        raise IiifError(
            f"quality {quality or quality_format!r} is not one of " + ", ".join(QUALITIES)
        )
    if fmt not in FORMATS:
        raise IiifError(f"format {fmt!r} is not one of " + ", ".join(FORMATS))
    return ImageRequest(box, out, bool(match.group(1)), float(match.group(2)) % 360, quality, fmt)


def _number(text: str, name: str) -> float:
    """A matched number, refused (400 naming the parameter) past MAX_DIGITS whole digits."""
    if len(text.partition(".")[0].lstrip("0")) > MAX_DIGITS:
        raise IiifError(f"{name}: {text[:20]}… has more than {MAX_DIGITS} digits")
    return float(text)


def _region(full: tuple[int, int], region: str) -> tuple[int, int, int, int]:
    width, height = full
    if region == "full":
        return 0, 0, width, height
    if region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if match := _PX_REGION.fullmatch(region):
        x, y, w, h = (int(_number(v, "region")) for v in match.groups())
    elif match := _PCT_REGION.fullmatch(region):
        px, py, pw, ph = (_number(v, "region") for v in match.groups())
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    else:
        raise IiifError(f"region {region!r} is not full, square, x,y,w,h or pct:x,y,w,h")
    if w <= 0 or h <= 0 or x >= width or y >= height:
        raise IiifError(f"region {region!r} is empty or outside the {width}×{height} image")
    return x, y, min(w, width - x), min(h, height - y)


def _size(region: tuple[int, int], size: str) -> tuple[int, int]:
    match = _SIZE.fullmatch(size)
    if not match:
        raise IiifError(f"size {size!r} is not max, w,, ,h, pct:n, w,h or !w,h")
    upscale, is_max, pct, confined, w_text, h_text = match.groups()
    w, h = (None if text is None else int(_number(text, "size")) for text in (w_text, h_text))
    if upscale:
        raise IiifError(f"size {size!r}: this server does not upscale (no sizeUpscaling)")
    rw, rh = region
    if is_max:
        return rw, rh
    if pct is not None:
        scale = _number(pct, "size") / 100
        out = (round(rw * scale), round(rh * scale))
    elif confined:
        if w is None or h is None:
            raise IiifError(f"size {size!r}: !w,h needs both a width and a height")
        # Like the IIIF validator, a best fit above 100 % is an upscale: refused without ^.
        scale = min(w / rw, h / rh)
        out = (round(rw * scale), round(rh * scale))
    elif w is not None and h is not None:
        out = (w, h)
    elif w is not None:
        out = (w, round(rh * w / rw))
    elif h is not None:
        out = (round(rw * h / rh), h)
    else:
        raise IiifError(f"size {size!r} gives neither a width nor a height")
    if out[0] < 1 or out[1] < 1:
        raise IiifError(f"size {size!r} makes an empty image")
    if out[0] > rw or out[1] > rh:
        raise IiifError(
            f"size {size!r} is larger than the region ({rw}×{rh}); this server does not upscale"
        )
    return out


def stored_copy(request: ImageRequest, source: SourceImage) -> dict[str, Any] | None:
    """The stored file that already is the answer (level 0: the listed sizes as JPEG)."""
    plain = (
        request.region[:2] == (0, 0)
        and request.region[2:] == source.size
        and not request.mirror
        and request.rotation == 0
        and request.quality in ("default", "color")
        and request.format == "jpg"
    )
    if not plain:
        return None
    for file in (source.access, source.thumbnail):
        if (
            file
            and file["media_type"] == "image/jpeg"
            and request.size == (file["width"], file["height"])
        ):
            return file
    return None


def render(data: bytes, request: ImageRequest, full: tuple[int, int]) -> bytes:
    """Region → size → mirror/rotation → quality → format, decoding no more than needed."""
    try:
        return _render(data, request, full)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Unavailable(f"the access copy cannot be rendered ({exc})") from None


def _render(data: bytes, request: ImageRequest, full: tuple[int, int]) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        if im.size != full:  # the record's size decided what may be asked for: it must be true
            raise Unavailable(
                f"the access copy is {im.size[0]}×{im.size[1]}, not the {full[0]}×{full[1]} "
                "its record says; run `heritage verify`"
            )
        x, y, w, h = request.region
        scale = request.size[0] / w
        if im.format == "JPEG" and scale <= 0.5:
            im.draft("RGB", (math.ceil(full[0] * scale), math.ceil(full[1] * scale)))
        # A DCT-scaled decode rounds each side up on its own (1583×2048 at 1/8 is 198×256): one
        # ratio for both would put the box past the bottom edge.
        across, down = im.size[0] / full[0], im.size[1] / full[1]
        box = (x * across, y * down, (x + w) * across, (y + h) * down)
        image = im.convert("RGB").resize(request.size, Image.Resampling.LANCZOS, box=box)
    if request.mirror:
        image = ImageOps.mirror(image)
    if request.rotation:
        fill = (255, 255, 255)
        image = image.rotate(
            -request.rotation, expand=True, fillcolor=fill, resample=Image.Resampling.BICUBIC
        )
    if request.quality == "gray":
        image = image.convert("L")
    elif request.quality == "bitonal":
        image = image.convert("1")
    out = io.BytesIO()
    pil_format = FORMATS[request.format][0]
    if pil_format == "JPEG":
        image.save(out, pil_format, quality=JPEG_QUALITY)
    else:
        image.save(out, pil_format)
    return out.getvalue()


class RenderCache:
    """Rendered images by (sha256 of the source, canonical request), bounded in bytes (LRU)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[str, str], data: bytes) -> None:
        if len(data) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    @property
    def size(self) -> int:
        return self._bytes
