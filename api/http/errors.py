"""One error shape for every failure: `{"error": {"status": N, "message": "..."}}`.

FastAPI's default handlers answer `{"detail": ...}`; these replace them for 404/405/422/500 alike.
Browsers asking for a catalogue page (not /api) get the same message as a small HTML page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.i18n import templates
from repository.records import DamagedRecord
from schemas.errors import (
    Conflict,
    Forbidden,
    Gone,
    HeritageError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    TooLarge,
    Unavailable,
    UnsupportedType,
)

log = logging.getLogger("heritage.api")

_PLACES = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body"}


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, **extra}}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/docs", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    if _wants_html(request):
        context = {"status": status, "reason": HTTPStatus(status).phrase, "message": message}
        return templates.TemplateResponse(
            request, "error.html", context, status_code=status, headers=headers
        )
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """A one-line message naming each bad parameter, plus the same as a list."""
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        name = ".".join(loc[1:]) or "(whole)"
        message = error.get("msg", "is invalid")
        if "input" in error and not isinstance(error["input"], dict | list) and loc[:1] != ["body"]:
            message += f" (got {error['input']!r})"
        details.append({"in": loc[0] if loc else "request", "parameter": name, "message": message})
    text = "; ".join(
        f"{_PLACES.get(d['in'], d['in'])} '{d['parameter']}': {d['message']}" for d in details
    )
    return text or "invalid request", details


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        message = f"no such page or resource: {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    message, details = describe_validation_errors(exc.errors())
    return error_response(request, 422, message, details=details)


STATUS_OF: tuple[tuple[type[HeritageError], int], ...] = (
    (Gone, 410),
    (NotFound, 404),
    (TooLarge, 413),
    (UnsupportedType, 415),
    (InvalidInput, 422),
    (Forbidden, 403),
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (Conflict, 409),
    (Unavailable, 503),
)
"""The one mapping from the error tree to HTTP statuses; the first class that matches wins."""


def status_of(exc: HeritageError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(exc, cls)), 500)


async def _heritage_error(request: Request, exc: HeritageError) -> Response:
    status = status_of(exc)
    headers = None
    if isinstance(exc, PreconditionFailed) and exc.current_etag:
        headers = {"ETag": exc.current_etag}
    if isinstance(exc, DamagedRecord):  # the caller learns no more than that it is unavailable
        log.error("damaged record on %s: %s; run `heritage verify`", request.url.path, exc)
        message = f"item {exc.item_id} is unavailable for now; the administrators have been told"
        return error_response(request, status, message)
    if isinstance(exc, Unavailable):
        log.error("backend failure on %s: %s", request.url.path, exc)
        return error_response(request, status, f"storage or search is unavailable: {exc}")
    if status == 500:
        log.error("unmapped %s on %s: %s", type(exc).__name__, request.url.path, exc)
    return error_response(request, status, str(exc), headers=headers)


class UnexpectedErrors:
    """Answers an unexpected exception with the 500 error body and ends the request cleanly.

    Starlette's outermost `ServerErrorMiddleware` also answers 500, but then re-raises so the
    server can log; uvicorn, seeing an exception from the app, closes the keep-alive connection
    and every request queued on it fails. Caught here instead, the error is logged once and the
    connection stays usable. An exception after the response started (a stream failing midway)
    goes on up: the body is cut short, so the connection must close."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise
            request = Request(scope)
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            message = "internal server error; the server log has the details"
            await error_response(request, 500, message)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """The error shape for every failure; call it after adding the other middleware, so that
    `UnexpectedErrors` is the outermost and also covers them."""
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HeritageError, _heritage_error)  # type: ignore[arg-type]
    app.add_middleware(UnexpectedErrors)
