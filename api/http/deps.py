"""Request-scoped dependencies shared by the routes: services, the caller's audience, language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from api.http.auth import CuratorDep, OptionalCaller
from api.labels import pick_language
from api.operations.access import audience_of, is_visible
from api.operations.items import missing, owned_record, record_etag
from api.services import Services
from schemas.record import Record
from search.base import Audience


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_audience(caller: OptionalCaller) -> Audience:
    """What the caller may see: the public without a key, more with one (`audience_of`)."""
    return audience_of(caller)


def get_language(
    lang: Annotated[str | None, Query(description="zh or en; default from Accept-Language")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    return pick_language(lang, accept_language)


ServicesDep = Annotated[Services, Depends(get_services)]
AudienceDep = Annotated[Audience, Depends(get_audience)]
LanguageDep = Annotated[str, Depends(get_language)]


def visible_record(
    item_id: str, services: ServicesDep, audience: AudienceDep, response: Response
) -> Record:
    """The stored record if this caller may see it; otherwise the same 404 as an unknown id.

    Sets `ETag` (a hash of the stored record, what PATCH's If-Match names) on routes that answer
    with the record's JSON; routes returning their own Response (files, RDF, pages) are not
    affected, as FastAPI only merges these headers into responses it builds itself."""
    record = services.records.get(item_id)
    if record is None or not is_visible(record, audience):
        raise missing(services, item_id, audience)  # 410 once deleted for good
    response.headers["ETag"] = record_etag(record)
    return record


VisibleRecord = Annotated[Record, Depends(visible_record)]


def curated_record(item_id: str, services: ServicesDep, caller: CuratorDep) -> Record:
    """The record a curator acts on (share links, …): 404 when the caller cannot see it, 403
    when it is another institution's."""
    return owned_record(services, item_id, caller)


CuratedRecord = Annotated[Record, Depends(curated_record)]
