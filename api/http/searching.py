"""Search parameters read from a query string into `api.operations.searching.SearchParams`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request

from api.http.i18n import message
from api.http.state import shared
from api.labels import text_in
from api.operations.authorities import (
    AuthorityFinder,
    AuthorityNames,
    authority_card,
    institution_names,
)
from api.operations.searching import Names, SearchParams
from schemas import eras
from schemas.errors import InvalidInput, Unavailable
from schemas.places import is_place_key
from search.base import FACET_FIELDS, MAX_PAGE, MAX_PAGE_SIZE, YEARS, Sort, YearSpan

log = logging.getLogger("heritage.search")


def _many(description: str) -> Any:
    return Query(description=f"{description}; repeat for any-of")


def _facet_names(values: list[str] | None) -> tuple[str, ...]:
    """Repeatable or comma-separated; absent = all facets; an empty value = none."""
    if values is None:
        return FACET_FIELDS
    names = tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))
    unknown = [n for n in names if n not in FACET_FIELDS]
    if unknown:
        raise InvalidInput(
            f"query parameter 'facets': unknown facet {unknown[0]!r}; "
            f"choose from {', '.join(FACET_FIELDS)}"
        )
    return names


_YEAR_FROM = "Dated on or after this year (negative: BCE)"
_YEAR_TO = "Dated on or before this year"


def search_params(
    q: Annotated[str, Query(max_length=500, description="Words, in Chinese or English")] = "",
    category: Annotated[list[str] | None, _many("ICH category code")] = None,
    collection: Annotated[list[str] | None, _many("Collection slug")] = None,
    media_type: Annotated[list[str] | None, _many("image, video, audio, document, …")] = None,
    region: Annotated[list[str] | None, _many("Region name")] = None,
    access: Annotated[list[str] | None, _many("public, institution, restricted")] = None,
    decade: Annotated[list[str] | None, _many("Start year of a decade (1950)")] = None,
    project: Annotated[list[str] | None, _many("Linked ICH project id (project-vii-16)")] = None,
    bearer: Annotated[list[str] | None, _many("Linked bearer id (bearer-…)")] = None,
    place: Annotated[
        list[str] | None, _many("Map place: a GB/T 2260 code (130726) or @lat,lon (@36.12,109.30)")
    ] = None,
    era: Annotated[
        str | None, Query(description="A period code from schemas/vocabularies/eras.json (qing)")
    ] = None,
    year_from: Annotated[
        int | None, Query(ge=YEARS[0], le=YEARS[1], description=_YEAR_FROM)
    ] = None,
    year_to: Annotated[int | None, Query(ge=YEARS[0], le=YEARS[1], description=_YEAR_TO)] = None,
    sort: Annotated[Sort, Query(description="relevance, date, -date, title, modified")] = (
        "relevance"
    ),
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    facets: Annotated[
        list[str] | None, Query(description=f"Which of {', '.join(FACET_FIELDS)}; empty = none")
    ] = None,
) -> SearchParams:
    if year_from is not None and year_to is not None and year_to < year_from:
        raise InvalidInput(f"query parameter 'year_to': {year_to} is before year_from {year_from}")
    given = {
        "category": category,
        "collection": collection,
        "media_type": media_type,
        "region": region,
        "access": access,
        "decade": decade,
        "project": project,
        "bearer": bearer,
        "place": _places(place),
    }
    filters = {
        field: tuple(dict.fromkeys(v for v in values if v))
        for field, values in given.items()
        if values and any(values)
    }
    return SearchParams(
        q=q.strip(),
        filters=filters,
        year_from=year_from,
        year_to=year_to,
        sort=sort,
        page=page,
        size=size,
        facets=_facet_names(facets),
        periods=period_of(era),
    )


def _places(values: list[str] | None) -> list[str] | None:
    """Map place keys (`schemas.places`), checked so that a typo is a 422, not an empty map."""
    for value in values or []:
        if value and not is_place_key(value):
            raise InvalidInput(
                f"query parameter 'place': {value[:40]!r} is not a place; write a six-digit "
                "GB/T 2260 code (130726) or @latitude,longitude with two decimals (@36.12,109.30)"
            )
    return values


def authority_names(request: Request) -> Names:
    """The app's one `AuthorityNames` (its cache shared by every request), as a lookup."""
    return shared(request, "authority_names", lambda s: AuthorityNames(s.store)).names


def institutions(request: Request) -> Callable[[str], dict[str, str] | None]:
    """An institution code's names by language (`institution_names`, read through the app's
    one `AuthorityNames`), None when nobody named it: for RDF and IIIF, which name it."""
    settings = request.app.state.services.settings
    names = authority_names(request)
    return lambda code: institution_names(code, settings, names)


def institution_name(request: Request, code: str, lang: str) -> str:
    """An institution's name in the page's language, "" when it has none (never its code)."""
    return text_in(institutions(request)(code), lang)


def authority_finder(request: Request) -> AuthorityFinder:
    """The app's one `AuthorityFinder` (its name index shared by every request)."""
    return shared(request, "authority_finder", lambda s: AuthorityFinder(s.store))


def authority_cards(request: Request, q: str, lang: str) -> list[dict[str, Any]]:
    """The project and bearer cards for the search box's text (`authorities` in the search
    JSON, the cards above the catalogue's results), with their kind and level in `lang`;
    none while the store cannot be read (the item results still show)."""
    try:
        found = authority_finder(request).find(q)
    except Unavailable as error:
        log.warning("authority cards for %r not shown: %s", q, error)
        return []
    cards = []
    for authority in found:
        card = authority_card(authority, lang)
        card["kind_label"] = message(lang, f"authority.kind.{card['kind']}")
        level = card["level"]
        card["level_label"] = message(lang, f"authority.level.{level}") if level else None
        cards.append(card)
    return cards


def period_of(code: str | None) -> tuple[YearSpan, ...]:
    """The year condition of a named period: the boundary rule keeps 民国 items out of 清代."""
    if not code:
        return ()
    era = next((e for e in eras() if e.code == code), None)
    if era is None:
        codes = ", ".join(e.code for e in eras())
        raise InvalidInput(f"query parameter 'era': unknown period {code!r}; choose from {codes}")
    return (YearSpan(era.start, era.end, era=True),)
