"""The map's data: per-place counts and a few items per place, through the search index.

Everything comes from one `SearchIndex.search` under the caller's audience, with the caller's
search filters: the `place` facet (`schemas.places`) gives the counts, so an item the caller may
not see is neither shown nor counted, and a sensitive place is already its county when indexed.
The first page of hits (up to `SAMPLE` items) gives each place up to `ITEMS_PER_PLACE` items to
show in its pop-up; a place with more links to the catalogue filtered by it. Never storage.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from api.labels import labels_for
from api.operations.searching import SearchParams, hit_item
from schemas.places import gazetteer, parse_key
from search.base import MAX_PAGE_SIZE, Audience, SearchIndex

MAX_PLACES = 5000
"""Places returned at most (the most items first); `truncated` says when more had items. A
county-level map of China has about 3 000 places; points of records' own add to that."""
ITEMS_PER_PLACE = 3
SAMPLE = MAX_PAGE_SIZE
OUTLINES = "/static/map/china-provinces.geojson"
OUTLINES_SOURCE = (
    "npm package echarts 4.9.0 (map/json/china.json), Apache-2.0: schematic province outlines"
)


def filter_pairs(params: SearchParams, era: str | None) -> list[tuple[str, str]]:
    """The search parameters as query-string pairs, for links between the map and the
    catalogue (both read the same names)."""
    pairs: list[tuple[str, str]] = [("q", params.q)] if params.q else []
    for name, values in params.filters.items():
        pairs += [(name, value) for value in values]
    if era:
        pairs.append(("era", era))
    for name, year in (("year_from", params.year_from), ("year_to", params.year_to)):
        if year is not None:
            pairs.append((name, str(year)))
    return pairs


def map_places(
    index: SearchIndex,
    params: SearchParams,
    audience: Audience,
    lang: str,
    era: str | None = None,
) -> dict[str, Any]:
    """{total, placed, truncated, places: [{key, lat, lon, label, count, items, search_url}],
    outlines, sources} for the items `params` find that `audience` may see."""
    query = replace(
        params.to_query(audience), facets=("place",), facet_size=MAX_PLACES + 1, page=1, size=SAMPLE
    )
    result = index.search(query)
    shown: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for hit in result.hits:
        key = hit.summary.get("place")
        if not key:
            continue
        names.setdefault(key, hit.summary.get("region") or "")
        items = shown.setdefault(key, [])
        if len(items) < ITEMS_PER_PLACE:
            item = hit_item(hit, lang)
            items.append(
                {
                    field: item.get(field)
                    for field in (
                        "id",
                        "title",
                        "page_url",
                        "thumbnail_url",
                        "category_label",
                        "date_label",
                        "region",
                    )
                }
            )
    counted = result.facets.get("place", [])
    base = [pair for pair in filter_pairs(params, era) if pair[0] != "place"]
    prefix = "/?" + "".join(f"{part}&" for part in [urlencode(base)] if part) + "place="
    known = gazetteer()
    places = []
    for value in counted[:MAX_PLACES]:
        place = parse_key(value.value)
        if place is None:  # a code the gazetteer has lost since the item was indexed
            continue
        if place.code is not None:
            label = known.full_name(place.code)
        else:  # a point of the record's own: its region's name, else its coordinates
            label = names.get(value.value) or labels_for("place", value.value)[lang]
        places.append(
            {
                "key": value.value,
                "lat": place.lat,
                "lon": place.lon,
                "label": label,
                "centroid": place.code is not None,  # a division's centroid, not its own point
                "count": value.count,
                "items": shown.get(value.value, []),
                "search_url": prefix + quote(value.value, safe=""),
            }
        )
    return {
        "total": result.total,
        "placed": sum(place["count"] for place in places),
        "truncated": len(counted) > MAX_PLACES,
        "places": places,
        "outlines": OUTLINES,
        "sources": {"gazetteer": known.source, "outlines": OUTLINES_SOURCE},
        "search_url": "/?" + urlencode(base) if base else "/",
        "lang": lang,
    }
