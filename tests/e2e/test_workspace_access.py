"""Every workspace route, walked from the app itself, against every kind of stranger.

A data-driven companion to tests/e2e/test_access_matrix.py (the API) for the pages under
`/workspace/`: a route added without thought for who may call it fails here before a person
finds the hole.

- anonymous: every page sends to the sign-in form (303), every form is refused, nothing changes;
- a signed-in user posting without the form's CSRF token: 403, nothing changes;
- an archivist on a curator's or admin's page: refused (403) — or 404 where the page names an
  item or job of an institution it may not see;
- a curator of institution B on A's item or job pages: 404, exactly like a missing one;
- a disabled user's old session: back to the sign-in form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.operations.callers import Caller
from api.operations.jobs import Job, JobStore, new_job_id
from repository import now_iso
from repository.exhibitions import ExhibitionStore
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, LEVELS, Repo, governed_repository
from tests.support.routes import every_route

PASSWORD = "correct horse battery"
USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
    "admin-a": (INST_A, "admin"),
    "leaver-a": (INST_A, "curator"),
}

OPEN = {("GET", "/workspace/login"), ("POST", "/workspace/login")}
"""The only workspace routes a stranger may use (the sign-in form is CSRF-checked by
tests/e2e/test_accounts.py)."""

ARCHIVIST_MAY_GET = {
    "/workspace/",
    "/workspace/upload",
    "/workspace/manifest-template.xlsx",
    "/workspace/jobs/{job_id}",
    "/workspace/items/{item_id}/history",  # read-only, as GET /api/items/{id}/versions is
    "/workspace/collections",  # read-only for an archivist
    "/workspace/collections/{slug}",
    "/workspace/exhibitions",  # archivists compose exhibitions and submit them for review
    "/workspace/exhibitions/{slug}",
    "/workspace/exhibitions/{slug}/preview",
}
"""Pages an archivist of A may open (their own institution's); every other page is for curators
or admins. A new page lands in one list or the other by a decision, not by default."""

NAMES_A_THING_OF_A = {"item_id", "job_id", "slug"}
"""Path parameters naming something that belongs to institution A: another institution's staff
get 404 there, as if it did not exist."""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("workspace-access")) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture(scope="module")
def app(repo: Repo) -> Iterator[Any]:
    """The app with its lifespan running (the job runner the upload pages need)."""
    app = create_app(repo.settings)
    with TestClient(app):
        yield app


@pytest.fixture(scope="module")
def values(repo: Repo) -> dict[str, str]:
    """A real value of institution A for every path parameter a workspace route may have (the
    job is archivist-a's own)."""
    job = Job(
        id=new_job_id(),
        collection="museum-a-items",
        institution=INST_A,
        agent=Caller(None, INST_A, "archivist", user="archivist-a").agent,
        submitted=now_iso(),
        files=[f"{level}.png" for level in LEVELS],
        state="done",
    )
    JobStore(repo.services.store).save(job)
    exhibition = {"slug": "museum-a-items", "institution": INST_A, "status": "draft"}
    ExhibitionStore(repo.services.store).save(
        {**exhibition, "title": {"zh": "甲馆展览"}, "sections": []}, create=True
    )
    return {
        "item_id": repo.ids["public-draft"],  # A's staff see it; the public and B do not
        "job_id": job.id,
        "slug": "museum-a-items",
        "n": "1",
        "user": "curator-a",
        "name": "curator-a",
        "key_id": "none",
    }


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in(app: Any, name: str) -> TestClient:
    client = TestClient(app, base_url="http://heritage.test")
    form = client.get("/workspace/login")
    data = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    answer = client.post("/workspace/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def workspace_routes(app: Any) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, methods in every_route(app.routes)
        if path.startswith("/workspace")
        for method in methods - {"HEAD"}
        if (method, path) not in OPEN
    )


def url_of(path: str, values: dict[str, str]) -> str:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    unknown = [name for name in names if name not in values]
    assert not unknown, f"{path}: give this test a value for {unknown}"
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def snapshot(repo: Repo) -> dict[str, bytes]:
    """Every stored object but the audit log and ended sessions: what a refused request must
    leave as it was."""
    store = repo.services.store
    return {
        key: store.get_bytes(key)
        for key in store.list("")
        if not key.startswith(("audit/", "signouts/"))
    }


def test_the_walk_finds_the_workspace(app: Any) -> None:
    paths = {path for _, path in workspace_routes(app)}
    assert {"/workspace/", "/workspace/review", "/workspace/items/{item_id}"} <= paths


def test_strangers_are_sent_to_sign_in_and_change_nothing(
    app: Any, repo: Repo, values: dict[str, str]
) -> None:
    before = snapshot(repo)
    client = TestClient(app, base_url="http://heritage.test")
    for method, path in workspace_routes(app):
        url = url_of(path, values)
        answer = client.request(method, url, data={"title_zh": "改"}, follow_redirects=False)
        if method == "GET":
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].endswith("/workspace/login"), (method, path)
        else:
            assert answer.status_code in (303, 403), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].endswith("/workspace/login"), (method, path)
        assert "private" in answer.headers.get("cache-control", "") or answer.status_code == 403
    assert snapshot(repo) == before


def test_forms_without_their_token_change_nothing(
    app: Any, repo: Repo, values: dict[str, str]
) -> None:
    before = snapshot(repo)
    client = signed_in(app, "admin-a")
    posts = [path for method, path in workspace_routes(app) if method == "POST"]
    assert posts, "no workspace form found"
    for path in posts:
        url = url_of(path, values)
        for data in ({"title_zh": "改"}, {"title_zh": "改", "csrf_token": "forged"}):
            for files in (None, {"files": ("a.png", b"\x89PNG")}):  # urlencoded and multipart
                answer = client.post(url, data=data, files=files, follow_redirects=False)
                refused = {403} if files else {403, 415}  # 415: a body the form never sends
                assert answer.status_code in refused, (path, data, files, answer.text[:200])
    assert snapshot(repo) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_archivist_opens_only_its_pages(app: Any, values: dict[str, str], lang: str) -> None:
    client = signed_in(app, "archivist-a")
    for method, path in workspace_routes(app):
        if method != "GET":
            continue
        answer = client.get(url_of(path, values), params={"lang": lang}, follow_redirects=False)
        if path in ARCHIVIST_MAY_GET:
            assert answer.status_code == 200, (path, answer.status_code)
        else:
            assert answer.status_code in (403, 404), (path, answer.status_code)
            assert "Traceback" not in answer.text


def test_another_institutions_curator_finds_nothing_of_a(app: Any, values: dict[str, str]) -> None:
    client = signed_in(app, "curator-b")
    naming = [
        (method, path)
        for method, path in workspace_routes(app)
        if method == "GET" and NAMES_A_THING_OF_A & set(re.findall(r"\{(\w+)", path))
    ]
    assert naming, "no workspace page names an item, a job or a collection"
    for _, path in naming:
        answer = client.get(url_of(path, values), follow_redirects=False)
        unknown = {name: "x" * 12 for name in NAMES_A_THING_OF_A}
        missing = client.get(url_of(path, {**values, **unknown}))
        assert answer.status_code == 404, (path, answer.status_code)
        assert missing.status_code == 404, (path, missing.status_code)


def test_a_disabled_users_session_opens_no_page(
    app: Any, repo: Repo, values: dict[str, str]
) -> None:
    client = signed_in(app, "leaver-a")
    assert client.get("/workspace/review", follow_redirects=False).status_code == 200
    UserStore(repo.services.store).disable("leaver-a")
    for method, path in workspace_routes(app):
        if method == "GET":
            answer = client.get(url_of(path, values), follow_redirects=False)
            assert answer.status_code == 303, (path, answer.status_code)
