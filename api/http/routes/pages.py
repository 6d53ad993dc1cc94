"""The public catalogue: `GET /` (search, facets, sorting, paging) and `GET /items/{id}`.

Server-rendered and complete without JavaScript; `static/catalogue.js` and `static/item.js`
only enhance (results as you type, zoomable images). Every value is HTML-escaped by the
templates. Other engineers' routes (IIIF, RDF, share links) are linked only when the running
app has them, so the page never points at a 404.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.deps import AudienceDep, ServicesDep, VisibleRecord
from api.http.i18n import choose_language, message, render
from api.http.routes.feedback import item_feedback
from api.http.searching import authority_cards, authority_names, institution_name
from api.http.sessions import PRIVATE, set_session
from api.labels import label_for, labels_for, text_in
from api.operations.authorities import names_of
from api.operations.census import IndexEmpty, check_not_empty
from api.operations.collections import visible_collections
from api.operations.insights import record_search
from api.operations.map_places import filter_pairs
from api.operations.ocr import ocr_note
from api.operations.searching import (
    Names,
    SearchParams,
    facet_labels,
    hit_time,
    related_items,
    run_search,
)
from api.present import file_url, paged_originals
from api.services import Services
from repository.authorities import AuthorityStore, DamagedAuthority
from schemas import eras
from schemas.errors import Unavailable
from search.base import YEARS, Audience, Sort, YearSpan

router = APIRouter(include_in_schema=False)
log = logging.getLogger("heritage.pages")

PAGE_FILTERS = ("category", "media_type", "region", "collection", "decade", "project", "bearer")
"""Facets the public page offers, in display order (`access` means nothing to the public)."""
HIDDEN_FILTERS = ("place",)
"""Filters the page takes but offers no facet for: `place`, a map place (links from /map)."""
SORTS: tuple[Sort, ...] = ("relevance", "-date", "date", "title")
PAGE_SIZES = (24, 48, 96)
MAX_QUERY_CHARS = 500
MAX_PAGE = 1000
FACET_SHOWN = 8
STRIP_PAGE = 24
STRIP_THUMB = 160  # px, the longest side of a page's picture in the strip
_STRIP_REQUEST = f"full/!{STRIP_THUMB},{STRIP_THUMB}/0/default.jpg"  # an IIIF image request
DOWNLOADS_LISTED = 6
BROWSER_IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")
AUTHORITY_PAGES = {"project": "projects", "bearer": "bearers"}  # kind -> its pages' path


@dataclass
class CatalogueQuery:
    """What the catalogue URL asks for, already made safe: bad parts dropped, with notices."""

    params: SearchParams
    era: str | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def is_search(self) -> bool:
        p = self.params
        return bool(p.q or p.filters or p.year_from is not None or p.year_to is not None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:  # not a number, or more digits than int() reads
        return None


def _year(value: str | None) -> int | None:
    """A year the search can take (`search.base.YEARS`), else None."""
    year = _int(value)
    return year if year is not None and YEARS[0] <= year <= YEARS[1] else None


def catalogue_query(pairs: list[tuple[str, str]]) -> CatalogueQuery:
    """Parse the catalogue's query string without ever failing: a visitor's URL, typed or
    shared, always gets a page; what could not be used is named in `notices` (message keys)."""
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)

    def first(key: str) -> str | None:
        return values.get(key, [None])[0]

    notices = []
    q = " ".join((first("q") or "").split())
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        notices.append("notice.query_truncated")
    filters = {
        name: tuple(dict.fromkeys(v for v in values.get(name, []) if v))
        for name in (*PAGE_FILTERS, *HIDDEN_FILTERS)
        if any(values.get(name, []))
    }
    era_code = first("era") or None
    era = next((e for e in eras() if e.code == era_code), None)
    year_from, year_to = _year(first("year_from")), _year(first("year_to"))
    if (first("year_from") and year_from is None) or (first("year_to") and year_to is None):
        notices.append("notice.bad_year")
    if year_from is not None and year_to is not None and year_to < year_from:
        year_from, year_to = year_to, year_from
        notices.append("notice.years_swapped")
    sort = first("sort")
    size = _int(first("size"))
    page = _int(first("page")) or 1
    params = SearchParams(
        q=q,
        filters=filters,
        year_from=year_from,
        year_to=year_to,
        sort=sort if sort in SORTS else "relevance",
        page=min(max(page, 1), MAX_PAGE),
        size=size if size in PAGE_SIZES else PAGE_SIZES[0],
        facets=PAGE_FILTERS,
        periods=()
        if era is None or year_from is not None or year_to is not None
        else (YearSpan(era.start, era.end, era=True),),
    )
    return CatalogueQuery(params, era.code if era else None, notices)


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]


def _links(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Link builders that keep the current query and change one thing (back to page 1)."""
    current = [(k, v) for k, v in pairs if k != "page"]

    def href(new: list[tuple[str, str]]) -> str:
        return f"/?{urlencode(new)}" if new else "/"

    def facet_link(name: str, value: str) -> str:
        pair = (name, str(value))
        return href([p for p in current if p != pair] if pair in current else [*current, pair])

    def query_link(q: str) -> str:
        """The same search with other words (an understood date taken out)."""
        rest = [p for p in current if p[0] != "q"]
        return href([("q", q), *rest] if q else rest)

    def page_link(page: int) -> str:
        return href([*current, ("page", str(page))] if page > 1 else current)

    time_keys = {"era", "year_from", "year_to"}
    return {
        "facet_link": facet_link,
        "page_link": page_link,
        "query_link": query_link,
        "clear_link": href([(k, v) for k, v in current if k in ("q", "sort", "size")]),
        "clear_time_link": href([(k, v) for k, v in current if k not in time_keys]),
    }


def map_link(query: CatalogueQuery) -> str:
    """/map with the search's words, filters and era or years: the same items, on the map."""
    pairs = filter_pairs(query.params, query.era if query.params.periods else None)
    return f"/map?{urlencode(pairs)}" if pairs else "/map"


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: None marks a gap."""
    wanted = {1, pages, *range(page - 2, page + 3)}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def _collection_titles(services: Services, audience: Audience) -> dict[str, dict[str, str]]:
    """Titles of the collections the visitor sees something in: any other collection's slug and
    title are as hidden as its items (a chosen slug of one is shown as typed)."""
    return {
        seen.slug: {
            lang: text_in(seen.description.get("title"), lang) or seen.slug for lang in ("zh", "en")
        }
        for seen in visible_collections(services.index, services.records, audience)
    }


def _facet_groups(
    result: dict[str, Any],
    query: CatalogueQuery,
    titles: dict[str, dict[str, str]],
    lang: str,
    names: Names,
) -> list[dict[str, Any]]:
    """Facets for the sidebar: chosen values always shown (even at count 0), the rest by count."""
    groups = []
    for name in PAGE_FILTERS:
        chosen = query.params.filters.get(name, ())
        values = list(result["facets"].get(name, []))
        present = {v["value"] for v in values}
        values += [
            {"value": v, "label": facet_labels(name, v, names)[lang], "count": 0}
            for v in chosen
            if v not in present
        ]
        if name == "collection":
            for v in values:
                v["label"] = titles.get(v["value"], {}).get(lang) or v["value"]
        if name == "decade":
            values.sort(key=lambda v: _int(v["value"]) or 0)
        for v in values:
            v["selected"] = v["value"] in chosen
        if values:
            groups.append({"name": name, "values": values, "shown": FACET_SHOWN})
    return groups


def _chips(query: CatalogueQuery, groups: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """The chosen filters as removable chips, in the visitor's language."""
    labels = {(g["name"], v["value"]): v["label"] for g in groups for v in g["values"]}
    return [
        {
            "name": name,
            "value": value,
            "label": labels.get((name, value)) or labels_for(name, value)[lang],
        }
        for name, chosen in query.params.filters.items()
        for value in chosen
    ]


def _config(lang: str, titles: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What catalogue.js needs: its messages, labels and the eras, as JSON in the page."""
    keys = [
        "results.count",
        "results.count_one",
        "results.none_title",
        "results.none_for",
        "results.none_body",
        "results.loading",
        "results.error",
        "results.retry",
        "results.stale",
        "pager.previous",
        "pager.next",
        "pager.page",
        "facet.more",
        "facet.remove",
        "facet.selected",
        "search.title_for",
        "card.no_image",
    ]
    return {
        "lang": lang,
        "messages": {k: message(lang, k) for k in keys},
        "siteName": message(lang, "site.name"),
        "facetNames": {
            name: message(lang, f"facet.{name}")
            for name in (*PAGE_FILTERS, *HIDDEN_FILTERS, "time")
        },
        "mediaTypes": {
            v: labels_for("media_type", v)[lang]
            for v in ("image", "video", "audio", "document", "text", "mixed")
        },
        "collections": {slug: t[lang] for slug, t in titles.items()},
        "eras": {e.code: [e.start, e.end] for e in eras()},
        "filters": list(PAGE_FILTERS),
        "hiddenFilters": list(HIDDEN_FILTERS),
        "sorts": list(SORTS),
        "pageSizes": list(PAGE_SIZES),
        "facetShown": FACET_SHOWN,
        "maxQuery": MAX_QUERY_CHARS,
    }


@router.get("/")
def catalogue(request: Request, services: ServicesDep, audience: AudienceDep) -> Response:
    lang = choose_language(request)
    pairs = _query_pairs(request)
    query = catalogue_query(pairs)
    failure = None
    try:
        titles = _collection_titles(services, audience)
        names = authority_names(request)
        result = run_search(services.index, query.params, audience, lang, names)
        if result["total"] == 0:
            check_not_empty(services.index, services.records)
    except IndexEmpty as exc:
        log.error("catalogue search: %s", exc)
        failure = "results.index_empty"
    except Exception:  # the page must say so, never go blank
        log.exception("catalogue search failed for %r", query.params)
        failure = "results.error"
    if failure:
        titles = {}
        result = {"total": 0, "items": [], "facets": {}, "page": 1, "size": query.params.size}
    if result.get("ranked_window"):  # too many matches to rank them all: say so
        query.notices.append("notice.ranked_window")
    if failure is None and query.is_search and query.params.page == 1:
        record_search(request.app.state, query.params, result, audience, channel="page")
    groups = _facet_groups(result, query, titles, lang, authority_names(request))
    named = query.params.q and query.params.page == 1 and not failure
    authorities = authority_cards(request, query.params.q, lang) if named else []
    pages = max(1, math.ceil(result["total"] / query.params.size))
    context = {
        "q": query.params.q,
        "query": query,
        "result": result,
        "authorities": authorities,
        "failure": failure,
        "groups": groups,
        "chips": _chips(query, groups, lang),
        "map_link": map_link(query),
        "pages": pages,
        "page_numbers": _page_numbers(min(query.params.page, pages), pages),
        "eras": eras(),
        "era": next((e for e in eras() if e.code == query.era), None),
        "sorts": SORTS,
        "config": _config(lang, titles),
        "keep": [(k, v) for k, v in pairs if k not in ("q", "page")],
        **_links(pairs),
    }
    status = 503 if failure else 200
    return render(request, "search.html", context, status_code=status)


# --- item page ---------------------------------------------------------------------------------


def _api_paths(request: Request) -> dict[str, Any]:
    """The running app's documented routes (FastAPI caches the schema after the first call)."""
    try:
        paths: dict[str, Any] = request.app.openapi().get("paths", {})
        return paths
    except Exception:  # another router's schema bug must not take the item page down
        log.exception("cannot build the OpenAPI schema; linking no optional routes")
        return {}


def _has_route(request: Request, path: str, method: str = "get", query: str | None = None) -> bool:
    """Whether the running app serves `path` (and takes query parameter `query`): pages link
    to IIIF, RDF and share routes only when they are there."""
    operation = _api_paths(request).get(path, {}).get(method)
    if operation is None:
        return False
    names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
    return query is None or query in names


def _files(record: Mapping[str, Any], role: str) -> list[tuple[int, dict[str, Any]]]:
    """(n, file) for each file of a role; n counts from 1 as `/files/{role}?n=` does."""
    return list(enumerate((f for f in record.get("files", []) if f["role"] == role), start=1))


def _iiif_url(item_id: str, n: int, role: str = "access", request: str = "info.json") -> str:
    from api.protocols.iiif.image import (
        image_identifier,  # only called when the IIIF image route is served
    )

    identifier = image_identifier(item_id, n, "page" if role == "page" else "access")
    return f"/iiif/image/{identifier}/{request}"


def _pages(record: Mapping[str, Any], iiif: bool) -> list[dict[str, Any]]:
    """A paged document's page images, as `_images` describes images, each with its page
    number, the text of that page (`text_pages`) and, with IIIF, a small rendering for the
    strip (a page image is an access-sized JPEG)."""
    text, starts = record.get("text") or "", record.get("text_pages") or []
    ends = [*starts[1:], len(text)]
    read = {int(p["page"]): p for p in (record.get("ocr") or {}).get("pages", [])}
    pages = []
    for n, file in _files(record, "page"):
        if file["media_type"] not in BROWSER_IMAGES:
            continue
        number = file.get("page", n)
        page_text = text[starts[number - 1] : ends[number - 1]] if number <= len(starts) else ""
        pages.append(
            {
                "n": n,
                "page": number,
                "url": file_url(record["id"], "page", n),
                "thumb": _iiif_url(record["id"], n, "page", _STRIP_REQUEST) if iiif else None,
                "info": _iiif_url(record["id"], n, "page") if iiif else None,
                "width": file.get("width"),
                "height": file.get("height"),
                "text": page_text.strip(),
                "ocr": ocr_note(read.get(number)),
            }
        )
    return pages


def _ocr_text(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The text OCR read from an item of one page (a photo of text, a one-page scan) and how:
    a paged document shows each page's with the page instead."""
    read = (record.get("ocr") or {}).get("pages") or []
    text = (record.get("text") or "").strip()
    if len(read) != 1 or not text:
        return None
    return {"text": text, "ocr": ocr_note(read[0])}


def _images(record: Mapping[str, Any], iiif: bool) -> list[dict[str, Any]]:
    """The item's viewable images: each access image with its thumbnail (same position) and,
    when the app serves the IIIF Image API, its info.json."""
    thumbs = dict(_files(record, "thumbnail"))
    images = []
    for n, file in _files(record, "access"):
        if file["media_type"] in BROWSER_IMAGES:
            images.append(
                {
                    "n": n,
                    "url": file_url(record["id"], "access", n),
                    "thumb": file_url(record["id"], "thumbnail", n) if n in thumbs else None,
                    "info": _iiif_url(record["id"], n) if iiif else None,
                    "width": file.get("width"),
                    "height": file.get("height"),
                }
            )
    return images


def _first_url(record: Mapping[str, Any], role: str, prefix: str) -> tuple[str, str] | None:
    for n, file in _files(record, role):
        if file["media_type"].startswith(prefix):
            return file_url(record["id"], role, n), file["media_type"]
    return None


def _size_label(size: int) -> str:
    units = ["B", "KB", "MB", "GB", "TB"]
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    number = f"{value:.0f}" if unit == 0 or value >= 100 else f"{value:.1f}"
    return f"{number} {units[unit]}"


def _duration_label(seconds: float | None) -> str | None:
    if not seconds:
        return None
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _downloads(record: Mapping[str, Any], lang: str, current: int) -> dict[str, Any]:
    """Access copies and originals to download. A role with many files (a 500-page album)
    lists only the file of the image on show; the rest are counted, and all are in the JSON."""
    rows, unlisted = [], 0
    for role in ("access", "original"):
        files = _files(record, role)
        for n, file in files:
            if len(files) > DOWNLOADS_LISTED and n != current:
                unlisted += 1
                continue
            label = message(lang, f"download.{role}")
            rows.append(
                {
                    "url": file_url(record["id"], role, n),
                    "label": f"{label} {n}" if len(files) > 1 else label,
                    "format": file.get("format") or file["media_type"],
                    "size": _size_label(file["bytes"]),
                }
            )
    return {"rows": rows, "unlisted": unlisted}


def _facts(
    record: Mapping[str, Any], lang: str, collection_title: str, institution: str
) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []

    def add(key: str, value: str | None) -> None:
        if value:
            facts.append((message(lang, key), value))

    add("fact.category", record.get("category") and label_for("category", record["category"], lang))
    region = record.get("region") or {}
    add("fact.region", (lang == "en" and region.get("name_en")) or region.get("name"))
    date = record.get("date") or {}
    era = next((e for e in eras() if e.code == date.get("era")), None)
    shown = date.get("display") or date.get("edtf")
    if shown and era:
        shown = f"{shown} ({era.zh if lang == 'zh' else era.en})"
    add("fact.date", shown)
    add("fact.media_type", label_for("media_type", record["media_type"], lang))
    add("fact.collection", collection_title)
    add("fact.identifier", record.get("identifier"))
    add("fact.institution", institution)
    add("fact.subjects", "; ".join(record.get("subjects") or []))
    tags = record.get("tags") or []
    given = [label_for("tag", t["value"], lang) for t in tags if t.get("source") == "given"]
    add("fact.keywords", "; ".join(given))
    add("fact.language", ", ".join(record.get("language") or []))
    technical = record.get("technical") or {}
    if technical.get("width") and technical.get("height"):
        add("fact.dimensions", f"{technical['width']} × {technical['height']} px")
    add("fact.duration", _duration_label(technical.get("duration")))
    add("fact.pages", str(technical["pages"]) if technical.get("pages") else None)
    add("fact.captured", technical.get("captured"))
    return facts


def _rights(record: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    rights = record.get("rights") or {}
    if not rights:
        return None
    license_ = rights.get("license") or ""
    return {
        "license": license_,
        "license_url": license_ if license_.startswith(("http://", "https://")) else None,
        "statement": text_in(rights.get("statement"), lang),
        "holder": rights.get("holder"),
    }


def _events(record: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    return [
        {
            "time": event["time"].replace("T", " ").removesuffix("Z")[:16],
            "datetime": event["time"],
            "type": message(lang, f"event.{event['type']}"),
            "agent": event["agent"],
            "outcome": message(lang, f"outcome.{event['outcome']}"),
            "outcome_code": event["outcome"],
            "detail": event.get("detail") or "",
        }
        for event in sorted(record.get("events") or [], key=lambda e: e["time"])
    ]


def _people(record: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    people = []
    for person in record.get("people") or []:
        names = {"zh": person["name"], "en": person.get("name_en") or ""}
        main = text_in(names, lang)
        other = names["en"] if main == names["zh"] else names["zh"]
        people.append(
            {
                "name": main,
                "other_name": other if other and other != main else None,
                "role": label_for("role", person["role"], lang),
                "level": person.get("level"),
            }
        )
    return people


def _authorities(record: Mapping[str, Any], services: Services, lang: str) -> list[dict[str, str]]:
    """The projects and bearers the item links to, each with its page (docs/authorities.md).
    One that is gone or damaged is left out: the item's page never fails for it."""
    store = AuthorityStore(services.store)
    links = []
    for link in record.get("authorities") or []:
        if link["kind"] not in AUTHORITY_PAGES:
            continue
        try:
            authority = store.get(link["id"])
        except DamagedAuthority:
            continue
        if authority is not None:
            links.append(
                {
                    "name": text_in(names_of(authority), lang),
                    "kind": message(lang, f"authority.kind.{link['kind']}"),
                    "url": f"/{AUTHORITY_PAGES[link['kind']]}/{link['id']}",
                }
            )
    return links


def _strip(images: list[dict[str, Any]], current: int, strip_page: int | None) -> dict[str, Any]:
    """One page of the thumbnail strip: the page holding the current image unless asked."""
    pages = max(1, math.ceil(len(images) / STRIP_PAGE))
    index = next((i for i, image in enumerate(images) if image["n"] == current), 0)
    page = min(max(strip_page or index // STRIP_PAGE + 1, 1), pages)
    start = (page - 1) * STRIP_PAGE
    return {
        "images": images[start : start + STRIP_PAGE],
        "page": page,
        "pages": pages,
        "first": start + 1,
        "last": min(start + STRIP_PAGE, len(images)),
        "total": len(images),
    }


def _only_documents(record: Mapping[str, Any]) -> bool:
    """Whether every access image is a paged document's first page: then the pages are what the
    viewer shows (an item of photos and a PDF keeps its photos, as before pages had images)."""
    return all(
        paged
        for file, paged in zip(record.get("files", []), paged_originals(record), strict=True)
        if file["role"] == "access"
    )


def _neighbour(
    images: list[dict[str, Any]], current: dict[str, Any] | None, step: int
) -> dict[str, Any] | None:
    if current is None:
        return None
    index = images.index(current) + step
    return images[index] if 0 <= index < len(images) else None


TRACK_KINDS = {"captions": "captions", "subtitles": "subtitles", "transcript": "captions"}
"""The <track kind> of each captions kind (a transcript of audio has no track kind of its own)."""


def _tracks(record: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """The item's captions files as <track>s, the one in the page's language (else the first)
    marked default: its cues are the transcript under the player."""
    tracks = [
        {
            "url": file_url(record["id"], "captions", n),
            "srclang": file.get("language", "zh"),
            "label": label_for("language", file.get("language", "zh"), lang),
            "kind": TRACK_KINDS.get(file.get("kind", "captions"), "captions"),
            "sha256": file["sha256"],
            "default": False,
        }
        for n, file in _files(record, "captions")
    ]
    if tracks:
        chosen = next((t for t in tracks if t["srclang"].split("-")[0] == lang), tracks[0])
        chosen["default"] = True
    return tracks


TRANSCRIPT_CUES = 3000
"""Cues the item page lists under the player (a few hours of speech); the rest are in the track
file it links to, and search finds them all."""


def _transcript(record: Mapping[str, Any], tracks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cues of the default track: start (seconds, for the player), time as shown, text."""
    chosen = next((t for t in tracks if t["default"]), None)
    if chosen is None:
        return []
    return [
        {
            "start": f"{cue['start']:.3f}".rstrip("0").rstrip("."),
            "time": hit_time(str(cue["start"])),
            "text": cue["text"],
        }
        for cue in record.get("cues") or []
        if cue["file"] == chosen["sha256"]
    ]


def _related(
    services: Services, record: Mapping[str, Any], audience: Audience, lang: str
) -> list[dict[str, Any]]:
    """The item's related items; none while the index cannot answer (the item still shows)."""
    try:
        return related_items(services.index, record, audience, lang)
    except Unavailable as error:
        log.warning("related items of %s not shown: %s", record["id"], error)
        return []


@router.get("/items/{item_id}")
def item_page(
    request: Request, record: VisibleRecord, services: ServicesDep, audience: AudienceDep
) -> Response:
    lang = choose_language(request)
    item_id = record["id"]
    other = "en" if lang == "zh" else "zh"
    title = text_in(record["title"], lang) or item_id
    other_title = record["title"].get(other)
    collection = services.records.load_collection(record["collection"]) or {}
    collection_title = text_in(collection.get("title"), lang) or record["collection"]
    iiif = _has_route(request, "/iiif/image/{identifier}/info.json")
    pages = _pages(record, iiif) if _only_documents(record) else []
    images = pages or _images(record, iiif)
    param = "page" if pages else "image"  # ?page=N shows page N of a document
    wanted = _int(request.query_params.get(param)) or (images[0]["n"] if images else 1)
    current = next(
        (image for image in images if image["n"] == wanted), images[0] if images else None
    )
    video = _first_url(record, "access", "video/")
    audio = _first_url(record, "access", "audio/")
    poster = _first_url(record, "poster", "image/")
    waveform = _first_url(record, "waveform", "image/")
    tracks = _tracks(record, lang) if video or audio else []
    transcript = _transcript(record, tracks)
    context = {
        "title": title,
        "other_title": other_title if other_title and other_title != title else None,
        "other_lang": other,
        "description": text_in(record.get("description"), lang),
        "kicker": [
            v
            for v in (
                record.get("category") and label_for("category", record["category"], lang),
                label_for("media_type", record["media_type"], lang),
            )
            if v
        ],
        "collection_slug": record["collection"],
        "collection_title": collection_title,
        "facts": _facts(
            record,
            lang,
            collection_title,
            institution_name(request, record.get("institution", ""), lang),
        ),
        "people": _people(record, lang),
        "authorities": _authorities(record, services, lang),
        "rights": _rights(record, lang),
        "related": _related(services, record, audience, lang),
        "events": _events(record, lang),
        "images": images,
        "paged": bool(pages),
        "ocr_text": None if pages else _ocr_text(record),
        "param": param,
        "current": current,
        "previous": _neighbour(images, current, -1),
        "next": _neighbour(images, current, 1),
        "strip": _strip(images, current["n"], _int(request.query_params.get("strip")))
        if current
        else None,
        "video": video,
        "audio": audio,
        "poster_url": poster[0] if poster else None,
        "waveform_url": waveform[0] if waveform else None,
        "tracks": tracks,
        "transcript": transcript[:TRANSCRIPT_CUES],
        "transcript_total": len(transcript),
        "transcript_file": next((t["url"] for t in tracks if t["default"]), None),
        "downloads": _downloads(record, lang, current["n"] if current and not pages else 1),
        "json_url": f"/api/items/{item_id}",
        "manifest_url": f"/iiif/{item_id}/manifest"
        if (images or video or audio) and _has_route(request, "/iiif/{item_id}/manifest")
        else None,
        "rdf": _has_route(request, "/api/items/{item_id}", query="format"),
        "share_url": f"/api/items/{item_id}/share"
        if _has_route(request, "/api/items/{item_id}/share", method="post")
        else None,
    }
    feedback, fresh = item_feedback(request, record)
    context["feedback"], context["feedback_item"] = feedback, item_id
    response = render(request, "item.html", context)
    if feedback["csrf_token"]:  # the page carries this visitor's token: never shared
        response.headers.update(PRIVATE)
    if fresh is not None:
        set_session(request, response, fresh)
    return response
