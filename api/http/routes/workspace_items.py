"""The curator's workspace pages: the review queue (`/workspace/review`) and the edit form of one
item (`/workspace/items/{id}`). Server-rendered forms carrying the session's CSRF token; they work
without JavaScript.

They change items exactly as the JSON API does (`api.operations.items.change_item` with a
`WriteContext`), so permissions, events, screening and audit are the API's: curators of the
item's institution and admins; an archivist gets 403, another institution's item 403/404. A
decision redirects back to the queue with its outcome in the query (PRG). An edit carries the
ETag the form was rendered with as If-Match: when someone changed the item meanwhile, the page
shows both versions and lets the person re-apply theirs.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, cast, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.http.audit import item_locks, write_context
from api.http.i18n import choose_language
from api.http.routes.review import catalogue
from api.http.sessions import CSRF_FIELD, PRIVATE
from api.http.workspace_support import curator, curator_posting, form_text, page
from api.labels import label_for, text_in
from api.operations.access import audience_of
from api.operations.callers import Caller
from api.operations.captions import add_captions, caption_file_name, has_av
from api.operations.contributions import COLLECTION as CONTRIBUTIONS
from api.operations.items import (
    apply_patch,
    change_item,
    check_patch,
    owned_record,
    record_etag,
)
from api.operations.ocr import correct_page, page_text_rows
from api.operations.review import MAX_REASON, TRANSITIONS, Status, decide, queue
from api.present import authority_path, file_url
from ingest.captions import KINDS as CAPTION_KINDS
from ingest.captions import MAX_BYTES as CAPTION_MAX_BYTES
from schemas import categories
from schemas.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unavailable,
)
from schemas.record import Access, PersonRole
from search.base import SearchQuery
from search.screening import screen_for

router = APIRouter(tags=["workspace"], include_in_schema=False)

STATUSES: tuple[str, ...] = get_args(Status)
ROLES: tuple[str, ...] = get_args(PersonRole)
ACCESS: tuple[str, ...] = get_args(Access)
PROBLEMS = ("decision", "reason", "reason_long", "selection")
MAX_SELECTED = 100
EMPTY_PEOPLE_ROWS = 2


# --- the review queue ----------------------------------------------------------------------------


@router.get("/workspace/review")
def review_page(request: Request, status: Status = "review") -> Response:
    who = curator(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    lang = choose_language(request)
    owner = None if caller.role == "admin" else caller.institution
    entries = queue(catalogue(request), status, owner, None)
    rows = []
    for entry in entries[:MAX_SELECTED]:
        rows.append(
            {
                "id": entry.id,
                "title": text_in(entry.title, lang) or entry.id,
                "collection": entry.collection,
                "modified": entry.modified[:16].replace("T", " "),
                "flags": entry.flags,
                "thumb": file_url(entry.id, "thumbnail") if entry.has_thumbnail else None,
                "contribution": entry.collection == CONTRIBUTIONS,
            }
        )
    query = request.query_params
    decision = query.get("decision") if query.get("decision") in STATUSES else None
    problem = query.get("problem") if query.get("problem") in PROBLEMS else None
    context = {
        "csrf_token": csrf,
        "status": status,
        "statuses": STATUSES,
        "moves": TRANSITIONS.get(status, ()),
        "rows": rows,
        "total": len(entries),
        "shown": len(rows),
        "decision": decision,  # outcomes are shown only under a decision this page knows
        "done": query.getlist("done") if decision else [],
        "refused": query.getlist("refused") if decision else [],
        "missing": query.getlist("missing") if decision else [],
        "problem": problem,
    }
    return page(request, "workspace/review.html", context)


@router.post("/workspace/review")
async def review_decide(request: Request) -> Response:
    """Apply one decision (with its reason) to each selected item; each item succeeds or fails
    alone, and the queue shows what happened to which."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, _ = who
    form = await request.form()
    back = form_text(form, "status") or "review"
    back = back if back in STATUSES else "review"
    decision = form_text(form, "decision")
    reason = form_text(form, "reason")
    selected = [i for i in form.getlist("item") if isinstance(i, str)][:MAX_SELECTED]
    await form.close()  # a file sent in a field is not kept open
    outcome: list[tuple[str, str]] = [("status", back)]
    if decision not in STATUSES:
        outcome.append(("problem", "decision"))
    elif not reason:
        outcome.append(("problem", "reason"))
    elif len(reason) > MAX_REASON:
        outcome.append(("problem", "reason_long"))
    elif not selected:
        outcome.append(("problem", "selection"))
    else:
        outcome.append(("decision", decision))
        for item_id in selected:
            result = await run_in_threadpool(
                _decide, request, caller, item_id, cast(Status, decision), reason
            )
            outcome.append((result, item_id))
    url = "/workspace/review?" + urlencode(outcome)
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


def _decide(request: Request, caller: Caller, item_id: str, status: Status, reason: str) -> str:
    """`done`, `refused` (not allowed from the item's status) or `missing` (not this caller's)."""
    try:
        change_item(
            request.app.state.services,
            item_locks(request),
            item_id,
            write_context(request, caller),
            None,
            lambda changed: decide(changed, status, reason, caller),
            require_match=False,
        )
    except Conflict:
        return "refused"
    except (NotFound, Forbidden):
        return "missing"
    return "done"


# --- the edit form -------------------------------------------------------------------------------


def _values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields, as the record holds them."""
    title, description = record.get("title", {}), record.get("description", {})
    rights, date = record.get("rights", {}), record.get("date", {})
    return {
        "title_zh": title.get("zh", ""),
        "title_en": title.get("en", ""),
        "description_zh": description.get("zh", ""),
        "description_en": description.get("en", ""),
        "category": record.get("category", ""),
        "region": record.get("region", {}).get("name", ""),
        # a checkbox: "on" or "" (the map shows a sensitive place only at its county)
        "region_sensitive": "on" if record.get("region", {}).get("sensitive") else "",
        "date": date.get("display") or date.get("edtf", ""),
        "people": [(p["name"], p["role"]) for p in record.get("people", [])],
        "subjects": "\n".join(record.get("subjects", [])),
        "license": rights.get("license", ""),
        "holder": rights.get("holder", ""),
        "access": record.get("access", "public"),
        "embargo_until": record.get("embargo_until", ""),
    }


def _submitted(form: FormData) -> dict[str, Any]:
    """The form's fields as typed (kept as typed when the page must be shown again)."""
    text: dict[str, Any] = {name: form_text(form, name) for name in _values({}) if name != "people"}
    names = [n.strip() for n in form.getlist("person_name") if isinstance(n, str)]
    roles = [r for r in form.getlist("person_role") if isinstance(r, str)]
    text["people"] = [(n, r) for n, r in zip(names, roles, strict=False) if n]
    return text


def _patch(values: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch making the record say what the form says; fields the form does not show
    (other languages, a region's code, a person's English name) are kept."""

    def merged(name: str, fields: dict[str, str]) -> dict[str, str | None] | None:
        """The object's patch; None (remove it) when nothing would be left in it."""
        kept = {k: v for k, v in {**record.get(name, {}), **fields}.items() if v}
        return {k: v or None for k, v in fields.items()} if kept else None

    known = {p["name"]: p for p in record.get("people", [])}
    date = record.get("date", {})
    patch: dict[str, Any] = {
        "title": merged("title", {"zh": values["title_zh"], "en": values["title_en"]}),
        "description": merged(
            "description", {"zh": values["description_zh"], "en": values["description_en"]}
        ),
        "category": values["category"] or None,
        "region": {"name": values["region"], "sensitive": bool(values["region_sensitive"]) or None}
        if values["region"]
        else None,
        "people": [{**known.get(n, {}), "name": n, "role": r} for n, r in values["people"]] or None,
        "subjects": [s.strip() for s in values["subjects"].splitlines() if s.strip()] or None,
        "rights": merged("rights", {"license": values["license"], "holder": values["holder"]}),
        "embargo_until": values["embargo_until"] or None,
    }
    if values["access"]:
        patch["access"] = values["access"]
    if values["date"] != (date.get("display") or date.get("edtf", "")):
        patch["date"] = values["date"] or None  # a changed text is read again (check_patch)
    return patch


def _edit_context(
    record: Mapping[str, Any], values: dict[str, Any], csrf: str, lang: str
) -> dict[str, Any]:
    date = record.get("date", {})
    return {
        "item_id": record["id"],
        "item_title": text_in(record["title"], lang) or record["id"],
        "item_status": record["status"],
        "etag": record_etag(record),
        "csrf_token": csrf,
        "v": values,
        "people_rows": values["people"] + [("", "")] * EMPTY_PEOPLE_ROWS,
        "understood": (date.get("earliest"), date.get("latest"), date.get("edtf")),
        "categories": [c.code for c in categories()],
        "roles": ROLES,
        "access_levels": ACCESS,
        "error": None,
        "saved": False,
        "theirs": None,
        "page_texts": page_text_rows(record),
        "captions": _captions(record, lang),
        "caption_kinds": CAPTION_KINDS,
        "caption_error": None,
        "captions_added": False,
        "caption_language": "zh",
        "linked": None,
        "authority_links": [
            {**link, "url": authority_path(link["kind"], link["id"])}
            for link in record.get("authorities", [])
        ],
    }


def _captions(record: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """The item's caption files for the edit page; None when it has no video or audio."""
    if not has_av(record):
        return None
    files = [f for f in record.get("files", []) if f["role"] == "captions"]
    return {
        "files": [
            {
                "name": f.get("name", ""),
                "language": label_for("language", f.get("language", "zh"), lang),
                "kind": f.get("kind", "captions"),
                "cues": f.get("cues", 0),
                "url": file_url(record["id"], "captions", n),
            }
            for n, f in enumerate(files, start=1)
        ]
    }


REGION_CHOICES = 1000  # places offered by the form's region picker


def _edit_page(
    request: Request, caller: Caller, context: dict[str, Any], status: int = 200
) -> Response:
    """The form, its region field offering the places the caller's items already name (the
    index's region facet under the caller's audience: a place only a hidden item names is not
    offered to someone who may not see it), most used first; any other place may be typed."""
    query = SearchQuery(
        size=1, facets=("region",), facet_size=REGION_CHOICES, audience=audience_of(caller)
    )
    try:
        found = request.app.state.services.index.search(query).facets.get("region", [])
        context["regions"] = [facet.value for facet in found]
    except Unavailable:  # the index is down: the form works without suggestions
        context["regions"] = []
    return page(request, "workspace/edit.html", context, status)


@router.get("/workspace/items/{item_id}")
def edit_page(
    request: Request,
    item_id: str,
    saved: bool = False,
    captions_added: bool = False,
    linked: str = "",
) -> Response:
    who = curator(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    record = owned_record(request.app.state.services, item_id, caller)
    context = _edit_context(record, _values(record), csrf, choose_language(request))
    context["saved"] = saved
    context["captions_added"] = captions_added
    if any(link["id"] == linked for link in record.get("authorities", [])):
        context["linked"] = linked  # said only when it is so
    return _edit_page(request, caller, context)


CAPTION_FORM_SLACK = 64 * 1024  # bytes of a caption upload's form besides the file


@router.post("/workspace/items/{item_id}/captions")
async def add_captions_form(request: Request, item_id: str) -> Response:
    """Add a .vtt or .srt to the item (multipart: csrf_token, captions, language, kind). A file
    that cannot be read shows the edit page again with the reason (file, line, cue), 422."""
    who = await run_in_threadpool(curator, request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    lang = choose_language(request)
    problem: str | None = None
    data, name, language, kind = b"", "", "zh", "captions"
    if int(request.headers.get("content-length") or 0) > CAPTION_MAX_BYTES + CAPTION_FORM_SLACK:
        problem = f"caption files may be at most {CAPTION_MAX_BYTES:,} bytes"  # left unread
    else:
        async with request.form(max_files=1, max_fields=8) as form:
            token = form.get(CSRF_FIELD)
            if not isinstance(token, str) or not hmac.compare_digest(token.encode(), csrf.encode()):
                raise HTTPException(
                    403,
                    f"the CSRF token ('{CSRF_FIELD}') is missing or does not match this "
                    "session: reload the page and try again",
                )
            upload = form.get("captions")
            language = form_text(form, "language") or "zh"
            kind = form_text(form, "kind") or "captions"
            if isinstance(upload, UploadFile):
                data = await upload.read(CAPTION_MAX_BYTES + 1)
                name = upload.filename or ""
    try:
        if problem is not None:
            raise InvalidInput(problem)
        name = caption_file_name(name)
        await run_in_threadpool(
            add_captions,
            services,
            item_locks(request),
            item_id,
            write_context(request, caller),
            data=data,
            name=name,
            language=language,
            kind=kind,
        )
    except InvalidInput as exc:
        record = await run_in_threadpool(owned_record, services, item_id, caller)
        context = _edit_context(record, _values(record), csrf, lang)
        context["caption_error"] = str(exc)
        context["caption_language"] = language
        return _edit_page(request, caller, context, 422)
    url = f"/workspace/items/{item_id}?captions_added=1#captions"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


@router.post("/workspace/items/{item_id}")
async def edit_item(request: Request, item_id: str) -> Response:
    """Apply the form as a merge patch with If-Match = the ETag it was rendered with: an
    unreadable value shows the form again as typed (422); a change made meanwhile shows both
    versions (409)."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    form = await request.form()
    services = request.app.state.services
    lang = choose_language(request)
    record = await run_in_threadpool(owned_record, services, item_id, caller)
    values, etag = _submitted(form), form_text(form, "etag")
    await form.close()  # a file sent in a field is not kept open
    screen = screen_for(services.settings.sensitive_terms_file)
    try:
        patch = check_patch(_patch(values, record))
        await run_in_threadpool(
            change_item,
            services,
            item_locks(request),
            item_id,
            write_context(request, caller),
            etag,
            lambda changed: apply_patch(changed, patch, caller, screen),
            require_match=True,
        )
    except PreconditionFailed:
        theirs = await run_in_threadpool(owned_record, services, item_id, caller)
        context = _edit_context(theirs, values, csrf, lang)  # re-applying: theirs' ETag
        context["theirs"] = _values(theirs)
        return _edit_page(request, caller, context, 409)
    except InvalidInput as exc:
        context = _edit_context(record, values, csrf, lang)
        context["etag"] = etag  # still the version the person edited
        context["error"] = str(exc)
        return _edit_page(request, caller, context, 422)
    url = f"/workspace/items/{item_id}?saved=1"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


@router.post("/workspace/items/{item_id}/pages/{n}/text")
async def correct_page_text(request: Request, item_id: str, n: int) -> Response:
    """One page's text as a curator corrected it (`api.operations.ocr.correct_page`): a new
    version marked as theirs, reindexed; If-Match = the ETag the form was rendered with."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    form = await request.form()
    value = form.get("text")
    text, etag = (value if isinstance(value, str) else ""), form_text(form, "etag")
    await form.close()
    services = request.app.state.services
    lang = choose_language(request)
    try:
        await run_in_threadpool(
            correct_page,
            services,
            item_locks(request),
            item_id,
            n,
            text.strip(),
            write_context(request, caller),
            etag or None,
        )
    except (PreconditionFailed, InvalidInput) as exc:
        current = await run_in_threadpool(owned_record, services, item_id, caller)
        context = _edit_context(current, _values(current), csrf, lang)
        context["error"] = str(exc)
        status = 409 if isinstance(exc, PreconditionFailed) else 422
        return _edit_page(request, caller, context, status)
    url = f"/workspace/items/{item_id}?saved=1#page-{n}"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)
