"""The admins' workspace pages: people (`/workspace/users`) and API keys (`/workspace/keys`).

What `heritage users …` and `heritage keys …` do, in the browser, through the same operations
(`api.operations.accounts`, `api.operations.keys`), so the rules and the audit entries are the
CLI's, with the signed-in admin as the actor. Each page is one form target: the field `action`
says what to do (users: create, disable, enable, role, password; keys: create, revoke). A change
that worked answers 303 back to the list with its outcome in the query (PRG); a refused one shows
the page again (422, 404 or 409) with the problem in the page's language beside the field, and
what was typed kept (never a password).

Only admins: anyone else signed in gets a 403 page, nobody signed in goes to the sign-in form.
Disabling a user raises their epoch, so their sessions end on their next request
(`api.http.sessions`); an admin cannot disable or demote themselves. A new key's token is shown
once, on the answer to the form that made it (never cached, never in a URL); lists never show a
token or its hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.http.auth import keyring
from api.http.i18n import choose_language, message
from api.http.sessions import PRIVATE, Session, check_csrf, start_session
from api.http.workspace_support import form_text, page, refused, signed_in, to_login
from api.operations.accounts import (
    SelfChange,
    create_user,
    disable_user,
    enable_user,
    normalise_name,
    set_password,
    set_role,
)
from api.operations.callers import Caller
from api.operations.keys import create_key, revoke_key
from repository.apikeys import (
    MAX_LABEL,
    ROLES,
    ApiKey,
    KeyNotFound,
    KeyStore,
    check_institution,
    check_role,
)
from repository.keys import check_user_name
from repository.users import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    User,
    UserExists,
    UserNotFound,
    UserStore,
    check_password,
)
from schemas.errors import InvalidInput

router = APIRouter(tags=["workspace"], include_in_schema=False)

USER_ACTIONS = ("create", "disable", "enable", "role", "password")


@dataclass
class Problem:
    """Why a form was refused: the field it is about and the message (catalogue key + values)."""

    field: str
    key: str
    values: dict[str, object]
    status: int


def _problem(name: str, key: str, status: int = 422, **values: object) -> Problem:
    return Problem(name, key, values, status)


def _admin(request: Request) -> tuple[Caller, Session] | Response:
    """The signed-in admin and their session; 303 to sign-in without one, a 403 page (in the
    person's language) for anyone who is not an admin."""
    who = signed_in(request)
    if who is None:
        return to_login()
    caller = who[0]
    if caller.role != "admin":
        role = message(choose_language(request), f"workspace.role.{caller.role}")
        return refused(request, "admin.only", role=role)
    return who


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _institutions(request: Request, users: list[User], keys: list[ApiKey]) -> list[str]:
    """Institutions already named somewhere, offered as suggestions in the forms."""
    known = {request.app.state.services.settings.institution}
    known.update(u.institution for u in users)
    known.update(k.institution for k in keys)
    return sorted(known)


# --- people --------------------------------------------------------------------------------------

EMPTY_USER = {"name": "", "institution": "", "role": "archivist"}


def _users_page(
    request: Request,
    caller: Caller,
    session: Session,
    typed: dict[str, str] | None = None,
    problem: Problem | None = None,
    row: str | None = None,
) -> Response:
    store = request.app.state.services.store
    users = UserStore(store).list()
    lang = choose_language(request)
    query = request.query_params
    done = query.get("done") if query.get("done") in USER_ACTIONS else None
    done_user = query.get("user") if any(u.name == query.get("user") for u in users) else None
    context = {
        "csrf_token": session.csrf,
        "me": caller.user,
        "users": users,
        "roles": ROLES,
        "institutions": _institutions(request, users, []),
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
        "v": typed or EMPTY_USER,
        "problem": problem,
        "problem_text": message(lang, problem.key, **problem.values) if problem else "",
        "row": row,  # the user a refused row action was about
        "done": done if done_user else None,
        "done_user": done_user,
    }
    return page(request, "workspace/users.html", context, problem.status if problem else 200)


@router.get("/workspace/users")
def users_page(request: Request) -> Response:
    who = _admin(request)
    if isinstance(who, Response):
        return who
    return _users_page(request, *who)


def _password_problem(form: FormData) -> Problem | None:
    """The CLI's rule (`repository.users.check_password`), and both fields typed alike (the CLI
    asks twice too). Passwords are not stripped: spaces may be part of one."""
    password = _raw(form, "password")
    try:
        check_password(password)
    except InvalidInput:
        return _problem("password", "admin.error.password", min=MIN_PASSWORD, max=MAX_PASSWORD)
    if _raw(form, "password_again") != password:
        return _problem("password_again", "admin.error.password_again")
    return None


CHECKS: dict[str, tuple[Callable[[str], object], str]] = {
    "name": (lambda typed: check_user_name(normalise_name(typed)), "admin.error.name"),
    "institution": (check_institution, "admin.error.institution"),
    "role": (check_role, "admin.error.role"),
}
"""The CLI's checks of the forms' fields, each with the message that explains it on a page."""


def _field_problem(typed: dict[str, str], *names: str) -> Problem | None:
    """The first of these fields that the CLI would refuse, before anything is changed."""
    for name in names:
        check, key = CHECKS[name]
        try:
            check(typed[name])
        except InvalidInput:
            return _problem(name, key, value=typed[name], roles=", ".join(ROLES))
    return None


def _change_user(
    request: Request, caller: Caller, action: str, typed: dict[str, str], form: FormData
) -> Problem | None:
    """Do one action of the users form; the problem when it was refused."""
    store, actor, client = request.app.state.services.store, caller.actor(), _client(request)
    name = normalise_name(typed["name"])
    try:
        if action == "create":
            problem = _field_problem(typed, "name", "institution", "role")
            problem = problem or _password_problem(form)
            if problem is None:
                password = _raw(form, "password")
                create_user(
                    store, actor, name, typed["institution"], typed["role"], password, client
                )
            return problem
        if action == "disable":
            disable_user(store, actor, name, client)
        elif action == "enable":
            enable_user(store, actor, name, client)
        elif action == "role":
            UserStore(store).require(name)
            problem = _field_problem(typed, "role")
            if problem is None:
                set_role(store, actor, name, typed["role"], client)
            return problem
        elif action == "password":
            UserStore(store).require(name)
            problem = _password_problem(form)
            if problem is None:
                set_password(store, actor, name, _raw(form, "password"), client)
            return problem
        else:
            return _problem("action", "admin.error.action", value=action)
    except UserExists:
        return _problem("name", "admin.error.exists", 409, value=name)
    except UserNotFound:
        return _problem("name", "admin.error.unknown_user", 404, value=name)
    except SelfChange:
        key = "admin.error.self_disable" if action == "disable" else "admin.error.self_role"
        return _problem("name", key, 409, value=name)
    except InvalidInput as exc:  # a rule this page does not know in advance: say it as it is
        return _problem("action", "admin.error.other", detail=str(exc))
    return None


def _raw(form: FormData, name: str) -> str:
    """A field exactly as sent (a password's spaces are part of it)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/workspace/users")
async def users_change(request: Request) -> Response:
    """Create, disable, enable, re-role or re-password one user (the field `action`)."""
    await check_csrf(request)
    who = await run_in_threadpool(_admin, request)
    if isinstance(who, Response):
        return who
    caller, session = who
    form = await request.form()
    action = form_text(form, "action")
    typed = {name: form_text(form, name) for name in EMPTY_USER}
    problem = await run_in_threadpool(_change_user, request, caller, action, typed, form)
    await form.close()
    if problem is not None:
        row = None if action == "create" else normalise_name(typed["name"])
        shown = typed if action == "create" else None  # a row's action keeps the new-user form
        return await run_in_threadpool(_users_page, request, caller, session, shown, problem, row)
    name = normalise_name(typed["name"])
    url = "/workspace/users?" + urlencode({"done": action, "user": name})
    response = RedirectResponse(url, status_code=303, headers=PRIVATE)
    if action == "password" and name == caller.user:  # their other sessions end, not this one
        user = await run_in_threadpool(UserStore(request.app.state.services.store).require, name)
        start_session(request, response, user=user.name, epoch=user.epoch)
    return response


def _minute(timestamp: str) -> str:
    """`2026-12-06T16:53:07.123Z` → `2026-12-06 16:53 UTC`, as the lists show times."""
    return f"{timestamp[:16].replace('T', ' ')} UTC"


# --- API keys ------------------------------------------------------------------------------------

EMPTY_KEY = {"institution": "", "role": "archivist", "label": ""}


def _keys_page(
    request: Request,
    session: Session,
    typed: dict[str, str] | None = None,
    problem: Problem | None = None,
    new: tuple[ApiKey, str] | None = None,
) -> Response:
    store = request.app.state.services.store
    keys = KeyStore(store).list()
    lang = choose_language(request)
    query = request.query_params
    done_key = query.get("key") if any(k.id == query.get("key") for k in keys) else None
    shown = [
        {
            "id": k.id,
            "label": k.label,
            "institution": k.institution,
            "role": k.role,
            "created": _minute(k.created),
            "revoked": _minute(k.revoked) if k.revoked else "",
        }
        for k in keys
    ]  # the fields a list may show: never the token's hash
    context = {
        "csrf_token": session.csrf,
        "keys": shown,
        "roles": ROLES,
        "institutions": _institutions(request, UserStore(store).list(), keys),
        "max_label": MAX_LABEL,
        "v": typed or EMPTY_KEY,
        "problem": problem,
        "problem_text": message(lang, problem.key, **problem.values) if problem else "",
        "new_key": new[0] if new else None,
        "new_token": new[1] if new else None,
        "revoked": done_key if query.get("done") == "revoke" else None,
    }
    return page(request, "workspace/keys.html", context, problem.status if problem else 200)


@router.get("/workspace/keys")
def keys_page(request: Request) -> Response:
    who = _admin(request)
    if isinstance(who, Response):
        return who
    return _keys_page(request, who[1])


def _new_key_problem(typed: dict[str, str]) -> Problem | None:
    problem = _field_problem(typed, "institution", "role")
    if problem is None and len(typed["label"]) > MAX_LABEL:
        return _problem("label", "admin.error.label", max=MAX_LABEL)
    return problem


@router.post("/workspace/keys")
async def keys_change(request: Request) -> Response:
    """Create a key (the answer shows its token, once) or revoke one (the field `action`)."""
    await check_csrf(request)
    who = await run_in_threadpool(_admin, request)
    if isinstance(who, Response):
        return who
    caller, session = who
    form = await request.form()
    action = form_text(form, "action")
    typed = {name: form_text(form, name) for name in EMPTY_KEY}
    key_id = form_text(form, "key_id")
    await form.close()
    store, actor, client = request.app.state.services.store, caller.actor(), _client(request)
    if action == "create":
        problem = _new_key_problem(typed)
        if problem is not None:
            return await run_in_threadpool(_keys_page, request, session, typed, problem)
        new = await run_in_threadpool(
            create_key, store, actor, typed["institution"], typed["role"], typed["label"], client
        )
        return await run_in_threadpool(_keys_page, request, session, None, None, new)
    if action != "revoke":
        problem = _problem("action", "admin.error.action", value=action)
        return await run_in_threadpool(_keys_page, request, session, None, problem)
    try:
        key = await run_in_threadpool(revoke_key, store, actor, key_id, client)
    except KeyNotFound:
        problem = _problem("key_id", "admin.error.unknown_key", 404, value=key_id)
        return await run_in_threadpool(_keys_page, request, session, None, problem)
    keyring(request).forget(key.token_sha256)  # refused by this server from the next request
    url = "/workspace/keys?" + urlencode({"done": "revoke", "key": key.id})
    return RedirectResponse(url, status_code=303, headers=PRIVATE)
