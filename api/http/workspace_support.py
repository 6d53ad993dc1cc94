"""What the staff workspace's page modules share: who is signed in (and whether as a curator), the
way to the sign-in form, a private page, a refusal page in the person's language, reading a
form field as text, and the POST of a curator's decision form.

The workspace routes (`api/http/routes/workspace_*.py`) import these instead of each other's
private helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.http.i18n import choose_language, message, render
from api.http.sessions import PRIVATE, Session, check_csrf, read_session, session_caller
from api.operations.callers import Caller

LOGIN = "/workspace/login"


def signed_in(request: Request) -> tuple[Caller, Session] | None:
    """The signed-in person (a user, not a key) and their session; None without one."""
    caller = session_caller(request)
    session = read_session(request)
    if caller is None or caller.user is None or session is None:
        return None
    return caller, session


def curator(request: Request) -> tuple[Caller, str] | Response:
    """The signed-in curator (or admin) and the session's CSRF token; 303 to sign-in without a
    session, 403 for an archivist (as the API answers an archivist's key)."""
    who = signed_in(request)
    if who is None:
        return to_login()
    caller, session = who
    if caller.role not in ("curator", "admin"):
        raise HTTPException(403, f"this needs the curator role; {caller.user} is {caller.role}")
    return caller, session.csrf


async def curator_posting(request: Request) -> tuple[Caller, str] | Response:
    """`curator` for a form post: the session's CSRF token is checked first (403 when it is
    missing or wrong), so no decision is read from a forged form."""
    await check_csrf(request)
    return await run_in_threadpool(curator, request)


def to_login() -> Response:
    return RedirectResponse(LOGIN, status_code=303, headers=PRIVATE)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A workspace page: it depends on who is signed in, so nobody else may cache it."""
    response = render(request, name, context, status_code=status)
    response.headers.update(PRIVATE)
    return response


def refused(request: Request, key: str, **values: object) -> Response:
    """A 403 page whose message is the catalogue's `key` in the person's language."""
    lang = choose_language(request)
    context = {
        "status": 403,
        "reason": message(lang, "workspace.forbidden"),
        "message": message(lang, key, **values),
    }
    return page(request, "error.html", context, HTTPStatus.FORBIDDEN)


def form_text(form: FormData, name: str) -> str:
    """A form field as text; a file sent in its place counts as nothing."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


Decide = Callable[[Request, Caller, Mapping[str, str]], str]
"""(request, curator, the form's fields) → the address of the page to go back to."""


async def curator_decision(request: Request, fields: Sequence[str], decide: Decide) -> Response:
    """A curator's decision form (a comment moderated, a contribution accepted or declined, an
    authority linked): the session's CSRF token checked first, then the signed-in curator or
    admin (sign-in without a session, 403 below curator), the form's `fields` read as text,
    `decide` run in a thread (it reads and writes the store), then 303 to the address it gives
    (post, redirect, get: a reload sends nothing again)."""
    who = await curator_posting(request)
    if isinstance(who, Response):
        return who
    caller, _ = who
    form = await request.form()
    values = {name: form_text(form, name) for name in fields}
    await form.close()
    url = await run_in_threadpool(decide, request, caller, values)
    return RedirectResponse(url, status_code=303, headers=PRIVATE)
