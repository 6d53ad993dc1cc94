"""An item's history in the staff workspace: `GET /workspace/items/{id}/history` lists every kept
version (number, who, when, which fields it changed) and, with `?from=&to=`, what differs
between two versions field by field; `POST …/history/restore` restores a version and
`POST …/history/delete` deletes the item for good. Server-rendered forms with the session's
CSRF token; they work without JavaScript.

Everything goes through `api.operations.history`, as the JSON API does (`routes/history.py`):
reading is for the item's institution (any role) and admins, anyone else sees a 404 page as for
an unknown id; restoring needs a curator of the institution (or an admin) and writes a new
version (status, access and embargo are never restored); deleting for good needs an admin, a
reason and the item id typed again. Both writes carry the ETag the page was rendered with as
If-Match, so a change made meanwhile is reported (409), never overwritten. Outcomes come back as
303 to the history page with a notice in the query (PRG); a deleted item's page says it is gone.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import item_locks, write_context
from api.http.i18n import choose_language, message
from api.http.sessions import PRIVATE, check_csrf
from api.http.workspace_support import (
    curator_posting,
    form_text,
    page,
    signed_in,
    to_login,
)
from api.labels import text_in
from api.operations import history
from api.operations.callers import Caller
from api.operations.items import record_etag
from schemas.errors import Gone, PreconditionFailed
from search.screening import screen_for

router = APIRouter(tags=["workspace"], include_in_schema=False)

HIDDEN_IN_DIFF = frozenset({"events"})
"""The provenance events are the history itself (the list above the comparison), not a field."""


def _url(item_id: str, **query: str | int) -> str:
    base = f"/workspace/items/{item_id}/history"
    return f"{base}?{urlencode(query)}" if query else base


def _shown(value: Any) -> str:
    """A field's value as one line of text: language maps and objects as `key: value; …`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


def _version_number(text: str, last: int, field: str, lang: str) -> tuple[int | None, str | None]:
    """(n, None) for a version between 1 and `last`, (None, the message naming the field)."""
    if text.isdigit() and 1 <= int(text) <= last:
        return int(text), None
    return None, message(
        lang,
        "history.bad_version",
        field=message(lang, f"history.{field}"),
        value=text[:40],
        last=last,
    )


def _diff_rows(changes: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for name, value in changes["added"].items():
        rows.append({"field": name, "before": "", "after": _shown(value), "kind": "added"})
    for name, value in changes["removed"].items():
        rows.append({"field": name, "before": _shown(value), "after": "", "kind": "removed"})
    for name, pair in changes["changed"].items():
        before, after = _shown(pair["before"]), _shown(pair["after"])
        rows.append({"field": name, "before": before, "after": after, "kind": "changed"})
    return sorted((r for r in rows if r["field"] not in HIDDEN_IN_DIFF), key=lambda r: r["field"])


def _context(
    request: Request, item_id: str, caller: Caller, csrf: str, lang: str
) -> dict[str, Any]:
    """The page's context (`Gone`/`NotFound` when this caller may not read the history)."""
    services = request.app.state.services
    steps = history.timeline(services, item_id, caller)
    record = history.readable_record(services, item_id, caller)
    last = steps[-1].version.n
    query = request.query_params
    errors: list[str] = []
    pair = (max(last - 1, 1), last)
    diff_rows = None
    if "from" in query or "to" in query:
        a, problem_a = _version_number(query.get("from", ""), last, "from", lang)
        b, problem_b = _version_number(query.get("to", ""), last, "to", lang)
        errors += [p for p in (problem_a, problem_b) if p]
        if a is not None and b is not None:
            pair = (a, b)
            diff_rows = _diff_rows(history.diff(services, item_id, a, b, caller))
    notice = None
    for key in ("restored", "unchanged"):
        if query.get(key, "").isdigit():
            notice = message(lang, f"history.{key}", n=query[key], last=last)
    return {
        "item_id": item_id,
        "item_title": text_in(record["title"], lang) or item_id,
        "etag": record_etag(record),
        "csrf_token": csrf,
        "steps": [
            {
                "n": s.version.n,
                "time": s.version.time[:16].replace("T", " "),
                "agent": s.version.agent,
                "change": s.version.change,
                "fields": s.fields,
                "current": s.version.current,
            }
            for s in reversed(steps)  # newest first
        ],
        "last": last,
        "pair": pair,
        "diff_rows": diff_rows,
        "can_restore": caller.role in ("curator", "admin"),
        "can_delete": caller.role == "admin",
        "notice": notice,
        "errors": errors,
        "conflict": False,
        "reason": "",
        "gone": None,
    }


def _history_page(
    request: Request,
    item_id: str,
    caller: Caller,
    csrf: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The page, or for an item deleted for good (that this caller may know of) a page saying
    so (410); a hidden or unknown item raises `NotFound` (the 404 page)."""
    lang = choose_language(request)
    try:
        context = _context(request, item_id, caller, csrf, lang)
    except Gone:
        tombstone = request.app.state.services.records.tombstone(item_id) or {}
        gone = message(lang, "history.gone", id=item_id, date=tombstone.get("deleted", "")[:10])
        return page(request, "workspace/history.html", {"item_id": item_id, "gone": gone}, 410)
    context.update(extra)
    if context["errors"] and status == 200:
        status = 422
    return page(request, "workspace/history.html", context, status)


@router.get("/workspace/items/{item_id}/history")
def history_page(request: Request, item_id: str) -> Response:
    who = signed_in(request)
    if who is None:
        return to_login()
    caller, session = who
    return _history_page(request, item_id, caller, session.csrf)


@router.post("/workspace/items/{item_id}/history/restore")
async def restore_version(request: Request, item_id: str) -> Response:
    """Restore the form's `version` with If-Match = the form's `etag`; 303 back saying which."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    form = await request.form()
    wanted, etag = form_text(form, "version"), form_text(form, "etag")
    await form.close()
    services = request.app.state.services
    lang = choose_language(request)
    steps = await run_in_threadpool(history.timeline, services, item_id, caller)
    earlier = steps[-1].version.n - 1  # the current version is no earlier one to go back to
    n, problem = _version_number(wanted, earlier, "version", lang)
    if n is None:
        return await run_in_threadpool(
            _history_page, request, item_id, caller, csrf, 422, errors=[problem]
        )
    try:
        record = await run_in_threadpool(
            history.restore,
            services,
            item_locks(request),
            item_id,
            n,
            write_context(request, caller),
            etag,
            screen_for(services.settings.sensitive_terms_file),
        )
    except PreconditionFailed:
        return await run_in_threadpool(
            _history_page, request, item_id, caller, csrf, 409, conflict=True
        )
    outcome = "unchanged" if record_etag(record) == etag else "restored"
    return RedirectResponse(_url(item_id, **{outcome: n}), status_code=303, headers=PRIVATE)


@router.post("/workspace/items/{item_id}/history/delete")
async def delete_item(request: Request, item_id: str) -> Response:
    """Delete for good (admins): the form's `reason` is required and `confirm` must repeat the
    item id; anything else shows the page again (422) with nothing deleted."""
    await check_csrf(request)
    who = signed_in(request)
    if who is None:
        return to_login()
    caller, session = who
    if caller.role != "admin":
        raise HTTPException(
            403, f"deleting for good needs the admin role; {caller.user} is {caller.role}"
        )
    form = await request.form()
    reason, confirm = form_text(form, "reason"), form_text(form, "confirm")
    etag = form_text(form, "etag")
    await form.close()
    lang = choose_language(request)
    errors = []
    if not reason:
        errors.append(message(lang, "history.problem.reason"))
    elif len(reason) > history.MAX_REASON:
        errors.append(message(lang, "history.problem.reason_long", limit=history.MAX_REASON))
    if confirm != item_id:
        errors.append(message(lang, "history.problem.confirm", id=item_id))
    if errors:
        return await run_in_threadpool(
            _history_page,
            request,
            item_id,
            caller,
            session.csrf,
            422,
            errors=errors,
            reason=reason,
        )
    try:
        await run_in_threadpool(
            history.delete_for_good,
            request.app.state.services,
            item_locks(request),
            item_id,
            write_context(request, caller),
            etag,
            reason,
        )
    except PreconditionFailed:
        return await run_in_threadpool(
            _history_page,
            request,
            item_id,
            caller,
            session.csrf,
            409,
            conflict=True,
            reason=reason,
        )
    return RedirectResponse(_url(item_id), status_code=303, headers=PRIVATE)
