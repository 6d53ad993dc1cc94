"""IIIF over HTTP: `/iiif/{id}/manifest`, `/iiif/collection/{slug}` and the Image API service at
`/iiif/image/{identifier}/...`. Every answer (errors too) carries `Access-Control-Allow-Origin: *`
so viewers on other sites can use it. Only items the public may see exist here."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from api.http.deps import AudienceDep, ServicesDep
from api.http.searching import institutions
from api.http.state import shared
from api.operations.access import is_visible
from api.operations.authorities import authority_lookup
from api.operations.items import missing
from api.protocols.iiif.image import (
    PROFILE_URI,
    IiifError,
    RenderCache,
    SourceImage,
    image_info,
    parse_identifier,
    parse_request,
    render,
    sources_of,
    stored_copy,
)
from api.protocols.iiif.presentation import Urls, annotation_page, collection, manifest
from api.protocols.rdf import standard_rights_uri
from api.services import Services
from repository.authorities import AuthorityStore
from schemas.errors import Gone
from schemas.record import Record
from search.base import Audience, SearchQuery

router = APIRouter(tags=["iiif"])

CORS = {"Access-Control-Allow-Origin": "*"}
MAX_COLLECTION_ITEMS = 10_000
PAGE = 100


def _error(status: int, message: str) -> HTTPException:
    return HTTPException(status, message, headers=CORS)


def _json(document: dict[str, Any], accept: str | None, context: str) -> Response:
    """JSON-LD media type (with the IIIF profile) when asked for, plain JSON otherwise."""
    media_type = "application/json"
    if accept and "application/ld+json" in accept:
        media_type = f'application/ld+json;profile="{context}"'
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(body, media_type=media_type, headers=CORS)


def _record(services: Services, item_id: str, audience: Audience) -> Record:
    record = services.records.get(item_id)
    if record is None or not is_visible(record, audience):
        error = missing(services, item_id, audience)
        raise _error(410 if isinstance(error, Gone) else 404, str(error))
    return record


@router.get("/iiif/{item_id}/manifest", summary="IIIF Presentation 3.0 manifest of an item")
def get_manifest(
    item_id: str,
    request: Request,
    services: ServicesDep,
    audience: AudienceDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    record = _record(services, item_id, audience)
    described = services.records.load_collection(record["collection"]) or {}
    lookup = authority_lookup(AuthorityStore(services.store))
    names = institutions(request)(record.get("institution", ""))
    base_url = services.settings.base_url
    document = manifest(record, base_url, described.get("title"), lookup, names)
    if document is None:
        raise _error(404, f"item {item_id!r} has no image, video or audio to present")
    return _json(document, accept, "http://iiif.io/api/presentation/3/context.json")


@router.get(
    "/iiif/{item_id}/annotations/p{page}",
    summary="IIIF AnnotationPage of the OCR lines of one page of an item",
)
def get_annotations(
    item_id: str,
    page: int,
    services: ServicesDep,
    audience: AudienceDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    from ingest.ocr import load_boxes

    record = _record(services, item_id, audience)
    document = annotation_page(
        record, services.settings.base_url, page, load_boxes(services.store, record)
    )
    if document is None:
        raise _error(404, f"page {page} of item {item_id!r} has no OCR text")
    return _json(document, accept, "http://iiif.io/api/presentation/3/context.json")


@router.get("/iiif/collection/{slug}", summary="IIIF Collection of a collection's visible items")
def get_collection(
    slug: str,
    services: ServicesDep,
    audience: AudienceDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    members: list[dict[str, Any]] = []
    page = 1
    while len(members) < MAX_COLLECTION_ITEMS:
        query = SearchQuery(
            filters={"collection": (slug,)},
            sort="title",
            page=page,
            size=PAGE,
            facets=(),
            audience=audience,
        )
        result = services.index.search(query)
        members += [
            hit.summary for hit in result.hits if "access" in hit.summary.get("file_roles", [])
        ]
        if page * PAGE >= result.total or not result.hits:
            break
        page += 1
    if not members:
        raise _error(404, f"no collection {slug!r} with items to present")
    described = services.records.load_collection(slug) or {}
    document = collection(slug, described.get("title"), members, services.settings.base_url)
    return _json(document, accept, "http://iiif.io/api/presentation/3/context.json")


# --- Image API ---------------------------------------------------------------------------------


def _source(
    services: Services, identifier: str, audience: Audience
) -> tuple[Record, SourceImage, str]:
    """The record, the image and its service URL."""
    try:
        item_id, n, role = parse_identifier(identifier)
    except IiifError as exc:
        raise _error(exc.status, str(exc)) from None
    record = _record(services, item_id, audience)
    images = sources_of(record, role)
    if n > len(images):
        raise _error(404, f"no image with identifier {identifier!r}")
    return record, images[n - 1], Urls(services.settings.base_url).image_service(item_id, n, role)


def _cache(request: Request) -> RenderCache:
    return shared(request, "iiif_cache", lambda _: RenderCache())


@router.get("/iiif/image/{identifier}", include_in_schema=False)
def image_base(identifier: str, services: ServicesDep, audience: AudienceDep) -> Response:
    _source(services, identifier, audience)
    return RedirectResponse(f"/iiif/image/{identifier}/info.json", 303, headers=CORS)


@router.get("/iiif/image/{identifier}/info.json", summary="IIIF Image API 3.0 image information")
def image_information(
    identifier: str,
    services: ServicesDep,
    audience: AudienceDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    record, source, service_id = _source(services, identifier, audience)
    rights = standard_rights_uri((record.get("rights") or {}).get("license"))
    info = image_info(service_id, source, rights)
    response = _json(info, accept, "http://iiif.io/api/image/3/context.json")
    response.headers["Link"] = f'<{PROFILE_URI}>;rel="profile"'
    return response


@router.get(
    "/iiif/image/{identifier}/{region}/{size}/{rotation}/{quality_format}",
    summary="IIIF Image API 3.0 image request (level 2, from the access copy)",
)
def image(
    identifier: str,
    region: str,
    size: str,
    rotation: str,
    quality_format: str,
    request: Request,
    services: ServicesDep,
    audience: AudienceDep,
) -> Response:
    record, source, service_id = _source(services, identifier, audience)
    try:
        wanted = parse_request(source.size, region, size, rotation, quality_format)
    except IiifError as exc:
        raise _error(exc.status, str(exc)) from None
    canonical = f"{service_id}/{wanted.canonical(source.size)}"
    headers = {
        **CORS,
        "Link": f'<{PROFILE_URI}>;rel="profile", <{canonical}>;rel="canonical"',
        # Shared caches may keep only what anyone may see; a key holder's view stays private.
        "Cache-Control": "public, max-age=86400"
        if is_visible(record, Audience.public())
        else "private, no-store",
    }
    stored = stored_copy(wanted, source)
    if stored is not None:
        return Response(
            services.store.get_bytes(stored["key"]), media_type=wanted.media_type, headers=headers
        )
    cache = _cache(request)
    key = (source.access["sha256"], wanted.canonical(source.size))
    data = cache.get(key)
    if data is None:
        data = render(services.store.get_bytes(source.access["key"]), wanted, source.size)
        cache.put(key, data)
    return Response(data, media_type=wanted.media_type, headers=headers)
