"""Content negotiation for an item: JSON (the default) or RDF in Turtle, JSON-LD or RDF/XML.

`?format=` wins over `Accept`. An Accept header that names nothing we serve (not even `*/*`)
answers 406 with the list of what we do serve, as RFC 9110 §15.5.7 suggests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException, Query, Response

from api.protocols.rdf import FORMATS, AuthorityLookup, InstitutionNames, record_graph, serialize

JSON = "json"
OFFERS: dict[str, str] = {"application/json": JSON} | {
    media_type: name for name, (_, media_type) in FORMATS.items()
}
"""Media type -> format name, in order of preference on a tie (JSON first)."""
ALIASES = {"application/x-turtle": "turtle", "application/json-ld": "jsonld"}

FormatName = Literal["json", "turtle", "jsonld", "rdfxml"]


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def choose_format(accept: str | None) -> str | None:
    """The format to answer an Accept header with; None when nothing acceptable is offered."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for order, (media_type, name) in enumerate(OFFERS.items()):
        quality = _quality_of(media_type, _media_ranges(accept))
        if quality > 0 and (best is None or (quality, -order) > best[:2]):
            best = (quality, -order, name)
    return best[2] if best else None


def _quality_of(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching `media_type` (exact > type/* > */*)."""
    major = media_type.split("/")[0]
    found: dict[int, float] = {}
    for media, quality in ranges:
        canonical = FORMATS[ALIASES[media]][1] if media in ALIASES else media
        if canonical == media_type:
            found[3] = max(found.get(3, 0.0), quality)
        elif media == f"{major}/*":
            found[2] = max(found.get(2, 0.0), quality)
        elif media == "*/*":
            found[1] = max(found.get(1, 0.0), quality)
    return found[max(found)] if found else 0.0


def item_format(
    response: Response,
    accept: Annotated[str | None, Header()] = None,
    format: Annotated[
        FormatName | None,
        Query(description="json, turtle, jsonld or rdfxml; overrides the Accept header"),
    ] = None,
) -> str:
    """FastAPI dependency: the representation to send, or 406 naming what is on offer."""
    response.headers["Vary"] = "Accept"
    chosen = format or choose_format(accept)
    if chosen is None:
        offered = ", ".join(OFFERS)
        raise HTTPException(
            406,
            f"cannot answer Accept: {accept!r}; this resource is offered as "
            f"{offered} (or choose with ?format=json|turtle|jsonld|rdfxml)",
        )
    return chosen


ItemFormat = Annotated[str, Depends(item_format)]


def rdf_response(
    record: Mapping[str, Any],
    fmt: str,
    base_url: str,
    authorities: AuthorityLookup | None = None,
    institutions: InstitutionNames | None = None,
) -> Response:
    """The record's EDM + schema.org graph in `fmt` (turtle, jsonld or rdfxml)."""
    graph = record_graph(record, base_url, authorities=authorities, institutions=institutions)
    body = serialize(graph, fmt)
    media_type = FORMATS[fmt][1]
    return Response(
        body,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"},
    )
