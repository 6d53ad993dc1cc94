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

from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.deps import AudienceDep, ServicesDep
from api.http.i18n import choose_language, message, render
from api.http.routes.jobs import (
    INGEST_STATUSES,
    RunnerDep,
    accept_upload,
    apply_preview,
    readable_report,
    visible_job,
)
from api.http.sessions import (
    CSRF_HEADER,
    PRIVATE,
    check_csrf,
)
from api.http.uploads import csrf_first
from api.http.workspace_support import signed_in, to_login
from api.operations.collections import institution_collections
from api.operations.resumable import KEEP_DAYS
from ingest.authorities import read_unlinked
from ingest.manifest_template import manifest_template
from ingest.pipeline import ACCESS_LEVELS
from ingest.report import REPORT_COLUMNS, FieldChange, Outcome

router = APIRouter(tags=["workspace"], include_in_schema=False)

REFRESH_SECONDS = 3
CHANGE_VALUE = 200  # characters of one value in the changes table
CHUNK_BYTES = 8 * 1024 * 1024  # one PATCH of the page's resumable uploads (tus-js-client)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOMES: tuple[str, ...] = get_args(Outcome)
OutcomeFilter = Literal[
    "",
    "stored",
    "updated",
    "unchanged",
    "duplicate",
    "failed",
    "would-store",
    "would-update",
    "skipped",
    "error",
]
"""`?outcome=`: one of the report's outcomes, `error` for batch problems, empty for all."""


def _collections(request: Request, institution: str) -> list[str]:
    """Slugs of the collections the institution has (one without an owner is the operator's)."""
    services = request.app.state.services
    owned = institution_collections(services.records, institution, services.settings.institution)
    return [c["slug"] for c in owned]


@router.get("/workspace/upload")
def upload_form(request: Request) -> Response:
    who = signed_in(request)
    if who is None:
        return to_login()
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
    who = await run_in_threadpool(signed_in, request)
    if who is None:
        return to_login()
    caller, session = who
    checked = request.headers.get(CSRF_HEADER) is not None
    if checked:
        await check_csrf(request, session)
    job = await accept_upload(request, caller, services, runner, csrf_first(session, checked))
    return RedirectResponse(f"/workspace/jobs/{job.id}", status_code=303, headers=PRIVATE)


@router.get("/workspace/manifest-template.xlsx")
def template_download(request: Request) -> Response:
    if signed_in(request) is None:
        return to_login()
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
    who = signed_in(request)
    if who is None:
        return to_login()
    job = visible_job(job_id, who[0], runner)
    report = readable_report(job, runner, services, audience)
    items: list[dict[str, Any]] = report["items"] if report else []
    errors: list[str] = report["errors"] if report else []
    running = job.state in ("queued", "running")
    preview = job.dry_run and job.state == "done" and job.applied_by is None
    context = {
        "job": job,
        "csrf_token": who[1].csrf,
        "can_apply": preview and runner.preview_kept(job.id) is not None,
        "preview_gone": preview and runner.preview_kept(job.id) is None,
        "changes": {n: _shown(item) for n, item in enumerate(items) if item.get("changes")},
        "offers": _offers(items, job.dry_run, choose_language(request))
        if who[0].has_role("curator")
        else {},
        "running": running,
        "refresh": REFRESH_SECONDS,
        "report": report,
        "outcome": outcome,
        "outcomes": [o for o in OUTCOMES if any(i["outcome"] == o for i in items)],
        "items": [(n, i) for n, i in enumerate(items) if outcome in ("", i["outcome"])],
        "errors": errors if outcome in ("", "error") else [],
        "columns": REPORT_COLUMNS[:5],
        "report_lang": choose_language(request),
    }
    response = render(request, "workspace/upload_job.html", context)
    response.headers.update(PRIVATE)
    return response


def _offers(items: list[dict[str, Any]], dry_run: bool, lang: str) -> dict[int, list[Any]]:
    """Per report row, the names its manifest gave that no authority holds (or several do),
    each a link to the new-authority form filled in, naming the item to link when it was
    stored (not in a dry run)."""
    offers: dict[int, list[Any]] = {}
    for n, item in enumerate(items):
        for warning in item.get("warnings") or []:
            found = read_unlinked(warning)
            if found is None:
                continue
            kind, name = found
            query = {"kind": kind, "name": name}
            if item.get("id") and item["outcome"] != "failed" and not dry_run:
                query["item"] = item["id"]
            label = message(
                lang, "job.offer", kind=message(lang, f"authority.kind.{kind}"), name=name
            )
            url = "/workspace/authorities/new?" + urlencode(query)
            offers.setdefault(n, []).append({"url": url, "label": label})
    return offers


def _shown(item: dict[str, Any]) -> list[dict[str, str | None]]:
    """An item's field changes as the table shows them: each value on one line, None for an
    absent one."""
    rows: list[dict[str, str | None]] = []
    for stored in item["changes"]:
        change = FieldChange(**stored)
        old, new = change.shown(CHANGE_VALUE)
        rows.append(
            {
                "field": change.field,
                "old": None if change.old is None else old,
                "new": None if change.new is None else new,
                "action": change.action,
            }
        )
    return rows


@router.post("/workspace/jobs/{job_id}/apply")
async def apply(
    request: Request, job_id: str, services: ServicesDep, runner: RunnerDep
) -> Response:
    """ "Apply this import" on a dry run's page: its kept files and options, ingested for real by
    a new job (checked as a new upload would be); 303 to that job's page."""
    who = await run_in_threadpool(signed_in, request)
    if who is None:
        return to_login()
    caller, session = who
    await check_csrf(request, session)
    preview = await run_in_threadpool(visible_job, job_id, caller, runner)
    job = await run_in_threadpool(apply_preview, request, caller, services, runner, preview)
    return RedirectResponse(f"/workspace/jobs/{job.id}", status_code=303, headers=PRIVATE)
