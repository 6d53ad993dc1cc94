"""Visitors' feedback over HTTP: `POST /items/{id}/comments` (a comment or correction, pending
until moderated), `POST /items/{id}/rating` (1–5 stars, one per session) and the moderation page
`GET|POST /workspace/comments`. The rules: `api.operations.feedback`.

The public forms sit on the item page, in the visitor's session (anonymous unless signed in), and
carry its CSRF token; they answer with a 303 back to the item page (PRG) that thanks without
repeating what was sent. Floods from one address get 429 with `Retry-After`, in the visitor's
language. Every text is shown as text (the templates escape it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import write_context
from api.http.errors import error_response
from api.http.i18n import choose_language, message
from api.http.sessions import (
    PRIVATE,
    Session,
    check_csrf,
    read_session,
    server_secret,
)
from api.http.state import shared
from api.http.workspace_support import curator, curator_decision, form_text, page
from api.labels import text_in
from api.operations.access import is_visible
from api.operations.callers import Caller
from api.operations.feedback import (
    ACTIONS,
    RateLimit,
    TooManyRequests,
    moderate,
    moderation_queue,
    post_comment,
    public_comments,
    rate,
)
from repository.comments import KINDS, MAX_CONTACT, MAX_NAME, MAX_TEXT, RatingStore, client_hash
from schemas.errors import InvalidInput, NotFound
from schemas.text import XML_UNSAFE
from search.base import Audience

router = APIRouter(include_in_schema=False)

DAY = 86_400.0
PROBLEMS = ("kind", "text", "text_long", "name_long", "contact_long", "characters", "stars")
MODERATION_STATUSES = ("pending", "approved", "rejected")
OUTCOMES = ("approve", "reject", "reply", "missing", "reply_empty", "reply_long")


def _comment_limit(request: Request) -> RateLimit:
    def make(services: Any) -> RateLimit:
        s = services.settings
        return RateLimit(
            [(s.comments_per_burst, s.comment_burst_seconds), (s.comments_per_day, DAY)]
        )

    return shared(request, "comment_limit", make)


def _rating_limit(request: Request) -> RateLimit:
    return shared(
        request,
        "rating_limit",
        lambda services: RateLimit([(services.settings.ratings_per_day, DAY)]),
    )


def client_key(request: Request) -> str:
    """The address hash: the rate limit's key and what a comment keeps of its sender."""
    address = request.client.host if request.client else "unknown"
    return client_hash(server_secret(request), f"address:{address}")


def _back(item_id: str, fragment: str, **query: str) -> Response:
    url = f"/items/{item_id}?{urlencode(query)}#{fragment}"
    return RedirectResponse(url, status_code=303, headers=PRIVATE)


def too_many(request: Request, exc: TooManyRequests) -> Response:
    lang = choose_language(request)
    minutes = max(1, -(-exc.retry_after // 60))
    text = message(lang, "feedback.too_many", minutes=minutes)
    headers = {"Retry-After": str(exc.retry_after), **PRIVATE}
    return error_response(request, 429, text, headers=headers)


def comment_problem(kind: str, text: str, name: str, contact: str) -> str | None:
    """What is wrong with a comment form, as a message key's last part (the field it names)."""
    if kind not in KINDS:
        return "kind"
    if not text.strip():
        return "text"
    if len(text.strip()) > MAX_TEXT:
        return "text_long"
    if len(" ".join(name.split())) > MAX_NAME:
        return "name_long"
    if len(contact.strip()) > MAX_CONTACT:
        return "contact_long"
    if any(XML_UNSAFE.search(value) for value in (text, name, contact)):
        return "characters"
    return None


@router.post("/items/{item_id}/comments")
async def send_comment(request: Request, item_id: str) -> Response:
    await check_csrf(request)
    form = await request.form()
    kind, text = form_text(form, "kind"), form_text(form, "text")
    name, contact = form_text(form, "name"), form_text(form, "contact")
    await form.close()
    problem = comment_problem(kind, text, name, contact)
    if problem:  # nothing is echoed back: the visitor's text stays in their form (history back)
        services = request.app.state.services
        record = await run_in_threadpool(services.records.get, item_id)
        if record is None or not is_visible(record, Audience.public()):
            raise NotFound(f"no item with id {item_id!r}")
        return _back(item_id, "feedback", feedback=problem)
    try:
        await run_in_threadpool(
            post_comment,
            request.app.state.services,
            _comment_limit(request),
            item_id,
            kind=kind,
            text=text,
            name=name,
            contact=contact,
            client=client_key(request),
        )
    except TooManyRequests as exc:
        return too_many(request, exc)
    except InvalidInput:
        return _back(item_id, "feedback", feedback="characters")
    return _back(item_id, "feedback", feedback="thanks")


@router.post("/items/{item_id}/rating")
async def send_rating(request: Request, item_id: str) -> Response:
    session = read_session(request)
    await check_csrf(request, session)
    assert session is not None  # check_csrf refuses a request without one
    form = await request.form()
    stars = form_text(form, "stars")
    await form.close()
    if stars not in ("1", "2", "3", "4", "5"):
        return _back(item_id, "rating", feedback="stars")
    rater = client_hash(server_secret(request), f"session:{session.sid}")
    try:
        await run_in_threadpool(
            rate,
            request.app.state.services,
            _rating_limit(request),
            item_id,
            int(stars),
            rater,
            client_key(request),
        )
    except TooManyRequests as exc:
        return too_many(request, exc)
    return _back(item_id, "rating", rated=stars)


def item_feedback(request: Request, record: Any) -> tuple[dict[str, Any], Session | None]:
    """What the item page shows of feedback, and a new anonymous session to set when the page
    carries forms and the visitor has none.

    A cross-site arrival (`Sec-Fetch-Site: cross-site`) gets no new session: the browser did not
    send its (SameSite=Strict) cookie, so a signed-in person would be signed out by a fresh one.
    That page links to itself instead; following the link is same-site and brings the cookie."""
    services = request.app.state.services
    item_id = record["id"]
    query = request.query_params
    feedback = query.get("feedback")
    open_ = is_visible(record, Audience.public())
    session = read_session(request)
    fresh = None
    if open_ and session is None and request.headers.get("sec-fetch-site") != "cross-site":
        fresh = Session.new()
    count, average = RatingStore(services.store).summary(item_id)
    carried = session or fresh
    context = {
        "open": open_,
        "csrf_token": carried.csrf if carried is not None else None,
        "comments": public_comments(services, item_id),
        "notice": feedback if feedback in ("thanks", *PROBLEMS) else None,
        "rated": query.get("rated") if query.get("rated") in ("1", "2", "3", "4", "5") else None,
        "rating_count": count,
        "rating_average": f"{average:.1f}" if average is not None else None,
        "kinds": KINDS,
        "max_text": MAX_TEXT,
        "max_name": MAX_NAME,
        "max_contact": MAX_CONTACT,
    }
    return context, fresh


# --- moderation in the workspace -----------------------------------------------------------------


@router.get("/workspace/comments")
def moderation_page(request: Request, status: str = "pending") -> Response:
    who = curator(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    status = status if status in MODERATION_STATUSES else "pending"
    lang = choose_language(request)
    rows = [
        {
            "comment": p.comment,
            "title": text_in(p.record.get("title"), lang) or p.record["id"],
            "item_id": p.record["id"],
        }
        for p in moderation_queue(request.app.state.services, caller, status)
    ]
    outcome = request.query_params.get("done")
    context = {
        "csrf_token": csrf,
        "status": status,
        "statuses": MODERATION_STATUSES,
        "rows": rows,
        "outcome": outcome if outcome in OUTCOMES else None,
        "max_text": MAX_TEXT,
    }
    return page(request, "workspace/comments.html", context)


@router.post("/workspace/comments")
async def moderation_decide(request: Request) -> Response:
    fields = ("item", "comment", "action", "reply", "status")
    return await curator_decision(request, fields, _moderate)


def _moderate(request: Request, caller: Caller, form: Mapping[str, str]) -> str:
    action, reply = form["action"], form["reply"]
    if action not in ACTIONS:
        outcome = "missing"
    elif action == "reply" and not reply.strip():
        outcome = "reply_empty"
    elif len(reply.strip()) > MAX_TEXT:
        outcome = "reply_long"
    else:
        outcome = action
        services, context = request.app.state.services, write_context(request, caller)
        try:
            moderate(services, context, form["item"], form["comment"], action, reply)
        except (NotFound, InvalidInput):  # not this curator's, or no such comment
            outcome = "missing"
    back = form["status"] if form["status"] in MODERATION_STATUSES else "pending"
    return "/workspace/comments?" + urlencode({"status": back, "done": outcome})
