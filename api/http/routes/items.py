"""`GET /api/items/{id}`: the stored record, as the schema defines it, with file URLs added."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.http.deps import AudienceDep, ServicesDep, VisibleRecord
from api.http.negotiation import JSON, ItemFormat, rdf_response
from api.operations.access import view_for
from api.operations.authorities import authority_lookup
from api.present import with_file_urls
from repository.authorities import AuthorityStore

router = APIRouter(tags=["items"])


@router.get(
    "/api/items/{item_id}",
    summary="One item record (schemas/record.schema.json), each file with its download URL",
    responses={404: {"description": "Unknown, or not visible to the caller"}},
)
def get_item(
    record: VisibleRecord, fmt: ItemFormat, services: ServicesDep, audience: AudienceDep
) -> Any:
    shown = view_for(record, audience)  # where a photo was taken: staff only, unless chosen
    if fmt != JSON:
        lookup = authority_lookup(AuthorityStore(services.store))
        return rdf_response(shown, fmt, services.settings.base_url, lookup)
    return with_file_urls(shown)
