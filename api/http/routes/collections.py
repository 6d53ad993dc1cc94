"""`GET /api/collections`: the collections the caller can see something in, with item counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.http.deps import AudienceDep, LanguageDep, ServicesDep
from api.labels import text_in
from search.base import SearchQuery

router = APIRouter(tags=["collections"])

MAX_COLLECTIONS = 10_000


@router.get("/api/collections", summary="Collections with the number of items the caller can see")
def list_collections(
    services: ServicesDep, audience: AudienceDep, lang: LanguageDep
) -> dict[str, Any]:
    query = SearchQuery(
        size=1, facets=("collection",), facet_size=MAX_COLLECTIONS, audience=audience
    )
    facet = services.index.search(query).facets.get("collection", [])
    counts = {fv.value: fv.count for fv in facet}
    described = {c["slug"]: c for c in services.records.collections() if "slug" in c}
    collections = []
    for slug in sorted(counts, key=lambda s: (-counts[s], s)):
        description = described.get(slug, {"slug": slug})
        title = description.get("title")
        collections.append(
            {
                **description,
                "slug": slug,
                "title": text_in(title, lang) or slug,
                "titles": title if isinstance(title, dict) else None,
                "count": counts[slug],
                "search_url": f"/api/search?collection={slug}",
            }
        )
    return {"total": len(collections), "collections": collections}
