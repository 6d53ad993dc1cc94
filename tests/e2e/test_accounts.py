"""People who sign in, through the real app: the form and the landing page, sign-out, a session
planted before sign-in (fixation), forms and writes without their CSRF token, a disabled user,
a user of institution A reaching for B's items (the same answers as A's keys), login flooding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from api.http.app import create_app
from api.http.i18n import message
from api.http.sessions import CSRF_HEADER, SESSION_COOKIE
from api.operations.accounts import disable_user, set_password
from repository.audit import Actor
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, SECRET, Repo, governed_repository
from tests.e2e.workspace_support import PASSWORD, browser, csrf_of, sign_in, signed_in

OPERATOR = Actor("pytest operator")
USERS = {  # name -> (institution, role); one per key actor of the governed repository
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("accounts")) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture
def app(repo: Repo) -> Any:
    """A fresh app over the repository: its own sign-in throttle and signed-out sessions."""
    return create_app(repo.settings)


def session_of(cookie: str) -> dict[str, Any]:
    data: dict[str, Any] = URLSafeTimedSerializer(SECRET, salt="heritage-session").loads(cookie)
    return data


def landing_csrf(client: TestClient) -> str:
    page = client.get("/workspace/", follow_redirects=False)
    assert page.status_code == 200, page.headers
    return csrf_of(page.text)


def test_sign_in_shows_the_landing_page_and_sign_out_ends_the_session(app: Any) -> None:
    client = browser(app)
    first = client.get("/workspace/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/workspace/login"
    answer = sign_in(client, "Curator-A")  # names are not case-sensitive
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # base URL is http
    assert PASSWORD.lower() not in cookie
    page = client.get("/workspace/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert message("en", "workspace.signed_in", name="curator-a") in page.text
    assert f'id="institution">{INST_A}<' in page.text
    assert message("en", "workspace.role.curator") in page.text
    assert client.get("/workspace/login", follow_redirects=False).status_code == 303
    stolen = client.cookies[SESSION_COOKIE]
    out = client.post("/workspace/logout", data={"csrf_token": csrf_of(page.text)},
                      follow_redirects=False)  # fmt: skip
    assert out.status_code == 303 and out.headers["location"] == "/workspace/login"
    assert client.get("/workspace/", follow_redirects=False).status_code == 303
    replay = browser(app)
    # the signed-out cookie, kept by someone
    replay.cookies.set(SESSION_COOKIE, stolen, domain="heritage.test")
    assert replay.get("/workspace/", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_when_the_site_is_https(repo: Repo) -> None:
    app = create_app(repo.settings.model_copy(update={"base_url": "https://heritage.test"}))
    answer = sign_in(TestClient(app, base_url="https://heritage.test"), "curator-a")
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()


def test_wrong_password_and_unknown_user_answer_alike(app: Any) -> None:
    wrong = sign_in(browser(app), "curator-a", "not the password")
    unknown = sign_in(browser(app), "nobody", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401 and SESSION_COOKIE not in answer.headers.get(
            "set-cookie", ""
        )
        assert message("zh", "workspace.failed") in answer.text


def test_a_session_planted_before_sign_in_is_not_promoted(app: Any) -> None:
    attacker = browser(app)
    attacker.get("/workspace/login")
    planted = attacker.cookies[SESSION_COOKIE]
    victim = browser(app)
    victim.cookies.set(SESSION_COOKIE, planted, domain="heritage.test")  # planted in the victim's
    answer = sign_in(victim, "curator-a")
    assert answer.status_code == 303
    issued = victim.cookies[SESSION_COOKIE]
    assert issued != planted
    before, after = session_of(planted), session_of(issued)
    assert before["user"] is None and after["user"] == "curator-a"
    assert after["sid"] != before["sid"] and after["csrf"] != before["csrf"]
    assert attacker.get("/workspace/", follow_redirects=False).status_code == 303  # not signed in
    assert victim.get("/workspace/", follow_redirects=False).status_code == 200


def test_forms_without_their_csrf_token_are_refused(app: Any) -> None:
    client = browser(app)
    client.get("/workspace/login")
    data = {"name": "curator-a", "password": PASSWORD}
    missing = client.post("/workspace/login", data=data, follow_redirects=False)
    assert missing.status_code == 403 and "csrf_token" in missing.json()["error"]["message"]
    assert "missing" in missing.json()["error"]["message"]
    wrong = client.post("/workspace/login", data={**data, "csrf_token": "x" * 43})
    assert wrong.status_code == 403 and "does not match" in wrong.json()["error"]["message"]
    user = signed_in(app, "curator-a")
    out = user.post("/workspace/logout", follow_redirects=False)
    assert out.status_code == 403 and "csrf_token" in out.json()["error"]["message"]
    other = signed_in(app, "curator-a")  # a token from another session of the same user
    out = user.post("/workspace/logout", data={"csrf_token": landing_csrf(other)})
    assert out.status_code == 403
    assert user.get("/workspace/", follow_redirects=False).status_code == 200  # still signed in


def test_a_write_by_session_needs_the_csrf_header_and_a_key_does_not(app: Any, repo: Repo) -> None:
    item = repo.ids["public-draft"]
    client = signed_in(app, "curator-a")
    etag = client.get(f"/api/items/{item}").headers["ETag"]
    patch = {"description": {"zh": "会话修改", "en": "Edited in a session"}}
    headers = {"Content-Type": "application/merge-patch+json", "If-Match": etag}
    refused = client.patch(f"/api/items/{item}", json=patch, headers=headers)
    assert refused.status_code == 403, refused.text
    assert CSRF_HEADER in refused.json()["error"]["message"]
    assert repo.record("public-draft").get("description") != patch["description"]
    done = client.patch(
        f"/api/items/{item}", json=patch, headers={**headers, CSRF_HEADER: landing_csrf(client)}
    )
    assert done.status_code == 200, done.text
    record = repo.record("public-draft")
    assert record["description"] == patch["description"]
    assert record["events"][-1]["agent"] == f"{INST_A}/curator (user curator-a)"
    etag = repo.etag("curator-a", "public-draft")
    by_key = repo.patch("curator-a", f"/api/items/{item}", {"subjects": None}, **{"If-Match": etag})
    assert by_key.status_code == 200, by_key.text  # keys need no CSRF token


@pytest.mark.parametrize("actor", sorted(USERS))
@pytest.mark.parametrize("name", ["b-public", "b-restricted", "public-published", "restricted"])
def test_a_user_gets_the_same_answers_as_a_key_of_its_institution_and_role(
    app: Any, repo: Repo, actor: str, name: str
) -> None:
    item = f"/api/items/{repo.ids[name]}"
    client = signed_in(app, actor)
    csrf = landing_csrf(client)
    read_by_key = repo.get(actor, item)
    read_by_session = client.get(item)
    assert read_by_session.status_code == read_by_key.status_code
    headers = {"Content-Type": "application/merge-patch+json", CSRF_HEADER: csrf}
    if "ETag" in read_by_key.headers:
        headers["If-Match"] = read_by_key.headers["ETag"]
    by_session = client.patch(item, json={"rights": {"holder": "pytest"}}, headers=headers)
    if by_session.status_code == 200:  # the key may make the same write on the new version
        headers["If-Match"] = repo.get(actor, item).headers["ETag"]
    by_key = repo.patch(actor, item, {"rights": {"holder": "pytest"}}, **headers)
    if by_session.status_code == 200:
        assert by_key.status_code == 200, by_key.text
    else:
        assert by_session.status_code == by_key.status_code
        assert by_session.status_code in (403, 404)


def test_an_archivist_of_a_cannot_touch_bs_item(app: Any, repo: Repo) -> None:
    client = signed_in(app, "archivist-a")
    headers = {
        "Content-Type": "application/merge-patch+json",
        CSRF_HEADER: landing_csrf(client),
        "If-Match": '"x"',
    }
    patch = {"rights": {"holder": "x"}}
    hidden = client.patch(f"/api/items/{repo.ids['b-restricted']}", json=patch, headers=headers)
    assert hidden.status_code in (403, 404)
    visible = client.patch(f"/api/items/{repo.ids['b-public']}", json=patch, headers=headers)
    assert visible.status_code == 403
    assert repo.record("b-public").get("rights", {}).get("holder") != "x"
    assert client.get(f"/api/items/{repo.ids['b-review']}").status_code == 404  # B's draft
    assert client.get(f"/api/items/{repo.ids['public-draft']}").status_code == 200  # A's


def test_disabling_a_user_ends_the_session_and_refuses_sign_in(
    repo: Repo, app: Any, tmp_path: Path
) -> None:
    users = UserStore(repo.services.store)
    users.create("temp-archivist", INST_A, "archivist", PASSWORD)
    client = signed_in(app, "temp-archivist")
    draft = f"/api/items/{repo.ids['public-draft']}"
    assert client.get(draft).status_code == 200
    disable_user(repo.services.store, OPERATOR, "temp-archivist")
    assert client.get("/workspace/", follow_redirects=False).status_code == 303
    assert client.get(draft).status_code == 404  # anonymous again
    again = sign_in(browser(app), "temp-archivist")
    assert again.status_code == 401


def test_a_new_password_ends_the_old_sessions(repo: Repo, app: Any) -> None:
    UserStore(repo.services.store).create("temp-curator", INST_B, "curator", PASSWORD)
    client = signed_in(app, "temp-curator")
    set_password(repo.services.store, OPERATOR, "temp-curator", "a new long password")
    assert client.get("/workspace/", follow_redirects=False).status_code == 303
    assert sign_in(browser(app), "temp-curator", "a new long password").status_code == 303


def test_login_flooding_is_answered_429_with_retry_after(repo: Repo) -> None:
    app = create_app(repo.settings.model_copy(update={"login_max_failures": 5}))
    client = browser(app)
    for _ in range(4):
        assert sign_in(client, "curator-b", "guess number n").status_code == 401
    fifth = sign_in(client, "curator-b", "guess number 5")
    assert fifth.status_code == 401
    locked = sign_in(client, "curator-b")  # the right password, too late
    assert locked.status_code == 429
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= 30
    assert message("zh", "workspace.locked", seconds=retry_after) in locked.text
    assert SESSION_COOKIE in client.cookies  # only the anonymous form session
    assert client.get("/workspace/", follow_redirects=False).status_code == 303


def test_the_search_beacon_of_a_signed_in_user_is_answered_not_logged(app: Any) -> None:
    """The catalogue page sends no CSRF token with its beacon: a session must not turn it into
    a 403, and a staff search is not the public's demand."""
    client = signed_in(app, "curator-a")
    answer = client.post("/api/insights/searches", json={"query": "?q=剪纸"})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"logged": False}
