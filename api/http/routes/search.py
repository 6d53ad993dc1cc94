"""`GET /api/search`: full-text search with filters, facets (with zh/en labels) and paging."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.http.deps import AudienceDep, LanguageDep, ServicesDep
from api.operations.searching import SearchParams, run_search, search_params
from api.protocols.exports import csv_response

router = APIRouter(tags=["search"])


@router.get("/api/search", summary="Search items visible to the caller")
def search(
    params: Annotated[SearchParams, Depends(search_params)],
    services: ServicesDep,
    audience: AudienceDep,
    lang: LanguageDep,
    format: Annotated[
        Literal["json", "csv"], Query(description="csv: every page (up to 10 000 rows) as CSV")
    ] = "json",
) -> Any:
    if format == "csv":
        return csv_response(services.index, params, audience, services.settings.base_url)
    return run_search(services.index, params, audience, lang)
