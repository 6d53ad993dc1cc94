"""Online exhibitions in the staff workspace: `GET|POST /workspace/exhibitions` (the institution's
exhibitions; start one), `GET|POST /workspace/exhibitions/{slug}` (compose: title, introduction,
sections and their entries — an item, a detail of its image or a clip of its video/sound — with a
search for items to pick), `GET /workspace/exhibitions/{slug}/preview` (the story page as the
public will see it) and `POST /workspace/exhibitions/{slug}/status` (submit, publish, send
back, withdraw).

Server-rendered forms carrying the session's CSRF token; they work without JavaScript (order is
a position number per section and entry, a checkbox removes one). Who may do what is
`api.operations.exhibitions`; another institution's exhibition is 404. A save carries the version
it was rendered with (hidden `etag`); bad values are said on the form in the page's language next
to the field, as typed (422); a change made meanwhile by someone else is 409, the form as typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.http.audit import item_locks, write_context
from api.http.i18n import choose_language, message
from api.http.routes.exhibitions import story_page
from api.http.sessions import PRIVATE, check_csrf
from api.http.workspace_support import form_text, page, signed_in, to_login
from api.labels import text_in
from api.operations.access import audience_of
from api.operations.callers import Caller
from api.operations.exhibitions import (
    MAX_TEXT,
    MAX_TITLE,
    Composition,
    ExhibitionInputError,
    composition_from_form,
    composition_of,
    create_exhibition,
    form_fields,
    may_edit,
    move_exhibition,
    moves_for,
    readable_exhibition,
    save_composition,
    staff_exhibitions,
)
from repository.exhibitions import ExhibitionStore
from schemas.errors import InvalidInput, PreconditionFailed
from search.base import SearchQuery

router = APIRouter(tags=["workspace"], include_in_schema=False)

SEARCH_HITS = 20


def _member(request: Request) -> tuple[Caller, str] | Response:
    who = signed_in(request)
    if who is None:
        return to_login()
    caller, session = who
    return caller, session.csrf


def _problems(lang: str, problems: list[tuple[str, str]]) -> dict[str, str]:
    """Field → the first problem with it, said in the page's language."""
    said: dict[str, str] = {}
    for name, code in problems:
        said.setdefault(name, message(lang, f"exhibitions.problem.{code}"))
    return said


def _fields(form: FormData) -> dict[str, str]:
    """Every text field as typed (browsers' CRLF line ends as LF, trimmed)."""
    return {
        name: value.replace("\r\n", "\n").strip()
        for name, value in form.multi_items()
        if isinstance(value, str)
    }


@router.get("/workspace/exhibitions")
def exhibitions_page(request: Request) -> Response:
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    return _list_page(request, caller, csrf, {}, {})


def _list_page(
    request: Request,
    caller: Caller,
    csrf: str,
    values: dict[str, str],
    problems: dict[str, str],
    status: int = 200,
) -> Response:
    lang = choose_language(request)
    store = ExhibitionStore(request.app.state.services.store)
    rows = [
        {
            "slug": e["slug"],
            "title": text_in(e.get("title"), lang) or e["slug"],
            "institution": e.get("institution", ""),
            "status": e.get("status", "draft"),
            "sections": len(e.get("sections") or []),
            "entries": sum(len(s.get("entries") or []) for s in e.get("sections") or []),
        }
        for e in staff_exhibitions(store, caller)
    ]
    waiting = sum(1 for row in rows if row["status"] == "review")
    context = {
        "rows": rows,
        "waiting": waiting if caller.has_role("curator") else 0,
        "csrf_token": csrf,
        "v": values,
        "problems": problems,
        "max_title": MAX_TITLE,
    }
    return page(request, "workspace/exhibitions.html", context, status)


@router.post("/workspace/exhibitions")
async def create(request: Request) -> Response:
    await check_csrf(request)
    who = await run_in_threadpool(_member, request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    form = await request.form()
    values = {name: form_text(form, name) for name in ("slug", "title_zh", "title_en")}
    await form.close()
    services = request.app.state.services
    title = {"zh": values["title_zh"], "en": values["title_en"]}
    try:
        await run_in_threadpool(
            create_exhibition,
            services,
            item_locks(request),
            write_context(request, caller),
            values["slug"],
            title,
        )
    except ExhibitionInputError as exc:
        said = _problems(choose_language(request), exc.problems)
        return await run_in_threadpool(_list_page, request, caller, csrf, values, said, 422)
    url = f"/workspace/exhibitions/{values['slug']}"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


def _hits(request: Request, caller: Caller, q: str) -> list[dict[str, Any]]:
    """Items the composer may see matching `q`, to pick from (id, title, kind)."""
    if not q:
        return []
    lang = choose_language(request)
    query = SearchQuery(q=q[:200], size=SEARCH_HITS, facets=(), audience=audience_of(caller))
    try:
        result = request.app.state.services.index.search(query)
    except InvalidInput:
        return []
    return [
        {
            "id": hit.id,
            "title": text_in(hit.summary.get("title"), lang) or hit.id,
            "media_type": hit.summary.get("media_type", ""),
        }
        for hit in result.hits
    ]


def _edit_page(
    request: Request,
    caller: Caller,
    csrf: str,
    exhibition: dict[str, Any],
    etag: str,
    composition: Composition,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
    conflict: bool = False,
    q: str = "",
) -> Response:
    lang = choose_language(request)
    sections = [
        {"i": i, "entries": list(range(1, len(section.entries) + 2)), "new": False}
        for i, section in enumerate(composition.sections, start=1)
    ]
    sections.append({"i": len(sections) + 1, "entries": [1], "new": True})
    context = {
        "slug": exhibition["slug"],
        "title": text_in(exhibition.get("title"), lang) or exhibition["slug"],
        "status": exhibition.get("status", "draft"),
        "institution": exhibition.get("institution", ""),
        "v": form_fields(composition),
        "sections": sections,
        "etag": etag,
        "csrf_token": csrf,
        "editable": may_edit(caller, exhibition),
        "moves": moves_for(caller, exhibition),
        "problems": problems or {},
        "saved": saved,
        "conflict": conflict,
        "q": q,
        "hits": _hits(request, caller, q),
        "max_title": MAX_TITLE,
        "max_text": MAX_TEXT,
    }
    return page(request, "workspace/exhibition.html", context, status)


@router.get("/workspace/exhibitions/{slug}")
def exhibition_page(request: Request, slug: str, q: str = "", saved: bool = False) -> Response:
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    store = ExhibitionStore(request.app.state.services.store)
    exhibition, etag = readable_exhibition(store, slug, caller)
    composition = composition_of(exhibition)
    return _edit_page(
        request, caller, csrf, exhibition, etag, composition, saved=saved, q=q.strip()
    )


@router.post("/workspace/exhibitions/{slug}")
async def save(request: Request, slug: str) -> Response:
    await check_csrf(request)
    who = await run_in_threadpool(_member, request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    store = ExhibitionStore(services.store)
    await run_in_threadpool(readable_exhibition, store, slug, caller)  # 404 before anything
    form = await request.form()
    fields = _fields(form)
    await form.close()
    composition = composition_from_form(fields)
    try:
        await run_in_threadpool(
            save_composition,
            services,
            item_locks(request),
            write_context(request, caller),
            slug,
            composition,
            fields.get("etag", ""),
        )
    except (ExhibitionInputError, PreconditionFailed) as exc:
        exhibition, etag = await run_in_threadpool(readable_exhibition, store, slug, caller)
        if isinstance(exc, PreconditionFailed):
            return _edit_page(
                request, caller, csrf, exhibition, etag, composition, status=409, conflict=True
            )
        said = _problems(choose_language(request), exc.problems)
        keep = fields.get("etag", "")
        return _edit_page(
            request, caller, csrf, exhibition, keep, composition, problems=said, status=422
        )
    url = f"/workspace/exhibitions/{slug}?saved=1"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


@router.get("/workspace/exhibitions/{slug}/preview")
def preview(request: Request, slug: str) -> Response:
    """The story page as the public will see it once published (whatever its status now)."""
    who = _member(request)
    if isinstance(who, Response):
        return who
    caller, _ = who
    store = ExhibitionStore(request.app.state.services.store)
    exhibition, _etag = readable_exhibition(store, slug, caller)
    response = story_page(request, exhibition, preview=True)
    response.headers.update(PRIVATE)
    return response


@router.post("/workspace/exhibitions/{slug}/status")
async def move(request: Request, slug: str) -> Response:
    await check_csrf(request)
    who = await run_in_threadpool(_member, request)
    if isinstance(who, Response):
        return who
    caller, _ = who
    services = request.app.state.services
    await run_in_threadpool(readable_exhibition, ExhibitionStore(services.store), slug, caller)
    form = await request.form()
    wanted, etag = form_text(form, "status"), form_text(form, "etag")
    await form.close()
    await run_in_threadpool(
        move_exhibition,
        services,
        item_locks(request),
        write_context(request, caller),
        slug,
        wanted,
        etag or None,
    )
    url = f"/workspace/exhibitions/{slug}?saved=1"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)
