"""IIIF Presentation API 3.0: a manifest per item (a canvas per image, video or sound, and per
page of a paged document: labelled "p. N" / "第N页") and a collection per collection, pointing at
the image service of `api.protocols.iiif.image` (`{id}~pN` for page images). A page read by OCR
(`record.ocr`) has an AnnotationPage of its lines (`annotation_page`): `supplementing`
annotations with `textGranularity: line` (the IIIF text-granularity extension) targeting
`#xywh=` regions in canvas coordinates, so a viewer can search and highlight them."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from api.labels import text_in
from api.present import file_url, paged_originals
from api.protocols.iiif.image import NONE, PROFILE, ImageRole, image_identifier
from api.protocols.rdf import AuthorityLookup, authority_uri, standard_rights_uri
from schemas import category_by_code

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
TEXT_GRANULARITY_CONTEXT = "http://iiif.io/api/extension/text-granularity/context.json"
_KIND = {"image": "Image", "video": "Video", "audio": "Sound"}


def lang_map(texts: dict[str, str] | None) -> dict[str, list[str]]:
    return {lang: [text] for lang, text in (texts or {}).items()}


def _both(zh: str, en: str) -> dict[str, list[str]]:
    return {"zh": [zh], "en": [en]}


# --- Image API ---------------------------------------------------------------------------------


class Urls:
    """Absolute URLs of one installation."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def manifest(self, item_id: str) -> str:
        return f"{self.base}/iiif/{item_id}/manifest"

    def collection(self, slug: str) -> str:
        return f"{self.base}/iiif/collection/{slug}"

    def image_service(self, item_id: str, n: int = 1, role: ImageRole = "access") -> str:
        return f"{self.base}/iiif/image/{image_identifier(item_id, n, role)}"

    def file(self, item_id: str, role: str, n: int = 1) -> str:
        return self.base + file_url(item_id, role, n)

    def annotations(self, item_id: str, page: int) -> str:
        return f"{self.base}/iiif/{item_id}/annotations/p{page}"


def _thumbnail(urls: Urls, record: Mapping[str, Any]) -> list[dict[str, Any]]:
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


_AUTHORITY_LABELS = {"project": ("项目", "Project"), "bearer": ("传承人", "Bearer")}


def _authority_links(
    record: Mapping[str, Any], base_url: str, kind: str, lookup: AuthorityLookup | None
) -> dict[str, list[str]]:
    """The names of the item's linked authorities of `kind`, each an `<a>` to its page (HTML
    that IIIF allows in a metadata value), by language; the id stands in for an unknown name."""
    value: dict[str, list[str]] = {}
    for link in record.get("authorities") or []:
        if link["kind"] != kind:
            continue
        found = lookup(link["id"]) if lookup is not None else None
        names = dict(found["names"]) if found and found.get("kind") == kind else {}
        href = html.escape(str(authority_uri(base_url, kind, link["id"])), quote=True)
        for lang in ("zh", "en"):
            name = names.get(lang) or names.get("zh") or link["id"]
            value.setdefault(lang, []).append(f'<a href="{href}">{html.escape(name)}</a>')
    return value


def _metadata(
    record: Mapping[str, Any],
    collection_title: dict[str, str] | None,
    base_url: str = "",
    authorities: AuthorityLookup | None = None,
) -> list[dict[str, Any]]:
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
        add("日期", "Date", {NONE: [date.get("display") or date["edtf"]]})
    for person in record.get("people", []):
        names = {"zh": person["name"], **({"en": person["name_en"]} if "name_en" in person else {})}
        add("人物", "Person", lang_map(names))
    for kind, (zh, en) in _AUTHORITY_LABELS.items():
        if linked := _authority_links(record, base_url, kind, authorities):
            add(zh, en, linked)
    if record.get("subjects"):
        add("主题", "Subjects", {NONE: ["; ".join(record["subjects"])]})
    add("专题", "Collection", lang_map(collection_title) or {NONE: [record["collection"]]})
    if record.get("identifier"):
        add("编号", "Identifier", {NONE: [record["identifier"]]})
    return entries


def _required_statement(
    record: Mapping[str, Any], institution: Mapping[str, str] | None
) -> dict[str, Any]:
    """The rights statement, the holder (the record's, else its institution's name in each
    language; never the institution's code, which is governance, not a name) and licence."""
    rights = record.get("rights") or {}
    value: dict[str, list[str]] = {}
    for lang, text in (rights.get("statement") or {}).items():
        value.setdefault(lang, []).append(text)
    names = dict(institution or {})
    holder_zh = rights.get("holder") or text_in(names, "zh")
    holder_en = rights.get("holder") or text_in(names, "en")
    if holder_zh:
        value.setdefault("zh", []).append(f"版权所有：{holder_zh}")
    if holder_en:
        value.setdefault("en", []).append(f"Rights holder: {holder_en}")
    if rights.get("license"):
        value.setdefault(NONE, []).append(rights["license"])
    if not value:
        value = _both("权利状况未确定", "Rights undetermined")
    return {
        "label": _both("权利声明", "Attribution"),
        "value": {k: ["; ".join(v)] for k, v in value.items()},
    }


def page_label(number: int) -> dict[str, list[str]]:
    return _both(f"第{number}页", f"p. {number}")


def _ocr_pages(record: Mapping[str, Any]) -> set[int]:
    return {int(page["page"]) for page in (record.get("ocr") or {}).get("pages", [])}


def _canvases(urls: Urls, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    item_id = record["id"]
    read = _ocr_pages(record)
    canvases: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    thumbs = [f for f in record.get("files", []) if f["role"] == "thumbnail"]
    for file, paged in zip(record.get("files", []), paged_originals(record), strict=True):
        role = file["role"]
        if role not in ("access", "page"):
            continue
        counts[role] = n = counts.get(role, 0) + 1
        if role == "access" and paged:
            continue  # its pages are the canvases
        kind = _KIND.get(file["media_type"].split("/")[0])
        if kind is None or (role == "page" and kind != "Image"):
            continue
        number = len(canvases) + 1
        canvas_id = f"{urls.base}/iiif/{item_id}/canvas/{number}"
        body: dict[str, Any] = {
            "id": urls.file(item_id, role, n),
            "type": kind,
            "format": file["media_type"],
        }
        canvas: dict[str, Any] = {
            "id": canvas_id,
            "type": "Canvas",
            "label": page_label(file.get("page", n))
            if role == "page"
            else _both(f"第 {number} 件", f"Part {number}"),
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
                {
                    "id": urls.image_service(item_id, n, role),
                    "type": "ImageService3",
                    "profile": PROFILE,
                }
            ]
            thumb = thumbs[n - 1] if role == "access" and n <= len(thumbs) else None
            if thumb is not None and thumb["media_type"].startswith("image/"):
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
        page = file.get("page", 1) if role == "page" or n == 1 else None
        if kind == "Image" and page in read:
            canvas["annotations"] = [
                {"id": urls.annotations(item_id, page), "type": "AnnotationPage"}
            ]
        canvases.append(canvas)
    _add_captions(urls, record, canvases)
    return canvases


_CAPTION_LABELS = {
    "captions": ("字幕", "Captions"),
    "subtitles": ("字幕（译文）", "Subtitles"),
    "transcript": ("文字稿", "Transcript"),
}


def _add_captions(urls: Urls, record: Mapping[str, Any], canvases: list[dict[str, Any]]) -> None:
    """The item's captions files as `supplementing` annotations with a text/vtt body on its
    first video or sound canvas (the IIIF cookbook's recipe 0219, "Using Caption and Subtitle
    Files"), so a IIIF AV viewer offers them as tracks."""
    files = [f for f in record.get("files", []) if f["role"] == "captions"]
    canvas = next((c for c in canvases if "duration" in c), None)
    if not files or canvas is None:
        return
    page_id = f"{canvas['id']}/captions"
    items = []
    for n, file in enumerate(files, start=1):
        zh, en = _CAPTION_LABELS.get(file.get("kind", "captions"), _CAPTION_LABELS["captions"])
        language = file.get("language", "zh")
        items.append(
            {
                "id": f"{page_id}/{n}",
                "type": "Annotation",
                "motivation": "supplementing",
                "body": {
                    "id": urls.file(record["id"], "captions", n),
                    "type": "Text",
                    "format": "text/vtt",
                    "language": language,
                    "label": _both(f"{zh}（{language}）", f"{en} ({language})"),
                },
                "target": canvas["id"],
            }
        )
    canvas["annotations"] = [{"id": page_id, "type": "AnnotationPage", "items": items}]


def item_canvases(urls: Urls, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An item's canvases (an exhibition's manifest takes its entries' canvases from here)."""
    return _canvases(urls, record)


def annotation_page(
    record: Mapping[str, Any], base_url: str, page: int, boxes: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The OCR lines of page `page` as annotations on its canvas; None when the page was not
    read. `boxes`: `ingest.ocr.load_boxes`. A page a person corrected is one page-granular
    annotation of its text (the machine's boxes no longer match it)."""
    urls = Urls(base_url)
    wanted = urls.annotations(record["id"], page)
    canvas = next(
        (c for c in _canvases(urls, record) if c.get("annotations", [{}])[0].get("id") == wanted),
        None,
    )
    if canvas is None:
        return None
    read = next(p for p in record["ocr"]["pages"] if int(p["page"]) == page)
    language = (record.get("language") or ["zh"])[0]
    found = boxes.get(str(page)) or {}
    items: list[dict[str, Any]] = []

    def annotate(text: str, granularity: str, target: str) -> None:
        body = {"type": "TextualBody", "value": text, "format": "text/plain", "language": language}
        items.append(
            {
                "id": f"{wanted}/a{len(items) + 1}",
                "type": "Annotation",
                "motivation": "supplementing",
                "textGranularity": granularity,
                "body": body,
                "target": target,
            }
        )

    if read.get("edited_by") or not found:
        text = _page_text(record, page)
        if text.strip():
            annotate(text, "page", canvas["id"])
    else:
        sx = canvas["width"] / max(1, int(found.get("width") or canvas["width"]))
        sy = canvas["height"] / max(1, int(found.get("height") or canvas["height"]))
        for line in found.get("lines", []):
            x, y, w, h = line["box"]
            region = (
                f"{round(x * sx)},{round(y * sy)},{max(1, round(w * sx))},{max(1, round(h * sy))}"
            )
            annotate(line["text"], "line", f"{canvas['id']}#xywh={region}")
    return {
        "@context": [TEXT_GRANULARITY_CONTEXT, PRESENTATION_CONTEXT],
        "id": wanted,
        "type": "AnnotationPage",
        "items": items,
    }


def _page_text(record: Mapping[str, Any], page: int) -> str:
    starts = record.get("text_pages") or [0]
    text = record.get("text") or ""
    if page > len(starts):
        return ""
    end = starts[page] if page < len(starts) else len(text)
    return text[starts[page - 1] : end].strip()


def manifest(
    record: Mapping[str, Any],
    base_url: str,
    collection_title: dict[str, str] | None = None,
    authorities: AuthorityLookup | None = None,
    institution: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The Presentation 3.0 manifest of a record; None when it has nothing to show. Its linked
    projects and bearers are named from `authorities` when given; `institution`: the names of
    its institution by language (`api.operations.authorities.institution_names`), the rights
    holder when the record names none."""
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
    result["metadata"] = _metadata(record, collection_title, urls.base, authorities)
    if rights := standard_rights_uri((record.get("rights") or {}).get("license")):
        result["rights"] = rights
    result["requiredStatement"] = _required_statement(record, institution)
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
            "label": lang_map(member.get("title")) or {NONE: [member["id"]]},
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
        "label": lang_map(title) or {NONE: [slug]},
        "items": items,
    }
