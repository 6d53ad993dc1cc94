"""Uploading in the staff workspace: `GET /workspace/upload` (the form), `POST /workspace/upload`
(the same upload as `POST /api/ingest`, answered with 303 to the job's page),
`GET /workspace/jobs/{id}` (state, counts and, once done, the report table) and
`GET /workspace/manifest-template.xlsx`.

With scripts, the page sends each file as a resumable upload first (`/api/uploads/`, tus) and
then this form with their ids in `uploads`. The form is plain multipart, so it works without
JavaScript: its CSRF token is the first form
field and must arrive before `collection` (scripts may send `X-CSRF-Token` instead); nothing is
queued without it. Permissions are the API's: archivists and above; a job page for its submitter,
its institution's curators and admins, 404 for anyone else. No session: 303 to the sign-in form.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.deps import AudienceDep, ServicesDep
from api.http.i18n import choose_language, render
from api.http.routes.jobs import (
    INGEST_STATUSES,
    RunnerDep,
    accept_upload,
    readable_report,
    visible_job,
)
from api.http.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    PRIVATE,
    Session,
    check_csrf,
    read_session,
    session_caller,
)
from api.operations.callers import Caller
from api.operations.resumable import KEEP_DAYS
from ingest.manifest_template import manifest_template
from ingest.pipeline import ACCESS_LEVELS
from ingest.report import REPORT_COLUMNS, Outcome

router = APIRouter(tags=["workspace"], include_in_schema=False)

REFRESH_SECONDS = 3
CHUNK_BYTES = 8 * 1024 * 1024  # one PATCH of the page's resumable uploads (tus-js-client)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOMES: tuple[str, ...] = get_args(Outcome)
OutcomeFilter = Literal[
    "", "stored", "updated", "unchanged", "duplicate", "failed", "skipped", "error"
]
"""`?outcome=`: one of the report's outcomes, `error` for batch problems, empty for all."""


def _signed_in(request: Request) -> tuple[Caller, Session] | None:
    caller = session_caller(request)
    session = read_session(request)
    if caller is None or caller.user is None or session is None:
        return None
    return caller, session


def _to_login() -> Response:
    return RedirectResponse("/workspace/login", status_code=303, headers=PRIVATE)



def _collections(request: Request, institution: str) -> list[str]:
    """Slugs of the collections the institution has (one without an owner is the operator's)."""
    services = request.app.state.services
    operator = services.settings.institution
    return sorted(
        c["slug"]
        for c in services.records.collections()
        if (c.get("institution") or operator) == institution and "slug" in c
    )


@router.get("/workspace/upload")
def upload_form(request: Request) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    caller, session = who
    context = {
        "csrf_token": session.csrf,
        "collections": _collections(request, caller.institution),
        "statuses": [s for s in INGEST_STATUSES if s != "published" or caller.has_role("curator")],
        "access_levels": ACCESS_LEVELS,
        "chunk_bytes": CHUNK_BYTES,
        "keep_days": KEEP_DAYS,
    }
    response = render(request, "workspace/upload.html", context)
    response.headers.update(PRIVATE)
    return response


@router.post("/workspace/upload")
async def upload(request: Request, services: ServicesDep, runner: RunnerDep) -> Response:
    who = await run_in_threadpool(_signed_in, request)
    if who is None:
        return _to_login()
    caller, session = who
    checked = request.headers.get(CSRF_HEADER) is not None
    if checked:
        await check_csrf(request, session)

    def check(name: str, value: str) -> None:
        nonlocal checked
        if name == CSRF_FIELD and not checked:
            if not hmac.compare_digest(value.encode(), session.csrf.encode()):
                raise HTTPException(
                    403,
                    f"the CSRF token ('{CSRF_FIELD}') does not match this session: reload "
                    "the page and try again",
                )
            checked = True
        elif name in ("collection", "uploads") and not checked:
            raise HTTPException(
                403,
                f"the CSRF token is missing: send the form field '{CSRF_FIELD}' before "
                f"'collection', or the header '{CSRF_HEADER}' (reload the page and try again)",
            )

    job = await accept_upload(request, caller, services, runner, check)
    return RedirectResponse(f"/workspace/jobs/{job.id}", status_code=303, headers=PRIVATE)


@router.get("/workspace/manifest-template.xlsx")
def template_download(request: Request) -> Response:
    if _signed_in(request) is None:
        return _to_login()
    headers = {**PRIVATE, "Content-Disposition": 'attachment; filename="manifest-template.xlsx"'}
    return Response(manifest_template(), media_type=XLSX, headers=headers)


@router.get("/workspace/jobs/{job_id}")
def job_page(
    request: Request,
    job_id: str,
    runner: RunnerDep,
    services: ServicesDep,
    audience: AudienceDep,
    outcome: Annotated[OutcomeFilter, Query()] = "",
) -> Response:
    who = _signed_in(request)
    if who is None:
        return _to_login()
    job = visible_job(job_id, who[0], runner)
    report = readable_report(job, runner, services, audience)
    items: list[dict[str, Any]] = report["items"] if report else []
    errors: list[str] = report["errors"] if report else []
    running = job.state in ("queued", "running")
    context = {
        "job": job,
        "running": running,
        "refresh": REFRESH_SECONDS,
        "report": report,
        "outcome": outcome,
        "outcomes": [o for o in OUTCOMES if any(i["outcome"] == o for i in items)],
        "items": [i for i in items if outcome in ("", i["outcome"])],
        "errors": errors if outcome in ("", "error") else [],
        "columns": REPORT_COLUMNS[:5],
        "report_lang": choose_language(request),
    }
    response = render(request, "workspace/upload_job.html", context)
    response.headers.update(PRIVATE)
    return response
