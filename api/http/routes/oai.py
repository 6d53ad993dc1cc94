"""`GET|POST /oai`: the OAI-PMH 2.0 endpoint (arguments in the query, or a form body on POST)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.http.state import shared
from api.operations.authorities import AuthorityNames, institution_names
from api.protocols.oai import PAGE_SIZE, OaiRepository
from api.services import Services
from repository.authorities import AuthorityStore

router = APIRouter(tags=["sharing"])


def make_repository(services: Services, page_size: int = PAGE_SIZE) -> OaiRepository:
    settings = services.settings
    names = AuthorityNames(services.store).names  # its cache lives as long as the repository

    def publishers(code: str) -> dict[str, str] | None:
        return institution_names(code, settings, names)

    own = publishers(settings.institution) or {}
    return OaiRepository(
        services.records,
        services.index,
        base_url=settings.base_url,
        secret=settings.secret.get_secret_value(),
        name=f"Heritage ({own.get('zh') or own.get('en') or settings.institution})",
        page_size=page_size,
        authorities=AuthorityStore(services.store),
        publishers=publishers,
    )


def oai_repository(request: Request) -> OaiRepository:
    """The app's repository (`app.state.oai`), made on first use: its tombstone cache lives as
    long as the app."""
    return shared(request, "oai", make_repository)


_SUMMARY = (
    "OAI-PMH 2.0 (verbs: Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords, "
    "GetRecord; formats oai_dc and edm)"
)
_XML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/xml": {}}}}


@router.get(
    "/oai", summary=_SUMMARY, operation_id="oai_get", response_class=Response, responses=_XML
)
@router.post(
    "/oai",
    summary=_SUMMARY + ", arguments as a form body",
    operation_id="oai_post",
    response_class=Response,
    responses=_XML,
)
async def oai(request: Request) -> Response:
    if request.method == "POST":
        async with request.form() as form:  # closes the files of a multipart body, too
            pairs = form_pairs(form.multi_items())
    else:
        pairs = form_pairs(request.query_params.multi_items())
    repository = oai_repository(request)
    body = await run_in_threadpool(repository.handle, pairs)
    return Response(body, media_type="text/xml; charset=utf-8")


def form_pairs(items: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Request arguments as (name, text) pairs; uploads (never valid here) become empty text."""
    return [(name, value if isinstance(value, str) else "") for name, value in items]
