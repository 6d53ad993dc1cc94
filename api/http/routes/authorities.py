"""Catalogue pages of authority records: `GET /projects/{id}` (an ICH project: what, where, its
bearers) and `GET /bearers/{id}` (a bearer: who, which projects), each with the items that link
to it which the visitor may see, found by the search index's `project`/`bearer` filter with the
visitor's audience (docs/authorities.md).

An id of another kind (a bearer's id under /projects/) is the same 404 as an unknown one.
Server-rendered, zh/en like the item page; every value is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.deps import AudienceDep, ServicesDep
from api.http.errors import not_found
from api.http.i18n import choose_language, message, render
from api.labels import label_for, text_in
from api.operations.authorities import bearers_of, names_of
from api.operations.searching import hit_item
from api.present import authority_path
from api.services import Services
from repository.authorities import AuthorityStore
from schemas.authority import Authority
from search.base import MAX_PAGE_SIZE, Audience, SearchQuery

router = APIRouter(include_in_schema=False)
NAMES_SHOWN = 12
ITEMS_SHOWN = MAX_PAGE_SIZE  # one page of the index; the rest are a link to the catalogue
WIKIDATA = "https://www.wikidata.org/wiki/"


@router.get("/projects/{project_id}")
def project_page(
    request: Request, project_id: str, services: ServicesDep, audience: AudienceDep
) -> Response:
    return _page(request, "project", project_id, services, audience)


@router.get("/bearers/{bearer_id}")
def bearer_page(
    request: Request, bearer_id: str, services: ServicesDep, audience: AudienceDep
) -> Response:
    return _page(request, "bearer", bearer_id, services, audience)


def _page(
    request: Request, kind: str, authority_id: str, services: Services, audience: Audience
) -> Response:
    lang = choose_language(request)
    authorities = AuthorityStore(services.store)
    authority = authorities.get(authority_id)
    if authority is None or authority["kind"] != kind:
        raise not_found(message(lang, f"authority.not_found.{kind}", id=authority_id))
    names = names_of(authority)
    title = text_in(names, lang) or authority["names"]["zh"]
    other = names["en"] if title == names["zh"] and names.get("en") else names["zh"]
    if kind == "project":
        related = [_link("bearer", b) for b in bearers_of(authorities, authority_id)]
    else:
        found = (authorities.get(p) for p in authority.get("projects", []))
        related = [_link("project", p) for p in found if p is not None]
    linked = services.index.search(
        SearchQuery(
            filters={kind: (authority_id,)},
            sort="date",  # oldest first, undated last
            size=ITEMS_SHOWN,
            facets=(),
            audience=audience,
        )
    )
    context = {
        "title": title,
        "other_title": other if other != title else None,
        "kind": kind,
        "kicker": [
            v
            for v in (
                message(lang, f"authority.kind.{kind}"),
                authority.get("level") and message(lang, f"authority.level.{authority['level']}"),
                authority.get("category") and label_for("category", authority["category"], lang),
            )
            if v
        ],
        "text": text_in(authority.get("description") or authority.get("biography"), lang),
        "facts": _facts(authority, lang),
        "related": related,
        "related_heading": message(
            lang, "authority.bearers" if kind == "project" else "authority.projects"
        ),  # fmt: skip
        "same_as": [(qid, f"{WIKIDATA}{qid}") for qid in authority.get("same_as", [])],
        "source": authority.get("source"),
        "items": [hit_item(hit, lang) for hit in linked.hits],
        "items_total": linked.total,
        "items_url": f"/?{kind}={authority_id}",
    }
    return render(request, "authority.html", context)


def _link(kind: str, authority: Mapping[str, Any]) -> dict[str, str]:
    return {"name": authority["names"]["zh"], "url": authority_path(kind, authority["id"])}


def _facts(authority: Authority, lang: str) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if value:
            facts.append((message(lang, f"authority.fact.{key}"), str(value)))

    add("list_number", authority.get("list_number"))
    add("batch_year", authority.get("batch_year"))
    place: Mapping[str, Any] = authority.get("region") or {}
    add("region", (lang == "en" and place.get("name_en")) or place.get("name"))
    dates: Mapping[str, Any] = authority
    for key in ("birth", "death"):
        date: Mapping[str, Any] = dates.get(key) or {}
        add(key, date.get("display") or date.get("edtf"))
    add("pinyin", authority.get("pinyin"))
    add("protecting_units", "; ".join(authority.get("protecting_units", [])))
    others = authority.get("alternative_names", [])
    shown = "; ".join(others[:NAMES_SHOWN]) + (" …" if len(others) > NAMES_SHOWN else "")
    add("alternative_names", shown)
    return facts
