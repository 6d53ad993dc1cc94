"""Request-scoped dependencies shared by the routes: services, the caller's audience, language."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request

from api.errors import not_found
from api.labels import pick_language
from api.services import Services
from api.visibility import is_visible
from search.base import Audience


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_audience() -> Audience:
    """Every HTTP caller is the public for now; institution logins will widen this one place."""
    return Audience.public()


def get_language(
    lang: Annotated[str | None, Query(description="zh or en; default from Accept-Language")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    return pick_language(lang, accept_language)


ServicesDep = Annotated[Services, Depends(get_services)]
AudienceDep = Annotated[Audience, Depends(get_audience)]
LanguageDep = Annotated[str, Depends(get_language)]


def visible_record(item_id: str, services: ServicesDep, audience: AudienceDep) -> dict[str, Any]:
    """The stored record if this caller may see it; otherwise the same 404 as an unknown id."""
    record = services.records.get(item_id)
    if record is None or not is_visible(record, audience):
        raise not_found(f"no item with id {item_id!r}")
    return record


VisibleRecord = Annotated[dict[str, Any], Depends(visible_record)]
