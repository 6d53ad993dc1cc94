"""The admins' pages through the real app: people (create, list, disable, enable, role, password)
and API keys (made with the token shown once, listed without it, revoked and refused by the API at
once); sessions of a disabled user end; non-admins get a 403 page in their language; forms need
their CSRF token; refused input is explained in zh and en with what was typed kept; every change
is in the audit log with the admin as the actor."""

from __future__ import annotations

import html as entities
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from api.services import Services
from repository.apikeys import MAX_LABEL, KeyStore
from repository.audit import AuditLog
from repository.users import MAX_PASSWORD, MIN_PASSWORD, UserStore
from tests.e2e.governance_support import INST_A, INST_B, settings_for
from tests.e2e.workspace_support import PASSWORD, csrf_of, sign_in
from tests.e2e.workspace_support import browser as any_browser
from tests.e2e.workspace_support import signed_in as any_signed_in

STAFF = {
    "ada": (INST_A, "admin"),
    "bo": (INST_B, "admin"),
    "cui": (INST_A, "curator"),
    "du": (INST_A, "archivist"),
}
NEW_PASSWORD = "a different long password"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("workspace-admin") / "data"
    app = create_app(settings_for(data))
    users = UserStore(app.state.services.store)
    for name, (institution, role) in STAFF.items():
        users.create(name, institution, role, PASSWORD)
    app.state.services.close()
    return data


@pytest.fixture
def app(data_dir: Path) -> Iterator[Any]:
    app = create_app(settings_for(data_dir))
    yield app
    app.state.services.close()


def browser(app: Any, lang: str = "zh") -> TestClient:
    return any_browser(app, lang)


def signed_in(app: Any, name: str, password: str = PASSWORD, lang: str = "zh") -> TestClient:
    """Signed in with a browser asking for HTML pages in `lang`."""
    return any_signed_in(app, name, password, lang)


def services(app: Any) -> Services:
    found: Services = app.state.services
    return found


def audit_entries(app: Any, action: str) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date()
    return [e for e in AuditLog(services(app).store).day(today) if e["action"] == action]


def post(client: TestClient, url: str, **data: Any) -> Any:
    """Submit a form to `url` with the session's CSRF token (as every workspace page has it)."""
    token = csrf_of(client.get("/workspace/").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def shown(answer: Any) -> str:
    """The page's text as a person reads it (entities decoded)."""
    return entities.unescape(answer.text)


def row_of(page: str, name: str) -> str:
    found = re.search(rf'<tr data-user="{re.escape(name)}".*?</tr>', page, re.S)
    assert found, f"no row of {name}"
    return found.group(0)


def new_user(client: TestClient, name: str, role: str = "curator", **extra: str) -> Any:
    fields = {
        "action": "create",
        "name": name,
        "institution": INST_A,
        "role": role,
        "password": PASSWORD,
        "password_again": PASSWORD,
        **extra,
    }
    return post(client, "/workspace/users", **fields)


# --- who may --------------------------------------------------------------------------------------


def test_without_a_session_the_pages_send_to_sign_in(app: Any) -> None:
    client = browser(app)
    for url in ("/workspace/users", "/workspace/keys"):
        answer = client.get(url, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/workspace/login")
        assert client.post(url, data={"action": "create"}).status_code == 403  # no CSRF


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_curators_and_archivists_get_a_403_page_in_their_language(app: Any, lang: str) -> None:
    for name in ("cui", "du"):
        client = signed_in(app, name, lang=lang)
        role = message(lang, f"workspace.role.{STAFF[name][1]}")
        for url in ("/workspace/users", "/workspace/keys"):
            page = client.get(url)
            assert page.status_code == 403
            assert message(lang, "admin.only", role=role) in shown(page)
            assert message(lang, "workspace.forbidden") in shown(page)
        answer = new_user(client, f"made-by-{name}-{lang}", role="admin")
        assert answer.status_code == 403
        made = post(client, "/workspace/keys", action="create", institution=INST_A, role="admin")
        assert made.status_code == 403 and "hk_" not in made.text
    assert all(
        u.name.startswith(("ada", "bo", "cui", "du")) for u in UserStore(services(app).store).list()
    )


def test_only_admins_see_the_links_on_the_landing_page(app: Any) -> None:
    admin = signed_in(app, "ada").get("/workspace/").text
    assert 'href="/workspace/users"' in admin and 'href="/workspace/keys"' in admin
    curator = signed_in(app, "cui").get("/workspace/").text
    assert 'href="/workspace/users"' not in curator and 'href="/workspace/keys"' not in curator


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(app: Any) -> None:
    admin = signed_in(app, "ada")
    fields = {"action": "create", "name": "no-token", "institution": INST_A, "role": "curator"}
    fields |= {"password": PASSWORD, "password_again": PASSWORD}
    refused = admin.post("/workspace/users", data=fields)
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = admin.post("/workspace/users", data={**fields, "csrf_token": "not-the-token"})
    assert wrong.status_code == 403
    assert UserStore(services(app).store).get("no-token") is None
    disable = admin.post("/workspace/users", data={"action": "disable", "name": "cui"})
    assert disable.status_code == 403 and UserStore(services(app).store).require("cui").active
    keys = admin.post("/workspace/keys", data={"action": "create", "institution": INST_A})
    assert keys.status_code == 403 and "hk_" not in keys.text


# --- people ---------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_is_listed_and_can_sign_in(app: Any) -> None:
    admin = signed_in(app, "ada")
    answer = new_user(admin, "Zhao.Min", role="curator")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/workspace/users?done=create&user=zhao.min"
    page = admin.get(answer.headers["location"])
    assert message("zh", "admin.done.create", name="zhao.min") in shown(page)
    row = row_of(page.text, "zhao.min")
    assert INST_A in row and 'data-role="curator"' in row and 'data-enabled="yes"' in row
    assert "argon2" not in page.text and PASSWORD not in page.text
    signed_in(app, "zhao.min")  # the password given works
    entry = audit_entries(app, "users create")[-1]
    assert entry["user"] == "zhao.min" and entry["actor"]["user"] == "ada"
    assert entry["actor"]["role"] == "admin" and entry["client"]


def test_disabling_ends_the_users_session_and_enabling_lets_them_sign_in_again(app: Any) -> None:
    admin = signed_in(app, "ada")
    assert new_user(admin, "qian", role="curator").status_code == 303
    qian = signed_in(app, "qian")
    assert qian.get("/workspace/review").status_code == 200

    answer = post(admin, "/workspace/users", action="disable", name="qian")
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"])
    assert 'data-enabled="no"' in row_of(page.text, "qian")
    assert message("zh", "admin.done.disable", name="qian") in shown(page)
    for url in ("/workspace/", "/workspace/review"):  # the session they already had is refused
        refused = qian.get(url, follow_redirects=False)
        assert (refused.status_code, refused.headers["location"]) == (303, "/workspace/login")
    assert sign_in(browser(app), "qian").status_code == 401
    assert audit_entries(app, "users disable")[-1]["user"] == "qian"

    assert post(admin, "/workspace/users", action="enable", name="qian").status_code == 303
    assert 'data-enabled="yes"' in row_of(admin.get("/workspace/users").text, "qian")
    assert qian.get("/workspace/", follow_redirects=False).status_code == 303  # still ended
    signed_in(app, "qian")
    assert audit_entries(app, "users enable")[-1]["actor"]["user"] == "ada"


def test_a_new_role_applies_on_the_users_next_request(app: Any) -> None:
    admin = signed_in(app, "ada")
    assert new_user(admin, "sun", role="archivist").status_code == 303
    sun = signed_in(app, "sun")
    assert sun.get("/workspace/review").status_code == 403
    assert (
        post(admin, "/workspace/users", action="role", name="sun", role="curator").status_code
        == 303
    )
    assert 'data-role="curator"' in row_of(admin.get("/workspace/users").text, "sun")
    assert sun.get("/workspace/review").status_code == 200
    entry = audit_entries(app, "users set-role")[-1]
    assert entry["user"] == "sun" and "archivist to curator" in entry["summary"]


def test_a_new_password_ends_the_sessions_and_replaces_the_old_one(app: Any) -> None:
    admin = signed_in(app, "ada")
    assert new_user(admin, "li", role="archivist").status_code == 303
    li = signed_in(app, "li")
    fields = {"action": "password", "name": "li"}
    answer = post(
        admin, "/workspace/users", **fields, password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    assert answer.status_code == 303
    assert li.get("/workspace/", follow_redirects=False).status_code == 303
    assert sign_in(browser(app), "li").status_code == 401
    signed_in(app, "li", NEW_PASSWORD)
    assert audit_entries(app, "users set-password")[-1]["user"] == "li"


def test_an_admin_changing_their_own_password_stays_signed_in_here_only(app: Any) -> None:
    admin = signed_in(app, "ada")
    elsewhere = signed_in(app, "ada")
    fields = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    answer = post(admin, "/workspace/users", action="password", name="ada", **fields)
    assert answer.status_code == 303
    assert admin.get("/workspace/users").status_code == 200
    assert elsewhere.get("/workspace/", follow_redirects=False).status_code == 303
    assert sign_in(browser(app), "ada").status_code == 401
    back = {"password": PASSWORD, "password_again": PASSWORD}  # as the other tests know it
    assert post(admin, "/workspace/users", action="password", name="ada", **back).status_code == 303
    signed_in(app, "ada")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_cannot_disable_or_demote_themselves(app: Any, lang: str) -> None:
    admin = signed_in(app, "bo", lang=lang)
    own_row = row_of(admin.get("/workspace/users").text, "bo")
    assert 'value="disable"' not in own_row and 'value="role"' not in own_row
    answer = post(admin, "/workspace/users", action="disable", name="bo")
    assert answer.status_code == 409
    assert message(lang, "admin.error.self_disable") in shown(answer)
    answer = post(admin, "/workspace/users", action="role", name="bo", role="curator")
    assert answer.status_code == 409
    assert message(lang, "admin.error.self_role") in shown(answer)
    bo = UserStore(services(app).store).require("bo")
    assert bo.active and bo.role == "admin"
    assert admin.get("/workspace/users").status_code == 200  # still signed in, still admin


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_duplicate_name_is_explained_and_what_was_typed_is_kept(app: Any, lang: str) -> None:
    admin = signed_in(app, "ada", lang=lang)
    answer = new_user(admin, "cui", role="admin", institution="博物馆 乙")
    assert answer.status_code == 409
    text = entities.unescape(answer.text)
    assert message(lang, "admin.error.exists", value="cui") in text
    assert 'id="new-name" name="name" value="cui"' in answer.text
    assert 'value="博物馆 乙"' in text and '<option value="admin" selected>' in answer.text
    assert PASSWORD not in answer.text  # a password is never sent back
    assert UserStore(services(app).store).require("cui").role == "curator"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_weak_password_and_other_bad_fields_are_explained(app: Any, lang: str) -> None:
    admin = signed_in(app, "ada", lang=lang)
    short = "x" * (MIN_PASSWORD - 1)
    answer = new_user(admin, f"weak-{lang}", password=short, password_again=short)
    assert answer.status_code == 422
    assert message(lang, "admin.error.password", min=MIN_PASSWORD, max=MAX_PASSWORD) in shown(
        answer
    )
    assert f'value="weak-{lang}"' in answer.text and short not in answer.text
    answer = new_user(admin, f"typo-{lang}", password_again=PASSWORD + "!")
    assert message(lang, "admin.error.password_again") in shown(answer)
    answer = new_user(admin, "Not A Name!")
    assert answer.status_code == 422
    assert message(lang, "admin.error.name", value="Not A Name!") in shown(answer)
    answer = new_user(admin, f"role-{lang}", role="superuser")
    assert answer.status_code == 422
    roles = "archivist, curator, admin"
    assert message(lang, "admin.error.role", value="superuser", roles=roles) in shown(answer)
    too_long = "博" * 129
    answer = new_user(admin, f"inst-{lang}", institution=too_long)
    assert answer.status_code == 422 and 'data-field="institution"' in answer.text
    assert message(lang, "admin.error.institution", value=too_long) in shown(answer)
    answer = post(admin, "/workspace/users", action="disable", name="nobody")
    assert answer.status_code == 404
    assert message(lang, "admin.error.unknown_user", value="nobody") in shown(answer)
    users = {u.name for u in UserStore(services(app).store).list()}
    assert not users & {f"weak-{lang}", f"typo-{lang}", f"role-{lang}", f"inst-{lang}"}


# --- API keys -------------------------------------------------------------------------------------


def test_a_keys_token_is_shown_once_works_and_stops_working_when_revoked(app: Any) -> None:
    admin = signed_in(app, "ada")
    api = TestClient(app, base_url="http://heritage.test")
    made = post(
        admin,
        "/workspace/keys",
        action="create",
        institution=INST_B,
        role="curator",
        label="批量导入",
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "private, no-store"
    tokens = re.findall(r"hk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", made.text)
    assert len(set(tokens)) == 1, "the answer shows the new key's token"
    token = tokens[0]
    key_id = token.split("_")[1]
    assert message("zh", "admin.key_once") in shown(made)
    assert api.get("/api/review", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    listing = admin.get("/workspace/keys")
    assert f'data-key="{key_id}"' in listing.text and "批量导入" in listing.text
    assert token not in listing.text and "hk_" not in listing.text
    stored = KeyStore(services(app).store).get(key_id)
    assert stored is not None and stored.token_sha256 not in listing.text

    answer = post(admin, "/workspace/keys", action="revoke", key_id=key_id)
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"])
    assert message("zh", "admin.done.revoke", id=key_id) in shown(page)
    assert re.search(rf'data-key="{key_id}" data-revoked="yes"', page.text)
    assert api.get("/api/review", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    created = audit_entries(app, "keys create")[-1]
    assert created["key"] == key_id and created["actor"]["user"] == "ada"
    assert token not in str(created)
    assert audit_entries(app, "keys revoke")[-1]["key"] == key_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_key_fields_are_explained_and_make_nothing(app: Any, lang: str) -> None:
    admin = signed_in(app, "ada", lang=lang)
    before = len(KeyStore(services(app).store).list())
    answer = post(
        admin, "/workspace/keys", action="create", institution=INST_A, role="owner", label="typed"
    )
    assert answer.status_code == 422 and "hk_" not in answer.text
    roles = "archivist, curator, admin"
    assert message(lang, "admin.error.role", value="owner", roles=roles) in shown(answer)
    assert 'value="typed"' in answer.text and f'value="{INST_A}"' in answer.text
    answer = post(admin, "/workspace/keys", action="create", institution="", role="curator")
    assert answer.status_code == 422 and 'data-field="institution"' in answer.text
    long = "x" * (MAX_LABEL + 1)
    answer = post(
        admin, "/workspace/keys", action="create", institution=INST_A, role="curator", label=long
    )
    assert answer.status_code == 422
    assert message(lang, "admin.error.label", max=MAX_LABEL) in shown(answer)
    answer = post(admin, "/workspace/keys", action="revoke", key_id="../../users/ada")
    assert answer.status_code == 404
    assert len(KeyStore(services(app).store).list()) == before
