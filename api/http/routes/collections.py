"""`GET /api/collections`: the collections the caller can see something in, with item counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.http.deps import AudienceDep, LanguageDep, ServicesDep
from api.labels import text_in
from api.operations.collections import visible_collections

router = APIRouter(tags=["collections"])


@router.get("/api/collections", summary="Collections with the number of items the caller can see")
def list_collections(
    services: ServicesDep, audience: AudienceDep, lang: LanguageDep
) -> dict[str, Any]:
    collections = []
    for seen in visible_collections(services.index, services.records, audience):
        title = seen.description.get("title")
        collections.append(
            {
                **seen.description,
                "slug": seen.slug,
                "title": text_in(title, lang) or seen.slug,
                "titles": title if isinstance(title, dict) else None,
                "count": seen.count,
                "search_url": f"/api/search?collection={seen.slug}",
            }
        )
    return {"total": len(collections), "collections": collections}
