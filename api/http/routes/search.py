"""`GET /api/search`: full-text search with filters, facets (with zh/en labels) and paging."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.http.deps import AudienceDep, LanguageDep, ServicesDep
from api.http.headers import content_disposition
from api.http.searching import authority_cards, authority_names, search_params
from api.operations.census import check_not_empty
from api.operations.searching import SearchParams, run_search
from api.protocols.exports import csv_lines
from search.base import Audience, SearchIndex

router = APIRouter(tags=["search"])


@router.get("/api/search", summary="Search items visible to the caller")
def search(
    request: Request,
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
    result = run_search(services.index, params, audience, lang, authority_names(request))
    result["authorities"] = authority_cards(request, params.q, lang)  # the box names them
    if result["total"] == 0:  # nothing found, or nothing to find in? (IndexEmpty: 503)
        check_not_empty(services.index, services.records)
    return result


def csv_response(
    index: SearchIndex, params: SearchParams, audience: Audience, base_url: str
) -> StreamingResponse:
    lines = (chunk.encode("utf-8") for chunk in csv_lines(index, params, audience, base_url))
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition("heritage-search.csv")},
    )
