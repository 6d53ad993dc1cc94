"""Collections in the staff workspace: `GET /workspace/collections` (the institution's collections
with their item counts), `GET|POST /workspace/collections/new` (create one) and
`GET|POST /workspace/collections/{slug}` (its zh/en title and description, its owner).

Server-rendered forms carrying the session's CSRF token; they work without JavaScript. Every
member of the institution sees its collections; curators (and admins, for any institution) create
and edit, archivists only read (403 on a save). Another institution's collection is 404, never
403, so its existence does not leak. An edit carries the version it was rendered with (hidden
`etag`, as the item form does): when someone changed the collection meanwhile, the page shows both
versions (409). Bad values are shown on the form in the page's language, as typed (422).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.http.audit import item_locks, write_context
from api.http.i18n import choose_language, message, render
from api.http.sessions import PRIVATE, check_csrf, read_session, session_caller
from api.labels import text_in
from api.operations.callers import Caller
from api.operations.collections import (
    FIELDS,
    MAX_DESCRIPTION,
    MAX_TITLE,
    CollectionInputError,
    description_etag,
    form_values,
    readable_collection,
    save_description,
    staff_collections,
)
from schemas.errors import InvalidInput, PreconditionFailed

router = APIRouter(tags=["workspace"], include_in_schema=False)


def _member(request: Request) -> tuple[Caller, str] | Response:
    """The signed-in user (any role) and the session's CSRF token; 303 to sign-in without one."""
    caller = session_caller(request)
    session = read_session(request)
    if caller is None or caller.user is None or session is None:
        return RedirectResponse("/workspace/login", status_code=303, headers=PRIVATE)
    return caller, session.csrf


def _curator_only(caller: Caller) -> None:
    if not caller.has_role("curator"):
        raise HTTPException(403, f"this needs the curator role; {caller.user} is {caller.role}")


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = render(request, name, context, status_code=status)
    response.headers.update(PRIVATE)
    return response


def _field(form: FormData, name: str) -> str:
    """A form field as typed (trimmed, browsers' CRLF line ends as LF); a file counts as nothing."""
    value = form.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


@router.get("/workspace/collections")
def collections_page(request: Request) -> Response:
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, _ = who
    services = request.app.state.services
    lang = choose_language(request)
    rows = [
        {
            "slug": seen.slug,
            "title": text_in(seen.description.get("title"), lang) or seen.slug,
            "institution": seen.institution,
            "count": seen.count,
            "url": f"/workspace/collections/{seen.slug}",
        }
        for seen in staff_collections(
            services.index, services.records, caller, services.settings.institution
        )
    ]
    admin = caller.role == "admin"
    context = {"rows": rows, "may_create": caller.has_role("curator"), "admin": admin}
    return _page(request, "workspace/collections.html", context)


def _form_context(
    caller: Caller, csrf: str, values: dict[str, str], *, slug: str | None, etag: str
) -> dict[str, Any]:
    return {
        "slug": slug,  # None: the creation form
        "action": f"/workspace/collections/{slug}" if slug else "/workspace/collections/new",
        "v": values,
        "etag": etag,
        "csrf_token": csrf,
        "editable": caller.has_role("curator"),
        "admin": caller.role == "admin",
        "max_title": MAX_TITLE,
        "max_description": MAX_DESCRIPTION,
        "problems": {},
        "error": None,
        "saved": False,
        "theirs": None,
        "fields": FIELDS[1:],
    }


def _submitted(form: FormData) -> dict[str, str]:
    return {name: _field(form, name) for name in FIELDS}


def _problems(lang: str, problems: list[tuple[str, str]]) -> dict[str, str]:
    """Field → the first problem with it, said in the page's language."""
    said: dict[str, str] = {}
    for name, code in problems:
        said.setdefault(name, message(lang, f"collections.problem.{code}"))
    return said


@router.get("/workspace/collections/new")
def new_page(request: Request) -> Response:
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    _curator_only(caller)
    values = {**form_values({}, caller.institution), "institution": caller.institution}
    context = _form_context(caller, csrf, values, slug=None, etag="")
    return _page(request, "workspace/collection.html", context)


@router.post("/workspace/collections/new")
async def create_collection(request: Request) -> Response:
    await check_csrf(request)
    return await _save(request, None)


@router.get("/workspace/collections/{slug}")
def collection_page(request: Request, slug: str, saved: bool = False) -> Response:
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    operator = request.app.state.services.settings.institution
    described = readable_collection(request.app.state.services.records, slug, caller, operator)
    context = _form_context(
        caller, csrf, form_values(described, operator), slug=slug, etag=description_etag(described)
    )
    context["saved"] = saved
    return _page(request, "workspace/collection.html", context)


@router.post("/workspace/collections/{slug}")
async def edit_collection(request: Request, slug: str) -> Response:
    await check_csrf(request)
    return await _save(request, slug)


async def _save(request: Request, slug: str | None) -> Response:
    """Create (`slug` None: it comes from the form) or change a collection; 303 back to its form
    saying "saved", 422 with the form as typed, 409 with both versions."""
    who = await run_in_threadpool(_member, request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    operator = services.settings.institution
    if slug is not None:  # another institution's: 404 before anything else is said
        await run_in_threadpool(readable_collection, services.records, slug, caller, operator)
    _curator_only(caller)
    form = await request.form()
    values, etag = _submitted(form), _field(form, "etag")
    await form.close()  # a file sent in a field is not kept open
    target = slug if slug is not None else values["slug"]
    if slug is not None:
        values["slug"] = slug
    lang = choose_language(request)
    try:
        await run_in_threadpool(
            save_description,
            services,
            item_locks(request),
            write_context(request, caller),
            target,
            values,
            etag,
            creating=slug is None,
        )
    except PreconditionFailed:
        theirs = await run_in_threadpool(
            readable_collection, services.records, target, caller, operator
        )
        context = _form_context(caller, csrf, values, slug=slug, etag=description_etag(theirs))
        context["theirs"] = form_values(theirs, operator)  # re-applying: theirs' version
        return _page(request, "workspace/collection.html", context, 409)
    except InvalidInput as exc:
        context = _form_context(caller, csrf, values, slug=slug, etag=etag)
        if isinstance(exc, CollectionInputError):
            context["problems"] = _problems(lang, exc.problems)
        else:  # the schema refused what the checks let through: said as it is
            context["error"] = str(exc)
        return _page(request, "workspace/collection.html", context, 422)
    url = f"/workspace/collections/{target}?saved=1"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)
