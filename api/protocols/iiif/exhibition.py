"""IIIF Presentation 3.0 of an online exhibition: a Manifest with one canvas per entry the public
may see (the item's canvas, from `presentation.item_canvases`, under the exhibition's own ids),
`structures` with one Range per section in order, and a Collection of the published exhibitions.

A detail (an image region) or a clip is said twice, as the spec lets a part of a canvas be named:
the section's Range holds a SpecificResource of the canvas with a FragmentSelector (`xywh=x,y,w,h`
in the canvas's pixels, `t=start,end` in seconds), and the canvas carries a commenting annotation
— the caption — whose target is the canvas with that fragment (`…/canvas/3#xywh=…`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from api.operations.exhibitions import ShownSection, region_box
from api.protocols.iiif.image import NONE
from api.protocols.iiif.presentation import PRESENTATION_CONTEXT, Urls, item_canvases, lang_map

MEDIA_FRAGMENTS = "http://www.w3.org/TR/media-frags/"


def manifest_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/iiif/exhibitions/{slug}/manifest"


def collection_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/iiif/exhibitions"


def _painted_type(canvas: Mapping[str, Any]) -> str:
    return str(canvas["items"][0]["items"][0]["body"]["type"])


def _pick(canvases: list[dict[str, Any]], entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item's canvas an entry shows: its first image for a detail, its first video or sound
    for a clip, else its first canvas."""
    if "region" in entry:
        wanted: tuple[str, ...] = ("Image",)
    elif "start" in entry:
        wanted = ("Video", "Sound")
    else:
        return canvases[0] if canvases else None
    return next((c for c in canvases if _painted_type(c) in wanted), None)


def fragment(entry: Mapping[str, Any], canvas: Mapping[str, Any]) -> str | None:
    """`xywh=x,y,w,h` (pixels of the canvas) for a detail, `t=start,end` for a clip, else None."""
    if "region" in entry:
        box = region_box(entry["region"], int(canvas["width"]), int(canvas["height"]))
        return None if box is None else "xywh=" + ",".join(str(v) for v in box)
    if "start" in entry:
        end = min(float(entry["end"]), float(canvas.get("duration", entry["end"])))
        return f"t={_seconds(float(entry['start']))},{_seconds(end)}"
    return None


def _seconds(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def exhibition_manifest(
    exhibition: Mapping[str, Any],
    sections: Sequence[ShownSection],
    base_url: str,
    institution: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The Manifest; None when no entry has anything to present. `sections`: what the public
    sees (`shown_sections` under the public audience), so a hidden item is never in it.
    `institution`: the names of the exhibition's institution by language
    (`api.operations.authorities.institution_names`), its requiredStatement; without a name,
    none (the institution's code is governance, not a name)."""
    urls = Urls(base_url)
    slug = exhibition["slug"]
    own = f"{urls.base}/iiif/exhibitions/{slug}"
    canvases: list[dict[str, Any]] = []
    ranges: list[dict[str, Any]] = []
    for number, shown in enumerate(sections, start=1):
        members: list[dict[str, Any]] = []
        for entry in shown.entries:
            source = _pick(item_canvases(urls, entry.record), entry.entry)
            if source is None:
                continue
            canvas = _renamed(source, f"{own}/canvas/{len(canvases) + 1}")
            caption = entry.entry.get("caption")
            canvas["label"] = lang_map(caption) or lang_map(entry.record["title"])
            canvas["homepage"] = [
                {
                    "id": f"{urls.base}/items/{entry.record['id']}",
                    "type": "Text",
                    "label": lang_map(entry.record["title"]),
                    "format": "text/html",
                }
            ]
            part = fragment(entry.entry, canvas)
            if part is None:
                members.append({"id": canvas["id"], "type": "Canvas"})
            else:
                members.append(
                    {
                        "type": "SpecificResource",
                        "source": {"id": canvas["id"], "type": "Canvas"},
                        "selector": {
                            "type": "FragmentSelector",
                            "conformsTo": MEDIA_FRAGMENTS,
                            "value": part,
                        },
                    }
                )
                canvas["annotations"] = [_note(canvas["id"], part, caption or {})]
            canvases.append(canvas)
        if members:
            heading = shown.section.get("heading")
            ranges.append(
                {
                    "id": f"{own}/range/{number}",
                    "type": "Range",
                    "label": lang_map(heading)
                    or {"zh": [f"第{number}部分"], "en": [f"Part {number}"]},
                    "items": members,
                }
            )
    if not canvases:
        return None
    document: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_url(base_url, slug),
        "type": "Manifest",
        "label": lang_map(exhibition["title"]),
    }
    if exhibition.get("introduction"):
        document["summary"] = lang_map(exhibition["introduction"])
    if institution:
        document["requiredStatement"] = {
            "label": {"zh": ["提供机构"], "en": ["Provided by"]},
            "value": lang_map(dict(institution)),
        }
    document["homepage"] = [
        {
            "id": f"{urls.base}/exhibitions/{slug}",
            "type": "Text",
            "label": lang_map(exhibition["title"]),
            "format": "text/html",
        }
    ]
    document["partOf"] = [{"id": collection_url(base_url), "type": "Collection"}]
    document["items"] = canvases
    if ranges:
        document["structures"] = ranges
    return document


def _renamed(canvas: Mapping[str, Any], canvas_id: str) -> dict[str, Any]:
    """The item's canvas under the exhibition's id (ids are unique within a manifest)."""
    renamed = copy.deepcopy(dict(canvas))
    renamed["id"] = canvas_id
    page = renamed["items"][0]
    page["id"] = f"{canvas_id}/page"
    for n, annotation in enumerate(page["items"], start=1):
        annotation["id"] = f"{canvas_id}/page/painting" if n == 1 else f"{canvas_id}/page/{n}"
        annotation["target"] = canvas_id
    return renamed


def _note(canvas_id: str, part: str, caption: Mapping[str, str]) -> dict[str, Any]:
    """The commenting annotation naming the part of the canvas an entry shows."""
    bodies = [
        {"type": "TextualBody", "value": text, "language": lang, "format": "text/plain"}
        for lang, text in caption.items()
    ]
    annotation: dict[str, Any] = {
        "id": f"{canvas_id}/notes/1",
        "type": "Annotation",
        "motivation": "commenting" if bodies else "highlighting",
        "target": f"{canvas_id}#{part}",
    }
    if bodies:
        annotation["body"] = bodies if len(bodies) > 1 else bodies[0]
    return {"id": f"{canvas_id}/notes", "type": "AnnotationPage", "items": [annotation]}


def exhibitions_collection(
    exhibitions: Sequence[Mapping[str, Any]], base_url: str
) -> dict[str, Any]:
    """A Collection of the published exhibitions' manifests."""
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": collection_url(base_url),
        "type": "Collection",
        "label": {"zh": ["线上展览"], "en": ["Online exhibitions"]},
        "items": [
            {
                "id": manifest_url(base_url, e["slug"]),
                "type": "Manifest",
                "label": lang_map(e.get("title")) or {NONE: [e["slug"]]},
            }
            for e in exhibitions
        ],
    }
