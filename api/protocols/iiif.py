"""IIIF: Presentation API 3.0 manifests and collections, and an Image API 3.0 service.

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
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from api.present import file_url
from api.protocols.rdf import standard_rights_uri
from schemas import category_by_code

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
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
_NONE = "none"
_ROTATION = re.compile(r"^(!)?(\d+(?:\.\d+)?)$")
_NUMBER = r"\d+(?:\.\d+)?"
_PCT_REGION = re.compile(rf"^pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")
_PX_REGION = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
_SIZE = re.compile(r"^(\^)?(?:(max)|pct:(" + _NUMBER + r")|(!)?(\d+)?,(\d+)?)$")
_IDENT = re.compile(r"^([a-z0-9][a-z0-9-]{2,80})(?:~([1-9][0-9]{0,3}))?$")
_KIND = {"image": "Image", "video": "Video", "audio": "Sound"}


class IiifError(ValueError):
    """A request the Image API cannot answer: 400 unless `status` says otherwise."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def lang_map(texts: dict[str, str] | None) -> dict[str, list[str]]:
    return {lang: [text] for lang, text in (texts or {}).items()}


def _both(zh: str, en: str) -> dict[str, list[str]]:
    return {"zh": [zh], "en": [en]}


# --- Image API ---------------------------------------------------------------------------------


def image_identifier(item_id: str, n: int = 1) -> str:
    """`{id}` for an item's first image, `{id}~{n}` for the n-th (n from 1)."""
    return item_id if n == 1 else f"{item_id}~{n}"


def parse_identifier(identifier: str) -> tuple[str, int]:
    match = _IDENT.match(identifier)
    if not match:
        raise IiifError(f"no image with identifier {identifier!r}", 404)
    return match.group(1), int(match.group(2) or 1)


@dataclass(frozen=True)
class SourceImage:
    """One image of an item: its access copy and, when there is one, its thumbnail."""

    access: dict[str, Any]
    thumbnail: dict[str, Any] | None

    @property
    def size(self) -> tuple[int, int]:
        return self.access["width"], self.access["height"]


def images_of(record: dict[str, Any]) -> list[SourceImage]:
    """The item's access images, each with the thumbnail made from the same original."""
    access = [f for f in record.get("files", []) if f["role"] == "access"]
    thumbs = [f for f in record.get("files", []) if f["role"] == "thumbnail"]
    images = []
    for index, file in enumerate(access):
        if file["media_type"].startswith("image/") and "width" in file and "height" in file:
            thumb = thumbs[index] if index < len(thumbs) else None
            images.append(SourceImage(file, thumb if thumb and "width" in thumb else None))
    return images


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
    match = _ROTATION.match(rotation)
    if not match or float(match.group(2)) > 360:
        raise IiifError(f"rotation {rotation!r} is not a number from 0 to 360 (optionally with !)")
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot or quality not in QUALITIES:
        raise IiifError(
            f"quality {quality or quality_format!r} is not one of " + ", ".join(QUALITIES)
        )
    if fmt not in FORMATS:
        raise IiifError(f"format {fmt!r} is not one of " + ", ".join(FORMATS))
    return ImageRequest(box, out, bool(match.group(1)), float(match.group(2)) % 360, quality, fmt)


def _region(full: tuple[int, int], region: str) -> tuple[int, int, int, int]:
    width, height = full
    if region == "full":
        return 0, 0, width, height
    if region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if match := _PX_REGION.match(region):
        x, y, w, h = (int(v) for v in match.groups())
    elif match := _PCT_REGION.match(region):
        px, py, pw, ph = (float(v) for v in match.groups())
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    else:
        raise IiifError(f"region {region!r} is not full, square, x,y,w,h or pct:x,y,w,h")
    if w <= 0 or h <= 0 or x >= width or y >= height:
        raise IiifError(f"region {region!r} is empty or outside the {width}×{height} image")
    return x, y, min(w, width - x), min(h, height - y)


def _size(region: tuple[int, int], size: str) -> tuple[int, int]:
    match = _SIZE.match(size)
    if not match:
        raise IiifError(f"size {size!r} is not max, w,, ,h, pct:n, w,h or !w,h")
    upscale, is_max, pct, confined, w_text, h_text = match.groups()
    if upscale:
        raise IiifError(f"size {size!r}: this server does not upscale (no sizeUpscaling)")
    rw, rh = region
    if is_max:
        return rw, rh
    if pct is not None:
        scale = float(pct) / 100
        out = (round(rw * scale), round(rh * scale))
    elif confined:
        if w_text is None or h_text is None:
            raise IiifError(f"size {size!r}: !w,h needs both a width and a height")
        # Like the IIIF validator, a best fit above 100 % is an upscale: refused without ^.
        scale = min(int(w_text) / rw, int(h_text) / rh)
        out = (round(rw * scale), round(rh * scale))
    elif w_text and h_text:
        out = (int(w_text), int(h_text))
    elif w_text:
        out = (int(w_text), round(rh * int(w_text) / rw))
    elif h_text:
        out = (round(rw * int(h_text) / rh), int(h_text))
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
    with Image.open(io.BytesIO(data)) as im:
        x, y, w, h = request.region
        scale = request.size[0] / w
        if im.format == "JPEG" and scale <= 0.5:
            im.draft("RGB", (math.ceil(full[0] * scale), math.ceil(full[1] * scale)))
        ratio = im.size[0] / full[0]
        box = (x * ratio, y * ratio, (x + w) * ratio, (y + h) * ratio)
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


# --- Presentation API ---------------------------------------------------------------------------


class Urls:
    """Absolute URLs of one installation."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def manifest(self, item_id: str) -> str:
        return f"{self.base}/iiif/{item_id}/manifest"

    def collection(self, slug: str) -> str:
        return f"{self.base}/iiif/collection/{slug}"

    def image_service(self, item_id: str, n: int = 1) -> str:
        return f"{self.base}/iiif/image/{image_identifier(item_id, n)}"

    def file(self, item_id: str, role: str, n: int = 1) -> str:
        return self.base + file_url(item_id, role, n)


def _thumbnail(urls: Urls, record: dict[str, Any]) -> list[dict[str, Any]]:
    for role in ("thumbnail", "poster"):
        for file in record.get("files", []):
            if file["role"] == role and file["media_type"].startswith("image/"):
                thumb = {
                    "id": urls.file(record["id"], role),
                    "type": "Image",
                    "format": file["media_type"],
                }
                if "width" in file and "height" in file:
                    thumb |= {"width": file["width"], "height": file["height"]}
                return [thumb]
    return []


def _metadata(record: dict[str, Any], collection_title: dict[str, str] | None) -> list[dict]:
    entries = []

    def add(zh: str, en: str, value: dict[str, list[str]]) -> None:
        entries.append({"label": _both(zh, en), "value": value})

    if record.get("category"):
        category = category_by_code(record["category"])
        add("类别", "Category", _both(category.zh, category.en))
    if region := record.get("region"):
        names = {"zh": region["name"], **({"en": region["name_en"]} if "name_en" in region else {})}
        add("地区", "Region", lang_map(names))
    if date := record.get("date"):
        add("日期", "Date", {_NONE: [date.get("display") or date["edtf"]]})
    for person in record.get("people", []):
        names = {"zh": person["name"], **({"en": person["name_en"]} if "name_en" in person else {})}
        add("人物", "Person", lang_map(names))
    if record.get("subjects"):
        add("主题", "Subjects", {_NONE: ["; ".join(record["subjects"])]})
    add("专题", "Collection", lang_map(collection_title) or {_NONE: [record["collection"]]})
    if record.get("identifier"):
        add("编号", "Identifier", {_NONE: [record["identifier"]]})
    return entries


def _required_statement(record: dict[str, Any]) -> dict[str, Any]:
    rights = record.get("rights") or {}
    value: dict[str, list[str]] = {}
    for lang, text in (rights.get("statement") or {}).items():
        value.setdefault(lang, []).append(text)
    holder = rights.get("holder") or record.get("institution")
    if holder:
        value.setdefault("zh", []).append(f"版权所有：{holder}")
        value.setdefault("en", []).append(f"Rights holder: {holder}")
    if rights.get("license"):
        value.setdefault(_NONE, []).append(rights["license"])
    if not value:
        value = _both("权利状况未确定", "Rights undetermined")
    return {
        "label": _both("权利声明", "Attribution"),
        "value": {k: ["; ".join(v)] for k, v in value.items()},
    }


def _canvases(urls: Urls, record: dict[str, Any]) -> list[dict[str, Any]]:
    item_id = record["id"]
    canvases = []
    counts: dict[str, int] = {}
    thumbs = [f for f in record.get("files", []) if f["role"] == "thumbnail"]
    for file in record.get("files", []):
        if file["role"] != "access":
            continue
        counts["access"] = n = counts.get("access", 0) + 1
        kind = _KIND.get(file["media_type"].split("/")[0])
        if kind is None:
            continue
        number = len(canvases) + 1
        canvas_id = f"{urls.base}/iiif/{item_id}/canvas/{number}"
        body: dict[str, Any] = {
            "id": urls.file(item_id, "access", n),
            "type": kind,
            "format": file["media_type"],
        }
        canvas: dict[str, Any] = {
            "id": canvas_id,
            "type": "Canvas",
            "label": _both(f"第 {number} 件", f"Part {number}"),
        }
        if kind in ("Image", "Video"):
            if "width" not in file or "height" not in file:
                continue
            size = {"width": file["width"], "height": file["height"]}
            body |= size
            canvas |= size
        if kind in ("Video", "Sound"):
            if "duration" not in file:
                continue
            body["duration"] = canvas["duration"] = float(file["duration"])
        if kind == "Image":
            body["service"] = [
                {"id": urls.image_service(item_id, n), "type": "ImageService3", "profile": PROFILE}
            ]
            if n <= len(thumbs) and thumbs[n - 1]["media_type"].startswith("image/"):
                thumb = thumbs[n - 1]
                canvas["thumbnail"] = [
                    {
                        "id": urls.file(item_id, "thumbnail", n),
                        "type": "Image",
                        "format": thumb["media_type"],
                        **{k: thumb[k] for k in ("width", "height") if k in thumb},
                    }
                ]
        elif thumbnail := _thumbnail(urls, record):
            canvas["thumbnail"] = thumbnail
        page_id = f"{canvas_id}/page"
        canvas["items"] = [
            {
                "id": page_id,
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{page_id}/painting",
                        "type": "Annotation",
                        "motivation": "painting",
                        "body": body,
                        "target": canvas_id,
                    }
                ],
            }
        ]
        canvases.append(canvas)
    return canvases


def manifest(
    record: dict[str, Any], base_url: str, collection_title: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """The Presentation 3.0 manifest of a record; None when it has nothing to show."""
    urls = Urls(base_url)
    canvases = _canvases(urls, record)
    if not canvases:
        return None
    item_id = record["id"]
    api = f"{urls.base}/api/items/{item_id}"
    result: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": urls.manifest(item_id),
        "type": "Manifest",
        "label": lang_map(record["title"]),
    }
    if record.get("description"):
        result["summary"] = lang_map(record["description"])
    result["metadata"] = _metadata(record, collection_title)
    if rights := standard_rights_uri((record.get("rights") or {}).get("license")):
        result["rights"] = rights
    result["requiredStatement"] = _required_statement(record)
    if thumbnail := _thumbnail(urls, record):
        result["thumbnail"] = thumbnail
    result["homepage"] = [
        {
            "id": f"{urls.base}/items/{item_id}",
            "type": "Text",
            "label": lang_map(record["title"]),
            "format": "text/html",
        }
    ]
    result["seeAlso"] = [
        {
            "id": f"{api}?format={fmt}",
            "type": "Dataset",
            "format": media_type,
            "profile": "http://www.europeana.eu/schemas/edm/",
        }
        for fmt, media_type in (
            ("turtle", "text/turtle"),
            ("jsonld", "application/ld+json"),
            ("rdfxml", "application/rdf+xml"),
        )
    ]
    result["partOf"] = [{"id": urls.collection(record["collection"]), "type": "Collection"}]
    result["items"] = canvases
    return result


def collection(
    slug: str, title: dict[str, str] | None, members: list[dict[str, Any]], base_url: str
) -> dict[str, Any]:
    """A IIIF Collection of manifests. `members`: search summaries (id, title, has_thumbnail)."""
    urls = Urls(base_url)
    items = []
    for member in members:
        entry: dict[str, Any] = {
            "id": urls.manifest(member["id"]),
            "type": "Manifest",
            "label": lang_map(member.get("title")) or {_NONE: [member["id"]]},
        }
        if member.get("has_thumbnail"):
            entry["thumbnail"] = [
                {
                    "id": urls.file(member["id"], "thumbnail"),
                    "type": "Image",
                    "format": "image/jpeg",
                }
            ]
        items.append(entry)
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": urls.collection(slug),
        "type": "Collection",
        "label": lang_map(title) or {_NONE: [slug]},
        "items": items,
    }
