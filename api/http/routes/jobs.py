"""`POST /api/ingest`: an archivist uploads files for an ingest job; `GET /api/jobs/{id}`: how
it went, with the same report the CLI writes.

Who may submit: a key with the archivist role or above, into a collection of its own
institution (a new collection becomes its institution's; admins may fill any). Publishing needs
the curator role here as everywhere: an archivist's upload may not set `status=published`, in
the form or in a manifest row, and a manifest row may not give the items to another institution.
Those checks, and a manifest that cannot be read at all, answer at once (403/422); everything
else (a bad file, a bad row) is a failed item in the job's report, as on the command line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.audit import audit_request
from api.http.auth import ArchivistDep, OptionalCaller
from api.http.deps import AudienceDep, ServicesDep
from api.http.errors import not_found
from api.http.headers import content_disposition
from api.http.uploads import FieldCheck, receive_upload
from api.operations.callers import Caller
from api.operations.collections import collection_owner
from api.operations.jobs import (
    KEEP_PREVIEW,
    Job,
    JobRunner,
    Upload,
    may_read_job,
    new_job_id,
    report_for,
)
from api.services import Services
from ingest.errors import IngestError
from ingest.manifest import load_manifest
from ingest.pipeline import ACCESS_LEVELS
from ingest.report import IngestReport, report_csv, report_xlsx
from repository import now_iso
from repository.keys import is_valid_slug
from search.base import Audience

INGEST_STATUSES = ("draft", "review", "published")
DRY_RUN_VALUES = ("", "0", "1", "on")  # `on`: what an HTML checkbox without a value sends

_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["collection", "files"],
                    "properties": {
                        "collection": {"type": "string", "description": "Collection slug"},
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Images, media, documents, ZIP/TAR archives or bags; "
                            "a name may hold folders (歌曲/01.wav), never '..'",
                        },
                        "manifest": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8 or GBK) or JSON, as for the CLI",
                        },
                        "status": {"type": "string", "enum": list(INGEST_STATUSES)},
                        "access": {"type": "string", "enum": list(ACCESS_LEVELS)},
                        "dry_run": {
                            "type": "string",
                            "enum": list(DRY_RUN_VALUES),
                            "description": "1: a preview that stores nothing and reports what "
                            "would change (apply it with POST /api/jobs/{id}/apply)",
                        },
                    },
                }
            }
        },
    }
}


def _runner_for(services: Services) -> JobRunner:
    """Jobs run in this process (HERITAGE_QUEUE=local) or on `heritage worker`s (celery)."""
    if services.settings.queue == "celery":
        from api.operations.queue import QueuedRunner  # Celery is loaded only when used

        return QueuedRunner(services)
    return JobRunner(services)


@asynccontextmanager
async def job_runner_lifespan(app: FastAPI) -> AsyncIterator[None]:
    runner = _runner_for(app.state.services)
    await run_in_threadpool(runner.start)
    app.state.job_runner = runner
    try:
        yield
    finally:
        await run_in_threadpool(runner.stop)


router = APIRouter(tags=["ingest"], lifespan=job_runner_lifespan)


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.job_runner
    return runner


RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def acting_institution(services: Services, caller: Caller, slug: str) -> str:
    """Whose collection the upload fills: 422 for a bad slug, 403 for another's collection."""
    if not is_valid_slug(slug):
        raise HTTPException(
            422,
            f"form field 'collection': {slug!r} is not a valid slug: use lower-case letters, "
            "digits and '-' (e.g. ordos-folk-songs)",
        )
    owner = collection_owner(services.records, slug, services.settings.institution)
    if owner is None:
        return caller.institution
    if owner != caller.institution and caller.role != "admin":
        raise HTTPException(
            403,
            f"collection {slug!r} belongs to institution {owner!r}; "
            f"your key acts for {caller.institution!r}",
        )
    return owner


def _choice(upload: Upload, name: str, allowed: tuple[str, ...]) -> str | None:
    value = upload.fields.get(name) or None
    if value is not None and value not in allowed:
        raise HTTPException(422, f"form field {name!r}: {value!r} is not one of {allowed}")
    return value


def _may_publish(caller: Caller, where: str) -> None:
    if not caller.has_role("curator"):
        raise HTTPException(
            403,
            f"{where}: status 'published' needs the curator role; your key is {caller.role} "
            "(send draft or review, a curator publishes after review)",
        )


def _check_manifest(path: Path, caller: Caller, institution: str) -> None:
    """Unreadable: 422. Rows an archivist may not submit (see the module docstring): 403."""
    try:
        manifest = load_manifest(path)
    except IngestError as exc:
        raise HTTPException(422, str(exc)) from None
    if caller.role == "admin":
        return
    for row in manifest.rows:
        named = row.values.get("institution")
        if named not in (None, institution):
            raise HTTPException(
                403,
                f"{row.where}: institution {named!r} is not the collection's ({institution!r})",
            )
        if row.values.get("status") == "published":
            _may_publish(caller, row.where)


def _job_for(job_id: str, upload: Upload, caller: Caller, services: Services) -> Job:
    collection = upload.fields.get("collection")
    if not collection:
        raise HTTPException(422, "form field 'collection' (a collection slug) is required")
    if not upload.names:
        raise HTTPException(422, "send at least one file in the form field 'files'")
    status = _choice(upload, "status", INGEST_STATUSES)
    access = _choice(upload, "access", ACCESS_LEVELS)
    dry_run = _choice(upload, "dry_run", DRY_RUN_VALUES) in ("1", "on")
    institution = acting_institution(services, caller, collection)
    if status == "published":
        _may_publish(caller, "form field 'status'")
    if upload.manifest is not None:
        _check_manifest(upload.manifest, caller, institution)
    return Job(
        id=job_id,
        collection=collection,
        institution=institution,
        agent=caller.agent,
        submitted=now_iso(),
        files=upload.names,
        manifest=upload.manifest.name if upload.manifest else None,
        status=status,
        access=access,
        dry_run=dry_run,
    )


@router.post(
    "/api/ingest",
    status_code=202,
    summary="Upload files into a collection; they are ingested by a background job",
    openapi_extra=_FORM,
    responses={
        202: {"description": "Accepted: `{job, url}`, and `Location` names the job"},
        403: {"description": "Another institution's collection, or publishing without curator"},
        413: {"description": "Larger than HERITAGE_UPLOAD_MAX_BYTES"},
        422: {"description": "A missing or bad field, file name or manifest"},
    },
)
async def submit_ingest(
    request: Request, caller: ArchivistDep, services: ServicesDep, runner: RunnerDep
) -> JSONResponse:
    job = await accept_upload(request, caller, services, runner)
    url = f"/api/jobs/{job.id}"
    return JSONResponse({"job": job.id, "url": url}, status_code=202, headers={"Location": url})


async def accept_upload(
    request: Request,
    caller: Caller,
    services: Services,
    runner: JobRunner,
    check: FieldCheck | None = None,
) -> Job:
    """Receive the upload, check it and queue its job; `check` sees each text field first (the
    workspace form checks its CSRF token there). Refused, failed or cancelled: nothing stays."""
    job_id = new_job_id()
    root = runner.uploads / job_id

    def check_field(name: str, value: str | None) -> None:  # refuse before the files
        if check is not None:
            check(name, value)
        if name == "collection" and value is not None:
            acting_institution(services, caller, value)

    try:
        limit = services.settings.upload_max_bytes
        upload = await receive_upload(request, root, limit, check_field)
        job = await run_in_threadpool(_job_for, job_id, upload, caller, services)
        await run_in_threadpool(_submit, request, caller, runner, job, upload)
    except BaseException:
        Upload(root).remove()
        raise
    return job


def _submit(request: Request, caller: Caller, runner: JobRunner, job: Job, upload: Upload) -> None:
    summary = f"ingest job {job.id} into {job.collection}: {len(job.files)} file(s)" + (
        f", manifest {job.manifest}" if job.manifest else ""
    )
    summary += " (dry run)" if job.dry_run else ""
    summary += f", applying dry run {job.applies}" if job.applies else ""
    audit_request(request, caller, None, summary)
    runner.submit(job, upload)


def apply_preview(request: Request, caller: Caller, services: Services, runner: JobRunner,
                  preview: Job) -> Job:  # fmt: skip
    """Queue the real run of dry-run job `preview`: its kept files, its options, checked again
    for `caller` as a new upload would be (409 when it is no preview, not done, already applied
    or its files are no longer kept). Blocking: call it in a worker thread."""
    if not preview.dry_run or preview.state != "done":
        raise HTTPException(409, f"job {preview.id!r} is not a finished dry run")
    if preview.applied_by:
        raise HTTPException(
            409, f"dry run {preview.id!r} was applied by job {preview.applied_by!r}"
        )
    upload = runner.claim_preview(preview.id)
    if upload is None:
        raise HTTPException(
            409,
            f"the files of dry run {preview.id!r} are no longer kept (they wait "
            f"{KEEP_PREVIEW / 3600:.0f} hours and not across a restart): upload them again",
        )
    try:
        job = _job_for(new_job_id(), _applying(upload), caller, services)
        job.applies = preview.id
        _submit(request, caller, runner, job, upload)
    except BaseException:
        runner.keep_preview(preview.id, upload)
        raise
    preview.applied_by = job.id
    runner.jobs.save(preview)
    return job


def _applying(upload: Upload) -> Upload:
    """The preview's upload as a real run's: the same files and fields, dry_run off."""
    return replace(upload, fields={**upload.fields, "dry_run": ""})


def visible_job(job_id: str, caller: OptionalCaller, runner: RunnerDep) -> Job:
    """The job, for its submitter, its institution's curators and admins (`may_read_job`); for
    anyone else, 404 as if unknown."""
    job = runner.jobs.get(job_id)
    if job is None or not may_read_job(caller, job):
        raise not_found(f"no ingest job with id {job_id!r}")
    return job


VisibleJob = Annotated[Job, Depends(visible_job)]


def readable_report(
    job: Job, runner: JobRunner, services: Services, audience: Audience
) -> dict[str, Any] | None:
    """The job's report with only the items `audience` may see (`report_for`)."""
    report = runner.jobs.report(job)
    return None if report is None else report_for(report, services.records, audience)


@router.get(
    "/api/jobs/{job_id}",
    summary="An ingest job: state, counts and, once done, every item's outcome",
    responses={404: {"description": "Unknown, or a job the caller may not read"}},
)
def job_status(
    job: VisibleJob, runner: RunnerDep, services: ServicesDep, audience: AudienceDep
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": job.id,
        "state": job.state,
        "collection": job.collection,
        "institution": job.institution,
        "submitted": job.submitted,
        "started": job.started,
        "finished": job.finished,
        "files": job.files,
        "manifest": job.manifest,
        "total": job.total,
        "counts": job.counts,
        "dry_run": job.dry_run,
    }
    if job.applies:
        body["applies"] = job.applies
    if job.applied_by:
        body["applied_by"] = job.applied_by
    if job.error:
        body["error"] = job.error
    report = readable_report(job, runner, services, audience)
    if report is not None:
        body["report_url"] = f"/api/jobs/{job.id}/report"
        body["items"] = report["items"]
        body["errors"] = report["errors"]
        if report.get("withheld"):
            body["withheld"] = report["withheld"]
    return body


@router.get(
    "/api/jobs/{job_id}/report",
    summary="The job's ingest report as the pipeline stored it, less items the caller may not see",
    responses={404: {"description": "Unknown job, one the caller may not read, or no report yet"}},
)
def job_report(
    job: VisibleJob,
    runner: RunnerDep,
    services: ServicesDep,
    audience: AudienceDep,
    format: Annotated[
        Literal["json", "csv", "xlsx"],
        Query(description="json, or a table: csv (UTF-8 with BOM, for Excel) or xlsx"),
    ] = "json",
    lang: Annotated[Literal["zh", "en"], Query(description="Table headings and outcomes")] = "zh",
) -> Any:
    report = readable_report(job, runner, services, audience)
    if report is None:
        raise not_found(f"ingest job {job.id!r} has no report (yet)")
    if format == "json":
        return report
    table = IngestReport.from_dict(report)
    if format == "csv":
        body, media_type = report_csv(table, lang), "text/csv; charset=utf-8"
    else:
        body = report_xlsx(table, lang)
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = content_disposition(f"ingest-{job.id}.{format}")
    return Response(body, media_type=media_type, headers={"Content-Disposition": name})


@router.post(
    "/api/jobs/{job_id}/apply",
    status_code=202,
    summary="Apply a dry run: the same files and options, ingested for real by a new job",
    responses={
        202: {"description": "Accepted: `{job, url}` of the new job"},
        403: {"description": "Not an archivist, or the checks of a new upload refuse it"},
        404: {"description": "Unknown, or a job the caller may not read"},
        409: {"description": "Not a finished dry run, already applied, or its files are gone"},
    },
)
async def apply_job(
    job_id: str, request: Request, caller: ArchivistDep, services: ServicesDep, runner: RunnerDep
) -> JSONResponse:
    preview = visible_job(job_id, caller, runner)
    job = await run_in_threadpool(apply_preview, request, caller, services, runner, preview)
    url = f"/api/jobs/{job.id}"
    return JSONResponse({"job": job.id, "url": url}, status_code=202, headers={"Location": url})
