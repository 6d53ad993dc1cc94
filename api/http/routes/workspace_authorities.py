"""Making an authority from the workspace: `GET|POST /workspace/authorities/new` (a project or
bearer a manifest named but no authority holds: the job page offers it with the name filled in)
and `POST /workspace/items/{item_id}/authorities` (link an item to an existing authority, e.g.
one of the candidates an ambiguous name found).

Curators and admins; forms carry the session's CSRF token. The authority is made as `heritage
authorities import` makes one (`api.operations.authorities.create_authority`: the same id rule
and checks, one audit entry), never a second one of a name (409 naming the one held). Linking
an item is an audited edit like any other (`change_item`: event, audit, re-index), refused for
another institution's item (404/403 as the edit form). Bad values are shown on the form, named,
in the page's language (422)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import item_locks, write_context
from api.http.i18n import choose_language, message
from api.http.searching import authority_finder
from api.http.sessions import PRIVATE
from api.http.workspace_support import curator, curator_decision, curator_posting, form_text, page
from api.labels import text_in
from api.operations.authorities import (
    LEVEL_WORDS,
    LINKED_KINDS,
    NEW_FIELDS,
    AuthorityExists,
    NewAuthorityError,
    create_authority,
    link_authority,
)
from api.operations.callers import Caller
from api.operations.items import change_item, owned_record
from api.present import authority_path
from api.services import Services
from repository.authorities import AuthorityStore, has_han
from schemas.errors import InvalidInput, NotFound

router = APIRouter(tags=["workspace"], include_in_schema=False)


def _item(services: Services, item_id: str, caller: Caller) -> dict[str, Any] | None:
    """The item to link, which the caller must be able to change (404/403 as the edit form)."""
    if not item_id:
        return None
    record = owned_record(services, item_id, caller)
    return {"id": record["id"], "title": record["title"]}


def _candidates(services: Services, kind: str, name: str) -> list[dict[str, str]]:
    """Authorities of `kind` the name finds already (to link instead of making one)."""
    if kind not in LINKED_KINDS or not name:
        return []
    authorities = AuthorityStore(services.store)
    return [
        {"id": m.id, "name": m.name, "url": authority_path(m.kind, m.id)}
        for m in authorities.find_by_name(name, kind=kind)
    ]


def _context(
    request: Request,
    csrf: str,
    values: dict[str, str],
    item: dict[str, Any] | None,
    candidates: list[dict[str, str]],
) -> dict[str, Any]:
    lang = choose_language(request)
    return {
        "csrf_token": csrf,
        "v": values,
        "item": item,
        "item_title": text_in(item["title"], lang) or item["id"] if item else None,
        "kinds": LINKED_KINDS,
        "levels": tuple(LEVEL_WORDS),
        "candidates": candidates,
        "problems": {},
        "error": None,
    }


@router.get("/workspace/authorities/new")
def new_authority_page(
    request: Request, kind: str = "", name: str = "", item: str = ""
) -> Response:
    """The form, filled in from the query: `kind`, `name` (a Chinese name goes to `zh`, a Latin
    one to `pinyin`) and the `item` to link once made."""
    who = curator(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    found = _item(services, item.strip(), caller)
    kind = kind if kind in LINKED_KINDS else ""
    name = name.strip()[:200]
    values = dict.fromkeys(NEW_FIELDS, "") | {"kind": kind}
    values["zh" if has_han(name) else "pinyin"] = name
    context = _context(request, csrf, values, found, _candidates(services, kind, name))
    return page(request, "workspace/authority_new.html", context)


@router.post("/workspace/authorities/new")
async def create_authority_form(request: Request) -> Response:
    """Make the authority; with `item` and `link` checked, link the item to it (an audited
    edit) and go to its edit form, else to the authority's page."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    form = await request.form()
    values = {name: form_text(form, name) for name in NEW_FIELDS}
    item_id, link = form_text(form, "item"), bool(form_text(form, "link"))
    await form.close()
    item = await run_in_threadpool(_item, services, item_id, caller)
    lang = choose_language(request)
    context = _context(request, csrf, values, item, [])
    context_write = write_context(request, caller)
    try:
        made = await run_in_threadpool(
            create_authority, services.store, values, caller.actor(), client=context_write.client
        )
    except NewAuthorityError as exc:
        context["problems"] = {
            name: message(lang, f"authorities.problem.{code}") for name, code in exc.problems
        }
        return page(request, "workspace/authority_new.html", context, 422)
    except AuthorityExists as exc:
        context["error"] = message(lang, "authorities.exists", name=exc.name)
        context["candidates"] = await run_in_threadpool(_candidates, services, exc.kind, exc.name)
        return page(request, "workspace/authority_new.html", context, 409)
    except InvalidInput as exc:  # a value the import rules refuse (a date, an id): as said
        context["error"] = str(exc)
        return page(request, "workspace/authority_new.html", context, 422)
    authority_finder(request).forget()  # the search box finds it at once
    if item is None or not link:
        url = authority_path(made["kind"], made["id"])
        return RedirectResponse(url, status_code=303, headers=PRIVATE)
    await run_in_threadpool(_link, request, caller, item["id"], made["kind"], made["id"])
    url = f"/workspace/items/{item['id']}?" + urlencode({"linked": made["id"]})
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


@router.post("/workspace/items/{item_id}/authorities")
async def link_item(request: Request, item_id: str) -> Response:
    """Link the item to the existing authority `id` (form field); 303 to the item's form."""

    def link(request: Request, caller: Caller, form: Mapping[str, str]) -> str:
        services, authority_id = request.app.state.services, form["id"]
        owned_record(services, item_id, caller)  # 404/403 first
        held = AuthorityStore(services.store).get(authority_id)
        if held is None or held["kind"] not in LINKED_KINDS:
            raise NotFound(f"no project or bearer authority with id {authority_id!r}")
        _link(request, caller, item_id, held["kind"], authority_id)
        return f"/workspace/items/{item_id}?" + urlencode({"linked": authority_id})

    return await curator_decision(request, ("id",), link)


def _link(request: Request, caller: Caller, item_id: str, kind: str, authority_id: str) -> None:
    change_item(
        request.app.state.services,
        item_locks(request),
        item_id,
        write_context(request, caller),
        None,
        lambda record: link_authority(record, kind, authority_id, caller),
        require_match=False,
    )
