"""Online exhibitions for everyone: `GET /exhibitions` (the published ones), `GET
/exhibitions/{slug}` (the story page: introduction, sections, pictures — a detail through our
IIIF Image API — and video/sound clips as media fragments `#t=start,end`), `GET /api/exhibitions`
(the published ones as JSON, for harvesters), `GET /iiif/exhibitions` (a IIIF Collection) and
`GET /iiif/exhibitions/{slug}/manifest`.

Always the public's view, whoever asks: an exhibition that is not published is 404, and an entry
whose item the public may not see is left out as if it had never been placed (no title, no
picture, no gap in the numbering)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from api.http.deps import LanguageDep, ServicesDep
from api.http.i18n import choose_language, render
from api.http.searching import institution_name, institutions
from api.labels import text_in
from api.operations.exhibitions import (
    Shown,
    first_image,
    first_timed,
    public_exhibition,
    published_exhibitions,
    region_box,
    shown_sections,
)
from api.present import file_url
from api.protocols.iiif.exhibition import (
    exhibition_manifest,
    exhibitions_collection,
    fragment,
    manifest_url,
)
from api.protocols.iiif.image import image_identifier
from api.services import Services
from repository.exhibitions import ExhibitionStore
from schemas.errors import NotFound
from search.base import Audience

router = APIRouter(tags=["exhibitions"])

PICTURE = 1200
"""The longest side, in pixels, of a picture on the story page (smaller ones as they are)."""
CORS = {"Access-Control-Allow-Origin": "*"}


def _store(services: Services) -> ExhibitionStore:
    return ExhibitionStore(services.store)


def _picture_url(item_id: str, region: str | None, width: int, height: int) -> str:
    """Our IIIF Image API URL of the item's first image or a region of it, at most PICTURE px."""
    box = region_box(region, width, height) if region else None
    w, h = (box[2], box[3]) if box else (width, height)
    size = "max" if max(w, h) <= PICTURE else f"!{PICTURE},{PICTURE}"
    area = ",".join(str(v) for v in box) if box else "full"
    return f"/iiif/image/{image_identifier(item_id)}/{area}/{size}/0/default.jpg"


def _has(record: Any, role: str) -> bool:
    return any(f["role"] == role for f in record.get("files", []))


def _entry_view(shown: Shown, lang: str) -> dict[str, Any]:
    """What the page shows of one entry: a picture, a player or a thumbnail, the caption."""
    entry, record = shown.entry, shown.record
    item_id = record["id"]
    title = text_in(record.get("title"), lang) or item_id
    view: dict[str, Any] = {
        "n": shown.position,
        "item": item_id,
        "title": title,
        "url": f"/items/{item_id}",
        "caption": text_in(entry.get("caption"), lang),
        "kind": "link",
        "detail": False,
        "clip": None,
        "src": None,
        "poster": None,
    }
    timed = first_timed(record)
    image = first_image(record)
    if timed is not None and ("start" in entry or (image is None and "region" not in entry)):
        file, n = timed
        src = file_url(item_id, "access", n)
        if "start" in entry:
            src += "#" + str(fragment(entry, file))
            view["clip"] = f"{_time(entry['start'])}–{_time(entry['end'])}"
        view |= {
            "kind": "video" if file["media_type"].startswith("video/") else "audio",
            "src": src,
            "media_type": file["media_type"],
            "poster": file_url(item_id, "poster") if _has(record, "poster") else None,
        }
    elif image is not None:
        view |= {
            "kind": "image",
            "src": _picture_url(item_id, entry.get("region"), image["width"], image["height"]),
            "detail": "region" in entry,
        }
    elif _has(record, "thumbnail"):
        view |= {"kind": "thumbnail", "src": file_url(item_id, "thumbnail")}
    return view


def _time(seconds: float) -> str:
    """1:05, or 1:05.5 for a clip that starts or ends between seconds."""
    minutes, rest = divmod(float(seconds), 60)
    text = f"{int(minutes)}:{int(rest):02d}"
    return text if rest.is_integer() else f"{text}{str(round(rest % 1, 3))[1:]}"


@router.get("/exhibitions", include_in_schema=False)
def exhibitions_page(request: Request) -> Response:
    services: Services = request.app.state.services
    lang = choose_language(request)
    rows = [
        {
            "slug": e["slug"],
            "title": text_in(e.get("title"), lang) or e["slug"],
            "introduction": text_in(e.get("introduction"), lang),
        }
        for e in published_exhibitions(_store(services))
    ]
    return render(request, "exhibitions.html", {"rows": rows})


@router.get("/exhibitions/{slug}", include_in_schema=False)
def exhibition_page(request: Request, slug: str) -> Response:
    services: Services = request.app.state.services
    return story_page(request, public_exhibition(_store(services), slug))


def story_page(
    request: Request, exhibition: Mapping[str, Any], *, preview: bool = False
) -> Response:
    """The story page of an exhibition as the public sees it (or will, once it is published:
    the workspace's preview shows the same page, hidden items left out alike)."""
    services: Services = request.app.state.services
    lang = choose_language(request)
    slug = exhibition["slug"]
    sections = [
        {
            "heading": text_in(shown.section.get("heading"), lang),
            "text": text_in(shown.section.get("text"), lang),
            "entries": [_entry_view(entry, lang) for entry in shown.entries],
        }
        for shown in shown_sections(services, exhibition, Audience.public())
    ]
    context = {
        "slug": slug,
        "title": text_in(exhibition.get("title"), lang) or slug,
        "introduction": text_in(exhibition.get("introduction"), lang),
        "institution": institution_name(request, exhibition.get("institution", ""), lang),
        "sections": sections,
        "manifest": f"/iiif/exhibitions/{slug}/manifest",
        "preview": preview,
    }
    return render(request, "exhibition.html", context)


@router.get("/api/exhibitions", summary="Published online exhibitions (for harvesters)")
def list_exhibitions(services: ServicesDep, lang: LanguageDep) -> dict[str, Any]:
    base = services.settings.base_url.rstrip("/")
    exhibitions = [
        {
            "slug": e["slug"],
            "title": text_in(e.get("title"), lang) or e["slug"],
            "titles": e.get("title"),
            "introduction": e.get("introduction"),
            "institution": e.get("institution"),
            "published": e.get("published"),
            "modified": e.get("modified"),
            "url": f"{base}/exhibitions/{e['slug']}",
            "manifest": manifest_url(base, e["slug"]),
        }
        for e in published_exhibitions(_store(services))
    ]
    return {"total": len(exhibitions), "exhibitions": exhibitions}


def _json(document: dict[str, Any], accept: str | None) -> Response:
    media_type = "application/json"
    if accept and "application/ld+json" in accept:
        media_type = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type=media_type, headers=CORS)


@router.get("/iiif/exhibitions", summary="IIIF Collection of the published exhibitions")
def iiif_collection(
    services: ServicesDep, accept: Annotated[str | None, Header()] = None
) -> Response:
    base = services.settings.base_url
    presentable = [  # only those whose manifest exists: one whose items are all hidden is not
        e
        for e in published_exhibitions(_store(services))
        if exhibition_manifest(e, shown_sections(services, e, Audience.public()), base)
    ]
    return _json(exhibitions_collection(presentable, base), accept)


@router.get(
    "/iiif/exhibitions/{slug}/manifest",
    summary="IIIF Presentation 3.0 manifest of a published exhibition (ranges per section)",
)
def iiif_manifest(
    slug: str,
    request: Request,
    services: ServicesDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    exhibition = public_exhibition(_store(services), slug)
    sections = shown_sections(services, exhibition, Audience.public())
    names = institutions(request)(exhibition.get("institution", ""))
    document = exhibition_manifest(exhibition, sections, services.settings.base_url, names)
    if document is None:
        raise NotFound(f"exhibition {slug!r} has nothing the public may see to present")
    return _json(document, accept)
