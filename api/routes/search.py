"""`GET /api/search`: full-text search with filters, facets (with zh/en labels) and paging."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.deps import AudienceDep, LanguageDep, ServicesDep
from api.searching import SearchParams, run_search, search_params

router = APIRouter(tags=["search"])


@router.get("/api/search", summary="Search items visible to the caller")
def search(
    params: Annotated[SearchParams, Depends(search_params)],
    services: ServicesDep,
    audience: AudienceDep,
    lang: LanguageDep,
) -> dict[str, Any]:
    return run_search(services.index, params, audience, lang)
