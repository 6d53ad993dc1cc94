"""The map: `GET /map` (the page) and `GET /api/map` (its data), docs/map.md.

Both ask `api.operations.map_places` with the caller's audience and the catalogue's search
parameters, so the map shows what the catalogue would find, counted by place. The page is
complete without JavaScript (a list of places linking to the catalogue); `static/map.js` draws
the places as clustered markers with the vendored Leaflet over province outlines shipped with
the site (no tile server).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.http.deps import AudienceDep, LanguageDep, ServicesDep
from api.http.i18n import choose_language, message, render
from api.http.routes.pages import catalogue_query
from api.http.searching import search_params
from api.operations.census import IndexEmpty
from api.operations.map_places import filter_pairs, map_places
from api.operations.searching import SearchParams
from schemas import categories, eras
from schemas.errors import InvalidInput

router = APIRouter(tags=["map"])
log = logging.getLogger("heritage.map")

PLACES_LISTED = 30
"""Places the page lists under the map (most items first), for readers without JavaScript."""
_MESSAGES = (
    "map.summary",
    "map.more_items",
    "map.items_here",
    "map.centroid",
    "map.error",
    "map.attribution",
)


@router.get("/api/map", summary="Items with places, counted by place, for the map")
def map_data(
    params: Annotated[SearchParams, Depends(search_params)],
    services: ServicesDep,
    audience: AudienceDep,
    lang: LanguageDep,
    era: Annotated[
        str | None, Query(description="A period code from schemas/vocabularies/eras.json (qing)")
    ] = None,
) -> dict[str, Any]:
    """Per-place counts and up to three items per place, of the items the search parameters
    find that the caller may see (a sensitive place at its county's centroid)."""
    return map_places(services.index, params, audience, lang, era)


@router.get("/map", include_in_schema=False)
def map_page(request: Request, services: ServicesDep, audience: AudienceDep) -> Response:
    lang = choose_language(request)
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query = catalogue_query(pairs)
    era = query.era if query.params.periods else None
    try:
        data = map_places(services.index, query.params, audience, lang, era)
        failure = None
    except (IndexEmpty, InvalidInput) as exc:
        log.warning("map: %s", exc)
        data, failure = None, "map.error"
    except Exception:  # the page must say so, never go blank
        log.exception("map failed for %r", query.params)
        data, failure = None, "map.error"
    chosen = {name: values[0] for name, values in query.params.filters.items() if values}
    kept = [p for p in filter_pairs(query.params, era) if p[0] not in ("category", "era")]
    context = {
        "data": data,
        "failure": failure,
        "listed": (data or {}).get("places", [])[:PLACES_LISTED],
        "categories": [(c.code, c.zh if lang == "zh" else c.en) for c in categories()],
        "eras": [(e.code, e.zh if lang == "zh" else e.en) for e in eras()],
        "chosen_category": chosen.get("category", ""),
        "chosen_era": era or "",
        "keep": kept,
        "config": {
            "lang": lang,
            "messages": {key: message(lang, key) for key in _MESSAGES},
            "outlines": "/static/map/china-provinces.geojson",
        },
    }
    return render(request, "map.html", context, status_code=503 if failure else 200)
