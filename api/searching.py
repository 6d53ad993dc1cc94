"""Search parameters → `SearchQuery` → response dict; shared by `/api/search` and the page `/`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Query

from api.labels import labels_for, text_in
from api.present import category_fields, file_url
from search.base import (
    FACET_FIELDS,
    MAX_PAGE_SIZE,
    Audience,
    Hit,
    SearchIndex,
    SearchQuery,
    Sort,
)

FILTER_FIELDS = FACET_FIELDS


def _many(description: str) -> Any:
    return Query(description=f"{description}; repeat for any-of")


@dataclass(frozen=True)
class SearchParams:
    q: str
    filters: dict[str, tuple[str, ...]]
    year_from: int | None
    year_to: int | None
    sort: Sort
    page: int
    size: int
    facets: tuple[str, ...]

    def to_query(self, audience: Audience) -> SearchQuery:
        return SearchQuery(
            q=self.q,
            filters=self.filters,
            year_from=self.year_from,
            year_to=self.year_to,
            sort=self.sort,
            page=self.page,
            size=self.size,
            facets=self.facets,
            audience=audience,
        )


def _facet_names(values: list[str] | None) -> tuple[str, ...]:
    """Repeatable or comma-separated; absent = all facets; an empty value = none."""
    if values is None:
        return FACET_FIELDS
    names = tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))
    unknown = [n for n in names if n not in FACET_FIELDS]
    if unknown:
        raise HTTPException(
            422,
            f"query parameter 'facets': unknown facet {unknown[0]!r}; "
            f"choose from {', '.join(FACET_FIELDS)}",
        )
    return names


def search_params(
    q: Annotated[str, Query(max_length=500, description="Words, in Chinese or English")] = "",
    category: Annotated[list[str] | None, _many("ICH category code")] = None,
    collection: Annotated[list[str] | None, _many("Collection slug")] = None,
    media_type: Annotated[list[str] | None, _many("image, video, audio, document, …")] = None,
    region: Annotated[list[str] | None, _many("Region name")] = None,
    access: Annotated[list[str] | None, _many("public, institution, restricted")] = None,
    decade: Annotated[list[str] | None, _many("Start year of a decade (1950)")] = None,
    year_from: Annotated[int | None, Query(description="Dated on or after this year")] = None,
    year_to: Annotated[int | None, Query(description="Dated on or before this year")] = None,
    sort: Annotated[Sort, Query(description="relevance, date, -date, title, modified")] = (
        "relevance"
    ),
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    facets: Annotated[
        list[str] | None, Query(description=f"Which of {', '.join(FACET_FIELDS)}; empty = none")
    ] = None,
) -> SearchParams:
    if year_from is not None and year_to is not None and year_to < year_from:
        raise HTTPException(
            422, f"query parameter 'year_to': {year_to} is before year_from {year_from}"
        )
    given = {
        "category": category,
        "collection": collection,
        "media_type": media_type,
        "region": region,
        "access": access,
        "decade": decade,
    }
    filters = {
        field: tuple(dict.fromkeys(v for v in values if v))
        for field, values in given.items()
        if values and any(values)
    }
    return SearchParams(
        q=q.strip(),
        filters=filters,
        year_from=year_from,
        year_to=year_to,
        sort=sort,
        page=page,
        size=size,
        facets=_facet_names(facets),
    )


def hit_item(hit: Hit, lang: str) -> dict[str, Any]:
    """One result for display: the index's summary (see `search.documents.summary_of`) with
    title and description in the chosen language (both languages kept in `titles` and
    `descriptions`), labels and URLs."""
    summary = hit.summary
    date = summary.get("date")
    return {
        **summary,
        "id": hit.id,
        "title": text_in(summary.get("title"), lang) or hit.id,
        "titles": summary.get("title"),
        "description": text_in(summary.get("description"), lang),
        "descriptions": summary.get("description"),
        **category_fields(summary.get("category"), lang),
        "date_label": date.get("display") if date else None,
        "thumbnail_url": file_url(hit.id, "thumbnail") if summary.get("has_thumbnail") else None,
        "url": f"/api/items/{hit.id}",
        "page_url": f"/items/{hit.id}",
        "highlights": hit.highlights,
        "score": hit.score,
    }


def run_search(index: SearchIndex, params: SearchParams, audience: Audience, lang: str) -> dict:
    result = index.search(params.to_query(audience))
    facets = {
        name: [
            {
                "value": fv.value,
                "label": (labels := labels_for(name, fv.value))[lang],
                "labels": labels,
                "count": fv.count,
            }
            for fv in values
        ]
        for name, values in result.facets.items()
    }
    return {
        "total": result.total,
        "items": [hit_item(hit, lang) for hit in result.hits],
        "facets": facets,
        "page": result.page,
        "size": result.size,
        "ranked_window": result.ranked_window,  # set: only this many per tier ranked by relevance
        "lang": lang,
    }
