"""Public contributions over HTTP: `GET|POST /contribute` (the "share your heritage" form),
`GET /contribute/status/{token}` (the contributor's private status page) and the curators'
`GET|POST /workspace/contributions` (accept or decline). The rules: `api.operations.contributions`.

The form is plain multipart (no resumable upload for anonymous visitors): its CSRF token is the
first field, as on the workspace upload form, and nothing is written before it; the body, each
file and the count of files are capped while it streams in. A solved challenge (proof of work, or
the no-script question) is required, then the per-address `RateLimit`; refusals re-show the form
in the visitor's language naming the field or the file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from tuspyserver import create_tus_router

from api.http.audit import audit_request, item_locks, write_context
from api.http.errors import error_response, not_found
from api.http.i18n import choose_language, message, render
from api.http.routes.feedback import DAY, client_key, too_many
from api.http.routes.jobs import get_runner
from api.http.routes.resumable import (
    EXTENSIONS,
    TUS_VERSION,
    declared_size,
    finished,
    guarded,
)
from api.http.sessions import (
    PRIVATE,
    SAFE_METHODS,
    Session,
    check_csrf,
    read_session,
    server_secret,
    set_session,
)
from api.http.state import shared
from api.http.uploads import FileTooLarge, FormShape, TooManyFiles, csrf_first, receive_upload
from api.http.workspace_support import curator, curator_decision, page
from api.labels import text_in
from api.operations.access import item_to_decide
from api.operations.callers import Caller
from api.operations.collections import collection_owner
from api.operations.contributions import (
    COLLECTION,
    MAX_CONTACT,
    MAX_DATE,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_PLACE,
    MAX_STORY,
    MAX_TITLE,
    ChallengeFailed,
    Challenges,
    Contribution,
    ContributionStore,
    accept,
    accepted,
    check_files,
    decline,
    describe,
    held_uploads,
    manifest_row,
    new_challenge,
    new_contribution,
    state_of,
    visitor_folder,
)
from api.operations.feedback import RateLimit, TooManyRequests
from api.operations.items import change_item
from api.operations.jobs import Job, Upload, new_job_id
from api.operations.resumable import KEEP_DAYS, discard, sweep
from api.settings import Settings
from repository import now_iso
from schemas.errors import Conflict, InvalidInput, NotFound

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = (
    "csrf_token",
    "name",
    "contact",
    "licence",
    "consent",
    "title",
    "place",
    "date",
    "category",
    "story",
    "keep_location",
    "challenge",
    "signature",
    "work",
    "answer",
    "website",  # a honeypot: people never see it, form-filling robots fill it
    "uploads",  # a finished resumable upload of this visitor (`/contribute/uploads/`), per file
)
TEXT_MAX = 4 * MAX_STORY + 64  # bytes: the story in UTF-8, 4 bytes a character at most
HOUR = 3600.0
NO_INDEX = {**PRIVATE, "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _limit(request: Request) -> RateLimit:
    def make(services: Any) -> RateLimit:
        s = services.settings
        return RateLimit([(s.contributions_per_hour, HOUR), (s.contributions_per_day, DAY)])

    return shared(request, "contribution_limit", make)


def _challenges(request: Request) -> Challenges:
    return shared(
        request,
        "contribution_challenges",
        lambda services: Challenges(services.settings.contribution_challenge_seconds),
    )


def _categories(lang: str) -> list[tuple[str, str]]:
    from schemas.loader import categories

    return [(c.code, c.zh if lang == "zh" else c.en) for c in categories()]


def _form(
    request: Request,
    session: Session,
    values: dict[str, str] | None = None,
    problems: list[str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The form (again, with the visitor's text and what is wrong), with a fresh challenge."""
    settings = request.app.state.services.settings
    bits = settings.contribution_challenge_bits
    challenge, signature, (a, b) = new_challenge(server_secret(request), bits)
    context = {
        "csrf_token": session.csrf,
        "categories": _categories(choose_language(request)),
        "challenge": challenge,
        "signature": signature,
        "bits": bits,
        "question": (a, b),
        "values": values or {},
        "problems": problems or [],
        "error": error,
        "file_mib": max(1, settings.contribution_file_max_bytes // 2**20),
        "total_mib": max(1, settings.contribution_max_bytes // 2**20),
        "max_files": settings.contribution_max_files,
        "limits": {
            "name": MAX_NAME,
            "contact": MAX_CONTACT,
            "title": MAX_TITLE,
            "place": MAX_PLACE,
            "date": MAX_DATE,
            "story": MAX_STORY,
        },
    }
    response = render(request, "contribute.html", context, status_code=status)
    response.headers.update(PRIVATE)  # it carries the session's token: nobody else may cache it
    return response


@router.get("/contribute")
def contribute_form(request: Request) -> Response:
    session = read_session(request)
    fresh = None
    if session is None and request.headers.get("sec-fetch-site") != "cross-site":
        fresh = Session.new()
    response = _form(request, session or fresh or Session.new())
    if fresh is not None:
        set_session(request, response, fresh)
    return response


@router.post("/contribute")
async def contribute(request: Request) -> Response:
    services = request.app.state.services
    settings = services.settings
    session = read_session(request)
    lang = choose_language(request)
    if session is None:  # no new session here: a cross-site post must not sign anyone out
        return error_response(request, 403, message(lang, "contribute.problem.csrf"), PRIVATE)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.contribution_max_bytes:
        mib = settings.contribution_max_bytes // 2**20
        text = message(lang, "contribute.problem.too_large", mib=mib)
        return _form(request, session, error=text, status=413)
    runner = get_runner(request)
    scratch = visitor_folder(settings.resumable_dir, session.sid)
    job_id = new_job_id()
    root = runner.uploads / job_id
    shape = FormShape(
        text_fields=TEXT_FIELDS,
        text_max=TEXT_MAX,
        file_max=settings.contribution_file_max_bytes,
        files_max=settings.contribution_max_files,
    )
    upload = Upload(root)
    try:
        try:
            upload = await receive_upload(
                request, root, settings.contribution_max_bytes, csrf_first(session), scratch, shape
            )
        except FileTooLarge as exc:
            mib = max(1, exc.limit // 2**20)
            text = message(lang, "contribute.problem.file_large", name=exc.name, mib=mib)
            return _form(request, session, error=text, status=413)
        except TooManyFiles as exc:
            text = message(lang, "contribute.problem.files_many", n=exc.limit)
            return _form(request, session, error=text, status=422)
        except HTTPException as exc:
            if exc.status_code == 403:  # the CSRF token: nothing else was read
                text = message(lang, "contribute.problem.csrf")
            elif exc.status_code == 413:
                mib = settings.contribution_max_bytes // 2**20
                text = message(lang, "contribute.problem.too_large", mib=mib)
            else:  # a malformed form or a file name no file system takes
                text = message(lang, "contribute.problem.form", detail=exc.detail)
            return _form(request, session, error=text, status=exc.status_code)
        answer = await _received(request, session, runner, job_id, upload)
        if getattr(request.state, "contribution_queued", False):
            for upload_id in upload.resumed:  # the job's folder holds their files now
                await run_in_threadpool(discard, scratch, upload_id)
        return answer
    finally:
        if not getattr(request.state, "contribution_queued", False):
            upload.remove()


async def _received(
    request: Request, session: Session, runner: Any, job_id: str, upload: Upload
) -> Response:
    services = request.app.state.services
    settings = services.settings
    lang = choose_language(request)
    fields = upload.fields
    values = {k: v for k, v in fields.items() if k not in ("csrf_token", "work", "signature")}
    try:
        if fields.get("website"):
            raise ChallengeFailed("the form was filled in by a robot")
        _challenges(request).check(
            server_secret(request),
            fields.get("challenge", ""),
            fields.get("signature", ""),
            fields.get("work", ""),
            fields.get("answer", ""),
            settings.contribution_challenge_bits,
        )
    except (ChallengeFailed, ValueError):
        text = message(lang, "contribute.problem.challenge")
        return _form(request, session, values, error=text, status=403)
    if len(upload.names) > settings.contribution_max_files:  # resumable ones count too
        text = message(lang, "contribute.problem.files_many", n=settings.contribution_max_files)
        return _form(request, session, values, error=text, status=422)
    codes = {code for code, _ in _categories(lang)}
    described = describe(fields, codes)
    if not upload.names:
        described.problems.append("files")
    if described.problems:
        text = message(lang, "contribute.problems")
        return _form(request, session, values, described.problems, text, 422)
    try:
        await run_in_threadpool(check_files, upload.files_dir, upload.names)
    except InvalidInput as exc:
        name = str(exc).split(": ", 1)[0]
        text = message(lang, "contribute.problem.type", name=name)
        return _form(request, session, values, ["files"], text, 415)
    try:
        _limit(request).take(f"contribution:{client_key(request)}")
    except TooManyRequests as exc:
        return too_many(request, exc)
    token, contribution = new_contribution(described, job_id, upload.names)
    await run_in_threadpool(_queue, request, runner, upload, contribution, described)
    request.state.contribution_queued = True
    url = f"/contribute/status/{token}?" + urlencode({"new": "1"})
    return RedirectResponse(url, status_code=303, headers=NO_INDEX)


def _queue(
    request: Request, runner: Any, upload: Upload, contribution: Contribution, described: Any
) -> None:
    """The same ingest as a workspace upload: a job over the files and a one-row manifest."""
    services = request.app.state.services
    institution = services.settings.institution
    owner = collection_owner(services.records, COLLECTION, institution)
    if owner is None:
        collection = {
            "slug": COLLECTION,
            "title": {"zh": "公众投稿", "en": "Public contributions"},  # as the zh pages say
            "institution": institution,
        }
        with contextlib.suppress(Conflict):  # another request made it first
            services.records.save_collection(collection, create=True)
    manifest = upload.root / "manifest" / "contribution.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    row = manifest_row(contribution, described)
    manifest.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
    upload.manifest = manifest
    caller = Caller("public-contribution", owner or institution, "archivist")
    job = Job(
        id=contribution.job,
        collection=COLLECTION,
        institution=owner or institution,
        agent=caller.agent,
        submitted=now_iso(),
        files=upload.names,
        manifest=manifest.name,
        status="draft",
        access="public",
    )
    ContributionStore(services).add(contribution)
    summary = f"contribution {contribution.id}: ingest job {job.id}, {len(job.files)} file(s)"
    audit_request(request, caller, None, summary)
    runner.submit(job, upload)


@router.get("/contribute/status/{token}")
def status_page(request: Request, token: str) -> Response:
    services = request.app.state.services
    contribution = ContributionStore(services).by_token(token)
    if contribution is None:
        raise not_found("no contribution has this link")
    job = get_runner(request).jobs.get(contribution.job)
    state = state_of(services, contribution, job.state if job else None)
    context = {
        "state": state,
        "received": contribution.received[:10],
        "item_url": f"/items/{contribution.item_id}" if state == "published" else None,
        "message_text": contribution.message if state in ("declined", "published") else "",
        "link": f"{str(request.base_url).rstrip('/')}/contribute/status/{token}",
        "new": request.query_params.get("new") == "1",
    }
    response = render(request, "contribute_status.html", context)
    response.headers.update(NO_INDEX)
    return response


# --- the curators' side --------------------------------------------------------------------------

OUTCOMES = ("accepted", "declined", "missing", "message", "done_already")


@router.get("/workspace/contributions")
def contributions_page(request: Request) -> Response:
    who = curator(request)
    if isinstance(who, Response):
        return who
    caller, csrf = who
    services = request.app.state.services
    lang = choose_language(request)
    rows = []
    for c in sorted(ContributionStore(services).all(), key=lambda c: c.received, reverse=True):
        record = services.records.get(c.item_id)
        if record is None and c.decision is None:
            state = "received"
        elif c.decision == "declined":
            state = "declined"
        else:
            state = "published" if record and record["status"] == "published" else "review"
        if record is not None and caller.role != "admin":
            if record.get("institution") != caller.institution:
                continue
        elif record is None and caller.role != "admin":
            owner = collection_owner(services.records, COLLECTION, services.settings.institution)
            if owner not in (None, caller.institution):
                continue
        rows.append(
            {
                "c": c,
                "state": state,
                "title": text_in(record["title"], lang) if record else "",
                "flags": [
                    t["value"]
                    for t in (record or {}).get("tags", [])
                    if t["value"].startswith("needs-review:")
                ],
            }
        )
    outcome = request.query_params.get("done")
    context = {
        "csrf_token": csrf,
        "rows": rows,
        "outcome": outcome if outcome in OUTCOMES else None,
        "max_message": MAX_MESSAGE,
    }
    return page(request, "workspace/contributions.html", context)


@router.post("/workspace/contributions")
async def contributions_decide(request: Request) -> Response:
    fields = ("contribution", "action", "message")
    return await curator_decision(request, fields, _decision)


def _decision(request: Request, caller: Caller, form: Mapping[str, str]) -> str:
    return "/workspace/contributions?" + urlencode({"done": _decide(request, caller, form)})


def _decide(request: Request, caller: Caller, form: Mapping[str, str]) -> str:
    wanted, action, text = form["contribution"], form["action"], form["message"]
    services = request.app.state.services
    store = ContributionStore(services)
    found = next((c for c in store.all() if c.id == wanted), None)
    if found is None or action not in ("accept", "decline"):
        return "missing"
    if found.decision is not None:
        return "done_already"
    if len(text) > MAX_MESSAGE or (action == "decline" and not text):
        return "message"
    record = item_to_decide(services.records, caller, found.item_id)
    if record is None:  # not ingested (yet), or another institution's: nothing to decide on
        return "missing"
    if record["status"] == "published":  # published through the review queue already
        return "done_already"
    try:
        if action == "accept":
            reason = text or "contribution accepted"
            change_item(
                services,
                item_locks(request),
                found.item_id,
                write_context(request, caller),
                None,
                lambda changed: accept(changed, found, reason, caller),
                require_match=False,
            )
            accepted(store, found, caller.agent, text)
            return "accepted"
        decline(store, found, text, caller.agent)
        audit_request(request, caller, found.item_id, f"contribution {found.id} declined")
        return "declined"
    except (NotFound, Conflict, InvalidInput):
        return "missing"


# --- resumable uploads of visitors ---------------------------------------------------------------

UPLOADS = "/contribute/uploads"


async def visitor_uploads(request: Request) -> AsyncIterator[Path]:
    """The visitor's scratch folder (by their session; `X-CSRF-Token` on every write), guarded
    as the staff's uploads are (`api.http.routes.resumable.guarded`)."""
    session = read_session(request)
    if session is None:
        raise HTTPException(403, "open the contribution form first: its session is missing")
    if request.method not in SAFE_METHODS:
        await check_csrf(request, session)
    root = request.app.state.services.settings.resumable_dir
    async with guarded(request, visitor_folder(root, session.sid)) as folder:
        yield folder


VisitorFolder = Annotated[Path, Depends(visitor_uploads)]


def _visitor_files(folder: VisitorFolder) -> Callable[[dict[str, Any]], dict[str, str]]:
    return lambda _metadata: {"files_dir": str(folder)}


async def _visitor_guard(folder: VisitorFolder) -> None:
    """tuspyserver's `auth`: the visitor's session and token (FastAPI runs it once)."""


def _upload_limit(request: Request) -> RateLimit:
    def make(services: Any) -> RateLimit:
        s = services.settings
        per_hour = s.contributions_per_hour * s.contribution_max_files
        return RateLimit(
            [(per_hour, HOUR), (s.contributions_per_day * s.contribution_max_files, DAY)]
        )

    return shared(request, "contribution_upload_limit", make)


def _visitor_creation(
    request: Request, folder: VisitorFolder
) -> Callable[[dict[str, Any], dict[str, Any]], Coroutine[Any, Any, None]]:
    """A visitor's new upload: within the contribution caps and the address's share."""
    settings = request.app.state.services.settings

    async def check(metadata: dict[str, Any], info: dict[str, Any]) -> None:
        size = declared_size(metadata, info)
        if size > settings.contribution_file_max_bytes:
            limit = settings.contribution_file_max_bytes
            raise HTTPException(413, f"a file of a contribution is at most {limit} bytes")
        count, total = await run_in_threadpool(held_uploads, folder)
        if count >= settings.contribution_max_files:
            raise HTTPException(
                422, f"at most {settings.contribution_max_files} uploads per contribution"
            )
        if total + size > settings.contribution_max_bytes:
            limit = settings.contribution_max_bytes
            raise HTTPException(413, f"a contribution's files are at most {limit} bytes together")
        try:
            _upload_limit(request).take(f"contribution-upload:{client_key(request)}")
        except TooManyRequests as exc:
            raise HTTPException(429, str(exc), {"Retry-After": str(exc.retry_after)}) from None
        await run_in_threadpool(sweep, settings.resumable_dir)

    return check


def tus_router(settings: Settings) -> APIRouter:
    """`/contribute/uploads/`: tus for visitors, with the contribution caps."""
    router = APIRouter(include_in_schema=False)
    capabilities = {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(settings.contribution_file_max_bytes),
    }

    def options() -> Response:
        return Response(status_code=204, headers=capabilities)

    for path in (UPLOADS, f"{UPLOADS}/"):  # before the library's, so ours answers
        router.add_api_route(path, options, methods=["OPTIONS"], status_code=204)
    router.include_router(
        create_tus_router(
            prefix=UPLOADS,
            files_dir=str(settings.resumable_dir),
            max_size=settings.contribution_file_max_bytes,
            auth=cast(Any, _visitor_guard),
            days_to_keep=KEEP_DAYS,
            on_upload_complete=finished,
            pre_create_dep=cast(Any, _visitor_creation),
            file_dep=cast(Any, _visitor_files),
            tags=["contribute"],
        )
    )
    return router
