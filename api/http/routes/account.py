"""Staff sign-in: `GET|POST /workspace/login`, `POST /workspace/logout` and the signed-in landing
page `GET /workspace/` (it will grow into the workspace).

Users are made with `heritage users create` (`api.operations.accounts`); the session and its CSRF
token are `api.http.sessions`. Failed sign-ins are throttled per user name and per client address
in this process (`LoginThrottle`): past HERITAGE_LOGIN_MAX_FAILURES the form answers 429 with
`Retry-After` until the lockout ends.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.i18n import render
from api.http.sessions import (
    PRIVATE,
    check_csrf,
    end_session,
    form_session,
    read_session,
    session_caller,
    set_session,
    start_session,
)
from api.http.state import shared
from api.operations.accounts import LoginThrottle, TooManyAttempts, sign_in
from repository.users import MAX_PASSWORD, UserStore

router = APIRouter(tags=["workspace"], include_in_schema=False)


def _throttle(request: Request) -> LoginThrottle:
    return shared(
        request,
        "login_throttle",
        lambda services: LoginThrottle(
            services.settings.login_max_failures, services.settings.login_lockout_seconds
        ),
    )


def _login_form(
    request: Request, status_code: int = 200, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """The sign-in form, in a session (anonymous until sign-in) whose CSRF token it carries."""
    session = form_session(request)
    context = {"csrf_token": session.csrf, "name": "", "failed": False, "locked": 0, **extra}
    response = render(request, "workspace_login.html", context, status_code=status_code)
    response.headers.update({**PRIVATE, **(headers or {})})
    if read_session(request) != session:
        set_session(request, response, session)
    return response


@router.get("/workspace/login")
def login_page(request: Request) -> Response:
    caller = session_caller(request)
    if caller is not None and caller.user is not None:
        return RedirectResponse("/workspace/", status_code=303)
    return _login_form(request)


@router.post("/workspace/login")
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
) -> Response:
    await check_csrf(request)
    services = request.app.state.services
    client = request.client.host if request.client else None
    try:
        user = await run_in_threadpool(  # argon2 takes tens of milliseconds: off the event loop
            sign_in, UserStore(services.store), _throttle(request), name, password, client
        )
    except TooManyAttempts as exc:
        wait = str(exc.retry_after)
        return _login_form(request, 429, {"Retry-After": wait}, name=name, locked=exc.retry_after)
    if user is None:
        return _login_form(request, 401, name=name, failed=True)
    response = RedirectResponse("/workspace/", status_code=303, headers=PRIVATE)
    start_session(request, response, user=user.name, epoch=user.epoch)
    return response


@router.post("/workspace/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    response = RedirectResponse("/workspace/login", status_code=303, headers=PRIVATE)
    end_session(request, response)
    return response


@router.get("/workspace/")
def workspace(request: Request) -> Response:
    caller = session_caller(request)
    session = read_session(request)
    if caller is None or caller.user is None or session is None:
        return RedirectResponse("/workspace/login", status_code=303, headers=PRIVATE)
    context = {
        "user": caller.user,
        "institution": caller.institution,
        "role": caller.role,
        "csrf_token": session.csrf,
    }
    response = render(request, "workspace.html", context)
    response.headers.update(PRIVATE)
    return response
