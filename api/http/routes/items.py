"""`GET /api/items/{id}`: the stored record, as the schema defines it, with file URLs added."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.http.deps import AudienceDep, LanguageDep, ServicesDep, VisibleRecord
from api.http.negotiation import JSON, ItemFormat, rdf_response
from api.http.searching import institutions
from api.operations.access import view_for
from api.operations.authorities import authority_lookup
from api.operations.searching import RELATED_ON_PAGE, related_items
from api.present import with_file_urls
from repository.authorities import AuthorityStore
from search.base import MAX_RELATED

router = APIRouter(tags=["items"])


@router.get(
    "/api/items/{item_id}",
    summary="One item record (schemas/record.schema.json), each file with its download URL",
    responses={404: {"description": "Unknown, or not visible to the caller"}},
)
def get_item(
    record: VisibleRecord,
    fmt: ItemFormat,
    services: ServicesDep,
    audience: AudienceDep,
    request: Request,
) -> Any:
    shown = view_for(record, audience)  # where a photo was taken: staff only, unless chosen
    if fmt != JSON:
        lookup = authority_lookup(AuthorityStore(services.store))
        base_url = services.settings.base_url
        return rdf_response(shown, fmt, base_url, lookup, institutions(request))
    return with_file_urls(shown)


@router.get(
    "/api/items/{item_id}/related",
    summary="Items related to this one (same bearer, project, place, or similar title words)",
    responses={404: {"description": "Unknown, or not visible to the caller"}},
)
def get_related(
    record: VisibleRecord,
    services: ServicesDep,
    audience: AudienceDep,
    lang: LanguageDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_RELATED)] = RELATED_ON_PAGE,
) -> dict[str, Any]:
    """Only items the caller may see, strongest reason first (`SearchIndex.related`)."""
    del response.headers["ETag"]  # set by VisibleRecord: the record's, not this list's
    items = related_items(services.index, record, audience, lang, limit)
    return {"item": record["id"], "related": items}
