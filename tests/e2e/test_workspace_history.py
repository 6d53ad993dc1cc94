"""The workspace's history page through the real app: the versions with who/when/which fields, a
field-by-field diff of two versions, restoring a version (a new version; decisions stay), deleting
for good (admins, a reason and the id typed again; then the page and OAI-PMH say it is gone), and
who may do what: its institution reads, curators restore, another institution sees a 404 page;
forms without the CSRF token are refused; a bad version number is a named 422, never a 500."""

from __future__ import annotations

import html as entities
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from api.http.app import create_app
from api.http.i18n import message
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, Repo, governed_repository
from tests.e2e.test_workspace_items import PASSWORD, csrf_of, field, signed_in

PUBLIC = {"status": "published", "access": "public"}
EXTRA = {
    "ws-edit": (PUBLIC, ("花灯扎制", "Flower lantern making")),
    "ws-restore": (PUBLIC, ("社火脸谱", "Shehuo face painting")),
    "ws-delete": (PUBLIC, ("高跷表演", "Stilt walking")),
    "ws-bad": (PUBLIC, ("泥塑", "Clay figurines")),
}
USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
    "admin-a": (INST_A, "admin"),
}
OAI = "{http://www.openarchives.org/OAI/2.0/}"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("workspace-history"), EXTRA) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture
def app(repo: Repo) -> Any:
    return create_app(repo.settings)


def url(repo: Repo, name: str, tail: str = "") -> str:
    return f"/workspace/items/{repo.ids[name]}/history{tail}"


def patch(repo: Repo, name: str, body: Any) -> None:
    etag = repo.etag("curator-a", name)
    answer = repo.patch("curator-a", f"/api/items/{repo.ids[name]}", body, **{"If-Match": etag})
    assert answer.status_code == 200, answer.text


def versions_shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-version="(\d+)">', html)]


def cell(html: str, name: str, side: str) -> str:
    row = re.search(rf'<tr data-field="{name}".*?</tr>', html, re.S)
    assert row, f"the diff has no row {name}"
    found = re.search(rf'<td class="{side}">(.*?)</td>', row.group(0), re.S)
    assert found
    return entities.unescape(found.group(1))


def restore_form(html: str, n: int) -> dict[str, str]:
    """What the page's restore button for version `n` submits."""
    assert f'name="version" value="{n}"' in html, f"no restore form for version {n}"
    return {"csrf_token": csrf_of(html), "etag": field(html, "etag"), "version": str(n)}


def delete_form(html: str, reason: str, confirm: str) -> dict[str, str]:
    assert 'id="history-delete"' in html
    return {
        "csrf_token": csrf_of(html),
        "etag": field(html, "etag"),
        "reason": reason,
        "confirm": confirm,
    }


def test_without_a_session_the_page_sends_to_sign_in(app: Any, repo: Repo) -> None:
    client = TestClient(app, base_url="http://heritage.test")
    answer = client.get(url(repo, "ws-edit"), follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/workspace/login")


def test_the_versions_are_listed_with_who_when_and_which_fields(app: Any, repo: Repo) -> None:
    original = repo.record("ws-edit")
    patch(repo, "ws-edit", {"title": {"zh": "花灯扎制技艺"}})
    patch(repo, "ws-edit", {"subjects": ["花灯"], "region": {"name": "灯村"}})
    client = signed_in(app, "curator-a")
    page = client.get(url(repo, "ws-edit"))
    assert page.status_code == 200, page.text
    assert versions_shown(page.text) == [3, 2, 1]  # newest first
    rows = dict(re.findall(r'<tr data-version="(\d+)">(.*?)</tr>', page.text, re.S))
    assert "title" in rows["2"] and "subjects" not in rows["2"]
    assert "region, subjects" in rows["3"]
    assert f"{INST_A}/curator (key " in rows["2"]
    assert original["events"][-1]["time"][:16].replace("T", " ") in rows["1"]
    assert message("zh", "history.current") in rows["3"]
    # the edit page links here
    edit = client.get(f"/workspace/items/{repo.ids['ws-edit']}")
    assert f'href="{url(repo, "ws-edit")}"' in edit.text


def test_a_diff_shows_old_and_new_values_field_by_field(app: Any, repo: Repo) -> None:
    client = signed_in(app, "archivist-a")  # reading needs no more than the institution
    page = client.get(url(repo, "ws-edit", "?from=1&to=3"))
    assert page.status_code == 200, page.text
    assert cell(page.text, "title", "before") == "en: Flower lantern making; zh: 花灯扎制"
    assert cell(page.text, "title", "after") == "en: Flower lantern making; zh: 花灯扎制技艺"
    assert cell(page.text, "subjects", "after") == "花灯"
    assert 'data-field="events"' not in page.text
    # the other way round, and a version against itself
    back = client.get(url(repo, "ws-edit", "?from=3&to=1"))
    assert cell(back.text, "title", "before").endswith("zh: 花灯扎制技艺")
    same = client.get(url(repo, "ws-edit", "?from=2&to=2"))
    assert 'id="history-diff-none"' in same.text and 'id="history-diff-table"' not in same.text
    # an archivist is offered neither restoring nor deleting
    assert "/history/restore" not in page.text and "/history/delete" not in page.text


def test_restoring_a_version_writes_a_new_one_and_keeps_the_decisions(app: Any, repo: Repo) -> None:
    original = repo.record("ws-restore")
    patch(repo, "ws-restore", {"title": {"zh": "社火脸谱（改）"}, "subjects": ["社火"]})
    client = signed_in(app, "curator-a")
    page = client.get(url(repo, "ws-restore"))
    answer = client.post(
        url(repo, "ws-restore", "/restore"), data=restore_form(page.text, 1), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == url(repo, "ws-restore", "?restored=1")
    record = repo.record("ws-restore")
    assert record["title"] == original["title"] and "subjects" not in record
    assert record["status"] == "published" and record["access"] == "public"
    assert repo.services.records.version_numbers(repo.ids["ws-restore"]) == [1, 2]
    assert record["events"][-1]["agent"] == f"{INST_A}/curator (user curator-a)"
    shown = client.get(answer.headers["location"])
    assert message("zh", "history.restored", n=1, last=3) in shown.text
    assert versions_shown(shown.text) == [3, 2, 1]
    # restoring what is already there writes nothing and says so
    again = client.post(url(repo, "ws-restore", "/restore"), data=restore_form(shown.text, 1))
    assert message("zh", "history.unchanged", n=1) in again.text
    assert repo.services.records.version_numbers(repo.ids["ws-restore"]) == [1, 2]
    # a form rendered before someone else's change is refused, not applied over it
    stale = restore_form(shown.text, 2)
    patch(repo, "ws-restore", {"subjects": ["脸谱"]})
    refused = client.post(url(repo, "ws-restore", "/restore"), data=stale)
    assert refused.status_code == 409 and 'id="history-conflict"' in refused.text
    assert repo.record("ws-restore")["subjects"] == ["脸谱"]


def test_an_archivist_may_neither_restore_nor_delete(app: Any, repo: Repo) -> None:
    client = signed_in(app, "archivist-a")
    page = client.get(url(repo, "ws-bad"))
    assert page.status_code == 200
    before = repo.record("ws-bad")
    token, etag = csrf_of(client.get("/workspace/").text), repo.etag("curator-a", "ws-bad")
    data = {"csrf_token": token, "etag": etag, "version": "1"}
    assert client.post(url(repo, "ws-bad", "/restore"), data=data).status_code == 403
    data |= {"reason": "test", "confirm": repo.ids["ws-bad"]}
    assert client.post(url(repo, "ws-bad", "/delete"), data=data).status_code == 403
    assert repo.record("ws-bad") == before


def test_another_institutions_curator_gets_the_404_page(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-b")
    page = client.get(url(repo, "ws-edit"), headers=HTML)
    assert page.status_code == 404 and "<html" in page.text
    assert "花灯" not in page.text
    token = csrf_of(client.get("/workspace/").text)
    etag = repo.etag("curator-a", "ws-edit")
    data = {"csrf_token": token, "etag": etag, "version": "1"}
    assert client.post(url(repo, "ws-edit", "/restore"), data=data).status_code == 404
    assert repo.etag("curator-a", "ws-edit") == etag
    # an unknown id looks the same
    assert client.get("/workspace/items/no-such-item/history").status_code == 404


def test_forms_without_the_csrf_token_are_refused(app: Any, repo: Repo) -> None:
    before = repo.record("ws-edit")
    for name in ("curator-a", "admin-a"):
        client = signed_in(app, name)
        page = client.get(url(repo, "ws-edit"))
        data = restore_form(page.text, 1) if name == "curator-a" else {}
        data.pop("csrf_token", None)
        restore = client.post(url(repo, "ws-edit", "/restore"), data=data | {"version": "1"})
        assert restore.status_code == 403 and "CSRF" in restore.text
        gone = {"reason": "x", "confirm": repo.ids["ws-edit"], "etag": field(page.text, "etag")}
        delete = client.post(url(repo, "ws-edit", "/delete"), data=gone)
        assert delete.status_code == 403 and "CSRF" in delete.text
    assert repo.record("ws-edit") == before


def test_a_bad_version_number_is_a_named_error_not_a_500(app: Any, repo: Repo) -> None:
    patch(repo, "ws-bad", {"subjects": ["泥人"]})
    client = signed_in(app, "curator-a")
    wrong = client.get(url(repo, "ws-bad", "?from=abc&to=2"))
    assert wrong.status_code == 422
    expected = message(
        "zh", "history.bad_version", field=message("zh", "history.from"), value="abc", last=2
    )
    assert expected in entities.unescape(wrong.text)
    assert versions_shown(wrong.text) == [2, 1]  # the page is still there
    english = client.get(url(repo, "ws-bad", "?from=1&to=99&lang=en"))
    assert english.status_code == 422
    assert message(
        "en", "history.bad_version", field=message("en", "history.to"), value="99", last=2
    ) in entities.unescape(english.text)
    assert client.get(url(repo, "ws-bad", "?from=&to=1")).status_code == 422
    page = client.get(url(repo, "ws-bad"))
    for version in ("0", "2", "99", "-1", "x", ""):  # 2 is the current version: nothing to undo
        data = restore_form(page.text, 1) | {"version": version}
        answer = client.post(url(repo, "ws-bad", "/restore"), data=data)
        assert answer.status_code == 422, (version, answer.text)
        assert 'id="history-error"' in answer.text
    assert repo.services.records.version_numbers(repo.ids["ws-bad"]) == [1]


def test_deleting_for_good_needs_an_admin_a_reason_and_the_id(app: Any, repo: Repo) -> None:
    item_id = repo.ids["ws-delete"]
    curator = signed_in(app, "curator-a")
    page = curator.get(url(repo, "ws-delete"))
    assert 'id="history-delete"' not in page.text
    token, etag = csrf_of(curator.get("/workspace/").text), repo.etag("curator-a", "ws-delete")
    data = {"csrf_token": token, "etag": etag, "reason": "x", "confirm": item_id}
    refused = curator.post(url(repo, "ws-delete", "/delete"), data=data)
    assert refused.status_code == 403

    admin = signed_in(app, "admin-a")
    page = admin.get(url(repo, "ws-delete"))
    no_reason = admin.post(
        url(repo, "ws-delete", "/delete"), data=delete_form(page.text, " ", item_id)
    )
    assert no_reason.status_code == 422
    assert message("zh", "history.problem.reason") in no_reason.text
    mismatch = delete_form(page.text, "传承人要求撤回", item_id + "x")
    wrong_id = admin.post(url(repo, "ws-delete", "/delete"), data=mismatch)
    assert wrong_id.status_code == 422
    assert message("zh", "history.problem.confirm", id=item_id) in wrong_id.text
    assert "传承人要求撤回" in wrong_id.text  # the reason is kept as typed
    assert repo.services.records.get(item_id) is not None

    done = admin.post(
        url(repo, "ws-delete", "/delete"),
        data=delete_form(page.text, "传承人要求撤回", item_id),
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == url(repo, "ws-delete")
    assert repo.services.records.get(item_id) is None
    tombstone = repo.services.records.tombstone(item_id)
    assert tombstone is not None and tombstone["reason"] == "传承人要求撤回"
    assert tombstone["agent"] == f"{INST_A}/admin (user admin-a)"
    gone = admin.get(done.headers["location"])
    assert gone.status_code == 410
    said = message("zh", "history.gone", id=item_id, date=tombstone["deleted"][:10])
    assert said in gone.text
    listed = etree.fromstring(
        repo.client.get(
            "/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        ).content
    )
    headers = [
        h for h in listed.iter(f"{OAI}header")
        if h.findtext(f"{OAI}identifier", "").endswith(f":{item_id}")
    ]  # fmt: skip
    assert len(headers) == 1 and headers[0].get("status") == "deleted"
