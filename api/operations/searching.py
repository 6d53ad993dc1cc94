"""Search parameters → `SearchQuery` → response dict; shared by `/api/search`, the page `/` and
`heritage search`. Reading them from a request: `api.http.searching`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.labels import LANGUAGES, labels_for, text_in
from api.present import category_fields, file_url
from search.base import (
    Audience,
    Hit,
    RelatedItem,
    SearchIndex,
    SearchQuery,
    Sort,
    YearSpan,
)


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
    periods: tuple[YearSpan, ...] = ()  # named periods chosen from a list (era=): kept apart

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
            periods=self.periods,
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
        # the text matched on this page of a paged document: the item page opens there
        "hit_page": int(hit.highlights["page"]) if "page" in hit.highlights else None,
        "hit_page_url": f"/items/{hit.id}?page={hit.highlights['page']}#p{hit.highlights['page']}"
        if "page" in hit.highlights
        else None,
        # the text matched in a caption cue: the item page's player starts at its time
        "hit_time": hit_time(hit.highlights.get("t")),
        "hit_time_url": f"/items/{hit.id}#t={hit.highlights['t']}"
        if "t" in hit.highlights
        else None,
        "score": hit.score,
    }


def hit_time(seconds: str | None) -> str | None:
    """A cue's start ("75.5") as a player shows it ("1:15"; "1:02:03" past an hour)."""
    if seconds is None:
        return None
    whole = int(float(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


RELATED_ON_PAGE = 8
"""Related items an item page shows (the API takes up to `search.base.MAX_RELATED`)."""


def related_item(item: RelatedItem, lang: str) -> dict[str, Any]:
    """One related item for display: as a search hit (`hit_item`) plus its `reason`."""
    shown = hit_item(Hit(item.id, 0.0, item.summary), lang)
    for key in ("score", "highlights", "hit_page", "hit_page_url"):
        shown.pop(key)
    return shown | {"reason": item.reason, "highlights": {}}


def related_items(
    index: SearchIndex,
    record: Mapping[str, Any],
    audience: Audience,
    lang: str,
    limit: int = RELATED_ON_PAGE,
) -> list[dict[str, Any]]:
    """Items related to `record` that `audience` may see, for a page or the API, best first."""
    return [related_item(item, lang) for item in index.related(record, audience, limit)]


AUTHORITY_FACETS = ("project", "bearer")
"""Facets whose values are authority ids, labelled with the authority's names."""
Names = Callable[[str], Mapping[str, str] | None]
"""An authority id → its names by language (`AuthorityNames.names`), None if unknown."""


def facet_labels(name: str, value: str, names: Names | None = None) -> dict[str, str]:
    """{"zh": …, "en": …} for a facet value: an authority's names for `project` and `bearer`
    (either language standing in for the other, the id when unknown), else `labels_for`."""
    if name in AUTHORITY_FACETS and names is not None:
        found = names(value)
        if found:
            return {lang: text_in(dict(found), lang) or value for lang in LANGUAGES}
    return labels_for(name, value)


def run_search(
    index: SearchIndex,
    params: SearchParams,
    audience: Audience,
    lang: str,
    names: Names | None = None,
) -> dict[str, Any]:
    """The response for `params`; `names` labels the project and bearer facets (else ids)."""
    result = index.search(params.to_query(audience))
    facets = {
        name: [
            {
                "value": fv.value,
                "label": (labels := facet_labels(name, fv.value, names))[lang],
                "labels": labels,
                "count": fv.count,
            }
            for fv in values
        ]
        for name, values in result.facets.items()
    }
    understood = result.understood
    dates = (
        []
        if understood is None
        else [
            {
                "label": found.label,
                "year_from": found.year_from,
                "year_to": found.year_to,
                "era": found.era,
                "without": understood.without(found),  # the query with this date removed
            }
            for found in understood.dates
        ]
    )
    return {
        "total": result.total,
        "items": [hit_item(hit, lang) for hit in result.hits],
        "facets": facets,
        "understood": dates,
        "ranked_window": result.ranked_window,  # set: only this many per tier ranked by relevance
        "page": result.page,
        "size": result.size,
        "lang": lang,
    }
