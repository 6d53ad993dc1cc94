"""Collections as one caller sees them: a collection exists for an audience only while the
audience may see at least one of its items.

A collection's description (`collections/<slug>.json`) is stored for every collection, even one
that holds nothing but a restricted draft; its slug and title are then as secret as the draft.
Every route that names collections (`/api/collections`, the catalogue's labels, OAI-PMH ListSets,
IIIF collections, RDF exports) shows only those this module (or the same rule) lets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from repository import RecordStore
from search.base import Audience, SearchIndex, SearchQuery

MAX_COLLECTIONS = 10_000


@dataclass(frozen=True)
class VisibleCollection:
    slug: str
    count: int  # items of it the audience may see (at least one)
    description: dict[str, Any]  # the stored description, or {"slug": slug} when none


def visible_collections(
    index: SearchIndex, records: RecordStore, audience: Audience
) -> list[VisibleCollection]:
    """The collections `audience` sees something in, most items first, then by slug.

    Counted by the index with the one visibility rule, so a hidden item is never counted."""
    query = SearchQuery(
        size=1, facets=("collection",), facet_size=MAX_COLLECTIONS, audience=audience
    )
    counts = {fv.value: fv.count for fv in index.search(query).facets.get("collection", [])}
    return [
        VisibleCollection(slug, counts[slug], records.load_collection(slug) or {"slug": slug})
        for slug in sorted(counts, key=lambda s: (-counts[s], s))
        if counts[slug] > 0
    ]
