"""The one browser session: a signed, HttpOnly, SameSite=Strict cookie, and its CSRF token.

The cookie (`heritage_session`) holds a random session id, a CSRF token and who signed in: a user
(name and the user's epoch, see `repository.users`) or, for the demand map's key form, an API
key's id and sha256 (never the key). It is signed with HERITAGE_SECRET (itsdangerous), lasts
HERITAGE_SESSION_SECONDS, and is `Secure` when HERITAGE_BASE_URL (or the request) is https.
Who it names is re-checked on every request, so disabling a user, changing a password or revoking
a key ends its sessions at once. Signing in always issues a new session id and CSRF token
(a session planted before sign-in is never promoted); signing out ends the id for every process
on the store (`repository.signouts`), so no API replica accepts it again.

CSRF: every form carries the session's token in the hidden field `csrf_token`; scripts (and
multipart uploads, whose bodies are not read here) send it as `X-CSRF-Token`. Every unsafe
request that a session cookie authenticates must carry it (403 otherwise); requests with an API
key are exempt, as no browser sends one by itself.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict, dataclass

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.http.state import shared
from api.operations.accounts import caller_of, session_user
from api.operations.callers import Caller
from repository.apikeys import KeyStore, hash_token
from repository.signouts import SignedOut
from repository.users import UserStore

SESSION_COOKIE = "heritage_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PRIVATE = {"Cache-Control": "private, no-store"}
"""Headers of every page that depends on who is signed in: never cached by anyone else."""
_UNSET = object()


@dataclass(frozen=True)
class Session:
    sid: str
    csrf: str
    user: str | None = None
    epoch: int = 0
    key_id: str | None = None
    key_sha256: str | None = None

    @classmethod
    def new(cls, **who: str | int | None) -> Session:
        """A fresh id and CSRF token: what every sign-in (and every anonymous form) starts."""
        return cls(secrets.token_urlsafe(18), secrets.token_urlsafe(32), **who)  # type: ignore[arg-type]


def server_secret(request: Request) -> str:
    """HERITAGE_SECRET, or a per-process secret when none is set (sessions then end, and hashes
    made with it change, when the server restarts)."""
    secret: str = request.app.state.services.settings.secret.get_secret_value()
    if not secret:
        secret = shared(request, "session_secret", lambda _: secrets.token_hex(32))
    return secret


def _serializer(request: Request) -> URLSafeTimedSerializer:
    """Signs with `server_secret`."""
    return URLSafeTimedSerializer(server_secret(request), salt="heritage-session")


def _lifetime(request: Request) -> int:
    seconds: int = request.app.state.services.settings.session_seconds
    return seconds


def _ended(request: Request) -> SignedOut:
    return SignedOut(request.app.state.services.store)


def read_session(request: Request) -> Session | None:
    """The request's session if its cookie is signed by us, unexpired and not signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        session = Session(**_serializer(request).loads(cookie, max_age=_lifetime(request)))
    except (BadSignature, TypeError, ValueError):
        return None
    return None if session.sid in _ended(request) else session


def form_session(request: Request) -> Session:
    """The session a form page is rendered in: the current one, or a new anonymous one (set it
    with `set_session`), so even the sign-in form carries a CSRF token."""
    return read_session(request) or Session.new()


def set_session(request: Request, response: Response, session: Session) -> None:
    settings = request.app.state.services.settings
    response.set_cookie(
        SESSION_COOKIE,
        _serializer(request).dumps(asdict(session)),
        max_age=_lifetime(request),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.base_url.startswith("https:") or request.url.scheme == "https",
    )


def start_session(request: Request, response: Response, **who: str | int | None) -> Session:
    """Sign in: a new session id and CSRF token (never the ones the browser came with)."""
    old = read_session(request)
    if old is not None:
        _ended(request).end(old.sid, _lifetime(request))
    session = Session.new(**who)
    set_session(request, response, session)
    return session


def end_session(request: Request, response: Response) -> None:
    """Sign out: the id is refused from now on (by every replica) and the cookie removed."""
    session = read_session(request)
    if session is not None:
        _ended(request).end(session.sid, _lifetime(request))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def session_caller(request: Request) -> Caller | None:
    """The user or key the session names, if still valid; None otherwise."""
    found = getattr(request.state, "session_caller", _UNSET)
    if found is not _UNSET:
        return found  # type: ignore[return-value]
    session = read_session(request)
    caller = _resolve(request, session) if session is not None else None
    request.state.session_caller = caller
    return caller


def _resolve(request: Request, session: Session) -> Caller | None:
    services = request.app.state.services
    if session.user is not None:
        user = session_user(UserStore(services.store), session.user, session.epoch)
        return caller_of(user) if user is not None else None
    if session.key_id is None or session.key_sha256 is None:
        return None
    settings = services.settings
    if any(hmac.compare_digest(hash_token(k), session.key_sha256) for k in settings.api_key_set):
        return Caller(f"env-{session.key_sha256[:8]}", settings.institution, "admin")
    key = KeyStore(services.store).get(session.key_id)
    if key is None or not key.active:
        return None
    if not hmac.compare_digest(key.token_sha256, session.key_sha256):
        return None
    return Caller(key.id, key.institution, key.role)


async def check_csrf(request: Request, session: Session | None = None) -> None:
    """403 unless the request carries the session's CSRF token (form field or header)."""
    session = session or read_session(request)
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith("application/x-www-form-urlencoded"):
        given = str((await request.form()).get(CSRF_FIELD) or "") or None
    if given is None:
        raise HTTPException(
            403,
            f"the CSRF token is missing: send the form field '{CSRF_FIELD}' or the header "
            f"'{CSRF_HEADER}' with the value from the page (reload it and try again)",
        )
    if session is None or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise HTTPException(
            403,
            f"the CSRF token ('{CSRF_FIELD}') does not match this session: reload the page and "
            "try again",
        )
