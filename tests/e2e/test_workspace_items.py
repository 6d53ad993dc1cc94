"""The curator's workspace pages through the real app: the review queue (single and bulk
decisions, PRG outcomes) and the edit form (If-Match from the form, the conflict page showing both
versions, an unreadable date kept as typed); CSRF and roles as the API has them."""

from __future__ import annotations

import html as entities
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, Repo, governed_repository
from tests.e2e.workspace_support import PASSWORD, csrf_of, signed_in

USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("workspace-items")) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture
def app(repo: Repo) -> Any:
    return create_app(repo.settings)


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no field {name}"
    return entities.unescape(found.group(1))


def edit_form(html: str) -> dict[str, Any]:
    """What a browser would submit from the edit form as rendered (people rows included)."""
    inputs = dict(re.findall(r'<input id="[^"]+" name="(\w+)"[^>]*value="([^"]*)"', html))
    areas = dict(re.findall(r'<textarea id="[^"]+" name="(\w+)"[^>]*>([^<]*)</textarea>', html))
    selects = {
        name: (re.findall(r'value="([^"]*)" selected', body) or [""])[0]
        for name, body in re.findall(
            r'<select id="(category|access)".*?>(.*?)</select>', html, re.S
        )
    }
    return {
        **{name: entities.unescape(value) for name, value in {**inputs, **areas}.items()},
        **selects,
        "csrf_token": csrf_of(html),
        "etag": field(html, "etag"),
        "person_name": re.findall(r'name="person_name" maxlength="200" value="([^"]*)"', html),
        "person_role": ["bearer"] * len(re.findall(r'name="person_name"', html)),
    }


def test_without_a_session_the_pages_send_to_sign_in(app: Any, repo: Repo) -> None:
    client = TestClient(app, base_url="http://heritage.test")
    for url in ("/workspace/review", f"/workspace/items/{repo.ids['public-draft']}"):
        answer = client.get(url, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/workspace/login")


def test_an_archivist_and_another_institutions_curator_are_refused(app: Any, repo: Repo) -> None:
    item = repo.ids["public-draft"]
    archivist = signed_in(app, "archivist-a")
    assert archivist.get("/workspace/review").status_code == 403
    assert archivist.get(f"/workspace/items/{item}").status_code == 403
    token = csrf_of(archivist.get("/workspace/").text)
    decision = {"csrf_token": token, "item": item, "decision": "review", "reason": "x"}
    assert archivist.post("/workspace/review", data=decision).status_code == 403
    edit = {"csrf_token": token, "etag": repo.etag("curator-a", "public-draft"), "title_zh": "改"}
    assert archivist.post(f"/workspace/items/{item}", data=edit).status_code == 403
    other = signed_in(app, "curator-b")
    assert other.get(f"/workspace/items/{item}").status_code in (403, 404)
    queue = other.get("/workspace/review?status=draft")
    assert queue.status_code == 200 and item not in queue.text
    decision["csrf_token"] = csrf_of(other.get("/workspace/").text)
    answer = other.post("/workspace/review", data=decision, follow_redirects=False)
    assert answer.status_code == 303 and f"missing={item}" in answer.headers["location"]
    assert repo.record("public-draft")["status"] == "draft"
    assert repo.record("public-draft")["title"]["zh"] == "虎头鞋样"


def test_forms_without_the_csrf_token_are_refused(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    item = repo.ids["public-draft"]
    decision = {"item": item, "decision": "review", "reason": "ready"}
    assert client.post("/workspace/review", data=decision).status_code == 403
    edit = client.post(f"/workspace/items/{item}", data={"title_zh": "改"})
    assert edit.status_code == 403 and "CSRF" in edit.text
    assert repo.record("public-draft")["status"] == "draft"


def test_the_landing_page_links_the_queue(app: Any) -> None:
    page = signed_in(app, "curator-a").get("/workspace/")
    assert 'href="/workspace/review"' in page.text


def test_bulk_decisions_move_each_selected_item_and_say_so(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    both = [repo.ids["institution"], repo.ids["restricted"]]  # published

    def decide(decision: str, status: str) -> Any:
        page = client.get(f"/workspace/review?status={status}")
        assert all(f'value="{i}" form="bulk-form"' in page.text for i in both)
        data = {
            "csrf_token": csrf_of(page.text),
            "status": status,
            "item": both,
            "decision": decision,
            "reason": "bulk check",
        }
        answer = client.post("/workspace/review", data=data, follow_redirects=False)
        assert answer.status_code == 303
        return client.get(answer.headers["location"])

    decide("withdrawn", "published")
    decide("review", "withdrawn")
    shown = decide("published", "review")
    assert all(repo.services.records.load(i)["status"] == "published" for i in both)
    done = message("zh", "review.done", n=2, status=message("zh", "review.status.published"))
    assert done in shown.text and all(i in shown.text for i in both)
    events = repo.services.records.load(both[0])["events"]
    assert events[-1]["type"] == "publication" and "bulk check" in events[-1]["detail"]
    token = csrf_of(client.get("/workspace/").text)
    twice = {
        "csrf_token": token,
        "status": "review",
        "item": both[0],
        "decision": "published",
        "reason": "twice",
    }
    refused = client.post("/workspace/review", data=twice)
    assert message("zh", "review.refused", n=1) in refused.text


def test_a_decision_needs_a_reason(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    page = client.get("/workspace/review?status=draft")
    data = {
        "csrf_token": csrf_of(page.text),
        "status": "draft",
        "item": repo.ids["public-draft"],
        "decision": "review",
        "reason": "  ",
    }
    shown = client.post("/workspace/review", data=data)
    assert 'id="review-problem"' in shown.text
    assert repo.record("public-draft")["status"] == "draft"


def test_the_region_picker_offers_the_places_the_curator_may_see(app: Any, repo: Repo) -> None:
    page = signed_in(app, "curator-a").get(f"/workspace/items/{repo.ids['public-draft']}")
    assert page.status_code == 200
    offered = set(
        re.findall(r'<option value="([^"]*)"></option>', page.text.split('id="regions"')[1])
    )
    assert 'list="regions"' in page.text
    seen = {"public-draft", "restricted", "institution", "b-public"}  # A's items, B's public one
    assert {repo.region(name) for name in seen} <= offered
    assert repo.region("b-restricted") not in offered  # only a hidden item of B names it
    assert repo.region("b-review") not in offered


def test_an_edit_is_saved_and_a_date_is_read(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    item = repo.ids["public-draft"]
    form = edit_form(client.get(f"/workspace/items/{item}").text)
    form.update(
        title_en="Tiger shoe, edited",
        date="清代",
        person_name=["王大娘"],
        person_role=["bearer"],
        subjects="剪纸\n鞋样",
    )
    answer = client.post(f"/workspace/items/{item}", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    record = repo.record("public-draft")
    assert record["title"]["en"] == "Tiger shoe, edited" and record["title"]["zh"] == "虎头鞋样"
    assert (record["date"]["earliest"], record["date"]["latest"]) == (1644, 1912)
    assert record["people"] == [{"name": "王大娘", "role": "bearer"}]
    assert record["subjects"] == ["剪纸", "鞋样"] and record["status"] == "draft"
    page = client.get(answer.headers["location"])
    assert "1644–1912" in page.text and 'id="edit-saved"' in page.text


def test_an_unreadable_date_shows_the_form_again_as_typed(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    item = repo.ids["public-draft"]
    before = repo.record("public-draft")
    form = edit_form(client.get(f"/workspace/items/{item}").text)
    form.update(date="大约某个时候", title_en="Typed but not saved")
    answer = client.post(f"/workspace/items/{item}", data=form)
    assert answer.status_code == 422
    assert 'id="edit-error"' in answer.text and "大约某个时候" in answer.text
    assert field(answer.text, "date") == "大约某个时候"
    assert field(answer.text, "title_en") == "Typed but not saved"
    assert repo.record("public-draft") == before


def test_a_conflicting_edit_shows_both_versions_and_overwrites_nothing(
    app: Any, repo: Repo
) -> None:
    client = signed_in(app, "curator-a")
    item = repo.ids["public-published"]
    form = edit_form(client.get(f"/workspace/items/{item}").text)
    theirs = repo.patch(
        "curator-a",
        f"/api/items/{item}",
        {"title": {"en": "Their title"}},
        **{"If-Match": repo.etag("curator-a", "public-published")},
    )
    assert theirs.status_code == 200, theirs.text
    stored = repo.record("public-published")
    form["title_en"] = "My title"
    answer = client.post(f"/workspace/items/{item}", data=form)
    assert answer.status_code == 409
    assert 'id="edit-conflict"' in answer.text
    row = re.search(r'data-field="title_en">.*?</tr>', answer.text, re.S)
    assert row and "Their title" in row.group() and "My title" in row.group()
    assert repo.record("public-published") == stored  # nothing overwritten
    again = edit_form(answer.text)  # re-apply: the page's form carries the new ETag
    assert again["title_en"] == "My title"
    applied = client.post(f"/workspace/items/{item}", data=again, follow_redirects=False)
    assert applied.status_code == 303
    assert repo.record("public-published")["title"]["en"] == "My title"


def test_a_crafted_outcome_link_shows_nothing_it_does_not_know(app: Any) -> None:
    client = signed_in(app, "curator-a")
    for query in ("problem=zzz", "decision=zzz&done=x", "done=x&refused=y", "problem=%00"):
        page = client.get(f"/workspace/review?{query}")
        assert page.status_code == 200, (query, page.text[:200])
        assert 'id="review-problem"' not in page.text and 'id="review-outcome"' not in page.text


def test_a_long_reason_changes_nothing(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    page = client.get("/workspace/review?status=draft")
    data = {
        "csrf_token": csrf_of(page.text),
        "status": "draft",
        "item": repo.ids["public-draft"],
        "decision": "review",
        "reason": "理" * 2001,
    }
    shown = client.post("/workspace/review", data=data)
    assert 'id="review-problem"' in shown.text
    assert repo.record("public-draft")["status"] == "draft"


def test_a_file_sent_as_a_form_field_is_not_stored_as_text(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    item = repo.ids["public-draft"]
    form = edit_form(client.get(f"/workspace/items/{item}").text)
    before = repo.record("public-draft")["title"]
    fields = {k: v for k, v in form.items() if k != "title_zh"}
    answer = client.post(
        f"/workspace/items/{item}",
        data=fields,
        files={"title_zh": ("a.txt", b"not a title", "text/plain")},
        headers={"X-CSRF-Token": form["csrf_token"]},
        follow_redirects=False,
    )
    assert answer.status_code in (303, 422), answer.text[:200]
    assert "UploadFile" not in str(repo.record("public-draft")["title"])
    assert repo.record("public-draft")["title"].get("en") == before.get("en")
