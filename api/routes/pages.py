"""The public catalogue: `GET /` (search with category facets and paging) and `GET /items/{id}`.

Server-rendered and usable without JavaScript; every value is HTML-escaped by the templates.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import AudienceDep, LanguageDep, ServicesDep, VisibleRecord
from api.labels import label_for, text_in, ui_text
from api.present import file_url, first_file
from api.searching import FILTER_FIELDS, SearchParams, run_search, search_params
from api.templating import templates

router = APIRouter(include_in_schema=False)

FACET_ORDER = ("category", "region", "media_type", "decade", "collection")
BROWSER_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")


def _links(request: Request) -> dict[str, Any]:
    """Link builders that keep the current query and change one thing (page reset to 1)."""
    current = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def href(pairs: list[tuple[str, str]]) -> str:
        return f"/?{urlencode(pairs)}" if pairs else "/"

    def facet_link(field: str, value: str) -> str:
        pair = (field, str(value))
        return href([p for p in current if p != pair] if pair in current else [*current, pair])

    def page_link(page: int) -> str:
        return href([*current, ("page", str(page))])

    selected = {(k, v) for k, v in current if k in FILTER_FIELDS}
    clear = href([(k, v) for k, v in current if k not in FILTER_FIELDS])
    return {
        "facet_link": facet_link,
        "page_link": page_link,
        "selected": selected,
        "clear_link": clear,
    }


@router.get("/", response_class=HTMLResponse)
def catalogue(
    request: Request,
    params: Annotated[SearchParams, Depends(search_params)],
    services: ServicesDep,
    audience: AudienceDep,
    lang: LanguageDep,
) -> HTMLResponse:
    result = run_search(services.index, params, audience, lang)
    context = {
        "q": params.q,
        "result": result,
        "pages": max(1, math.ceil(result["total"] / params.size)),
        "facet_order": FACET_ORDER,
        **_links(request),
    }
    return templates.TemplateResponse(request, "search.html", context)


def _display_image(record: dict[str, Any]) -> str | None:
    for role in ("access", "thumbnail", "original"):
        file = first_file(record, role)
        if file and file["media_type"] in BROWSER_IMAGES:
            return file_url(record["id"], role)
    return None


def _facts(record: dict[str, Any], lang: str, collection_title: str) -> list[tuple[str, str]]:
    facts = []
    if record.get("category"):
        facts.append((ui_text("category", lang), label_for("category", record["category"], lang)))
    if region := record.get("region"):
        name = region.get("name_en") if lang == "en" and region.get("name_en") else region["name"]
        facts.append((ui_text("region", lang), name))
    if date := record.get("date"):
        facts.append((ui_text("date", lang), date.get("display") or date["edtf"]))
    facts.append((ui_text("media_type", lang), label_for("media_type", record["media_type"], lang)))
    facts.append((ui_text("collection", lang), collection_title))
    if record.get("identifier"):
        facts.append((ui_text("identifier", lang), record["identifier"]))
    if record.get("subjects"):
        facts.append((ui_text("subjects", lang), "; ".join(record["subjects"])))
    if rights := record.get("rights"):
        statement = text_in(rights.get("statement"), lang)
        parts = [rights.get("license"), statement, rights.get("holder")]
        facts.append((ui_text("rights", lang), " · ".join(p for p in parts if p)))
    return facts


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request, record: VisibleRecord, services: ServicesDep, lang: LanguageDep
) -> HTMLResponse:
    other = "en" if lang == "zh" else "zh"
    title = text_in(record["title"], lang)
    other_title = record["title"].get(other)
    collection = services.records.load_collection(record["collection"]) or {}
    collection_title = text_in(collection.get("title"), lang) or record["collection"]
    people = [
        {
            "name": text_in({"zh": person["name"], "en": person.get("name_en", "")}, lang),
            "other_name": person.get("name_en")
            and text_in({"zh": person["name"], "en": person["name_en"]}, other),
            "role": label_for("role", person["role"], lang),
            "level": person.get("level"),
        }
        for person in record.get("people", [])
    ]
    original = first_file(record, "original")
    context = {
        "title": title,
        "other_title": other_title if other_title != title else None,
        "description": text_in(record.get("description"), lang),
        "facts": _facts(record, lang, collection_title),
        "people": people,
        "image_url": _display_image(record),
        "original_url": file_url(record["id"], "original") if original else None,
        "json_url": f"/api/items/{record['id']}",
    }
    return templates.TemplateResponse(request, "item.html", context)
