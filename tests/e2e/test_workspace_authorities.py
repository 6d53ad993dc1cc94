"""Offering a name ingest could not link as a new authority, in the workspace: a manifest names
a bearer no authority holds; the job page offers "create bearer authority" with the name filled
in; the curator makes it and the item is linked (an audited edit); the bearer's page then lists
the item, and the search box finds the bearer. Bad input is named on the form, never a 500."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from repository.audit import AuditLog
from repository.authorities import AuthorityStore
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, settings_for
from tests.e2e.test_ingest_api import jpeg
from tests.e2e.test_workspace_upload import form_body, wait_for_page
from tests.e2e.workspace_support import PASSWORD, csrf_of, signed_in

BORN = {"edtf": "1950", "earliest": 1950, "latest": 1950, "display": "1950年"}
KNOWN = {
    "id": "bearer-huang-lihua-1950",
    "kind": "bearer",
    "names": {"zh": "黄丽华"},
    "birth": BORN,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = settings_for(tmp_path_factory.mktemp("workspace-authorities") / "data", workers=1)
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the job runner
        services = app.state.services
        UserStore(services.store).create("wang.fang", INST_A, "curator", PASSWORD)
        UserStore(services.store).create("li.na", INST_A, "archivist", PASSWORD)
        services.records.save_collection(
            {"slug": "museum-a-papercuts", "title": {"zh": "剪纸"}, "institution": INST_A}
        )
        AuthorityStore(services.store).save(KNOWN)
        yield app


def _upload(client: TestClient) -> str:
    """Two photos, one naming an unknown bearer (李华), one a known one; the job page's URL."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["path", "title_zh", "传承人"])
    writer.writerows([["a.jpg", "李华剪纸作品", "李华"], ["b.jpg", "黄丽华窗花", "黃麗華"]])
    token = csrf_of(client.get("/workspace/upload").text)
    parts: list[tuple[str, str | None, bytes]] = [
        ("csrf_token", None, token.encode()),
        ("collection", None, b"museum-a-papercuts"),
        ("status", None, b"draft"),
        ("access", None, b""),
        ("files", "a.jpg", jpeg(1)),
        ("files", "b.jpg", jpeg(2)),
        ("manifest", "items.csv", text.getvalue().encode()),
    ]
    body, content_type = form_body(parts)
    headers = {"Content-Type": content_type}
    answer = client.post("/workspace/upload", content=body, headers=headers, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_an_unknown_bearer_is_offered_created_and_linked(app: Any) -> None:
    client = signed_in(app, "wang.fang", lang="zh")
    page = wait_for_page(client, _upload(client))
    offers = re.findall(r'class="job-offer" href="([^"]+)">([^<]+)<', page)
    assert len(offers) == 1, page  # 黃麗華 was linked; only 李华 is offered
    url, label = offers[0]
    assert "李华" in label and "传承人" in label
    query = parse_qs(urlsplit(url.replace("&amp;", "&")).query)
    assert query["kind"] == ["bearer"] and query["name"] == ["李华"]
    item_id = query["item"][0]

    form = client.get(url.replace("&amp;", "&"))
    assert form.status_code == 200
    assert 'name="zh" lang="zh-Hans" maxlength="200" required value="李华"' in form.text
    assert '<option value="bearer" selected>' in form.text and 'name="link"' in form.text
    data = {"csrf_token": csrf_of(form.text), "kind": "bearer", "zh": "李华", "birth": "1972年",
            "level": "provincial", "item": item_id, "link": "1"}  # fmt: skip
    made = client.post("/workspace/authorities/new", data=data, follow_redirects=False)
    assert made.status_code == 303, made.text
    assert made.headers["location"] == f"/workspace/items/{item_id}?linked=bearer-li-hua-1972"
    edit = client.get(made.headers["location"]).text
    assert 'id="edit-linked"' in edit and 'href="/bearers/bearer-li-hua-1972"' in edit

    services = app.state.services
    held = AuthorityStore(services.store).load("bearer-li-hua-1972")
    assert held["names"] == {"zh": "李华"} and held["level"] == "provincial"
    record = services.records.load(item_id)
    assert {"kind": "bearer", "id": "bearer-li-hua-1972"} in record["authorities"]
    assert "linked bearer authority bearer-li-hua-1972" in record["events"][-1]["detail"]
    today = list(AuditLog(services.store).day(datetime.now(UTC).date()))
    actions = [(e["action"], e.get("item")) for e in today]
    assert ("authorities create", None) in actions
    assert ("POST /workspace/authorities/new", item_id) in actions

    bearer = client.get("/bearers/bearer-li-hua-1972").text  # the curator sees its draft
    assert "李华剪纸作品" in bearer
    cards = client.get("/api/search", params={"q": "li hua"}).json()["authorities"]
    assert [c["id"] for c in cards] == ["bearer-li-hua-1972"]  # found at once


def _post(client: TestClient, **fields: str) -> Any:
    token = csrf_of(client.get("/workspace/authorities/new").text)
    return client.post("/workspace/authorities/new", data={"csrf_token": token, **fields},
                       follow_redirects=False)  # fmt: skip


def test_bad_input_is_named_on_the_form(app: Any) -> None:
    client = signed_in(app, "wang.fang", lang="zh")
    empty = _post(client, kind="bearer", zh="")
    assert empty.status_code == 422 and 'id="problem-zh"' in empty.text
    assert "请填写中文名称" in empty.text
    kind = _post(client, kind="institution-or-so", zh="张三")
    assert kind.status_code == 422 and 'id="problem-kind"' in kind.text
    latin = _post(client, kind="bearer", zh="Zhang San")
    assert latin.status_code == 422 and 'id="problem-zh"' in latin.text
    birth = _post(client, kind="bearer", zh="张三", birth="某年某月")
    assert birth.status_code == 422 and 'id="problem-birth"' in birth.text
    level = _post(client, kind="bearer", zh="张三", level="village")
    assert level.status_code == 422 and 'id="problem-level"' in level.text
    assert "Traceback" not in empty.text + kind.text + birth.text + level.text

    for name in ("黄丽华", "黃麗華"):
        twice = _post(client, kind="bearer", zh=name)
        assert twice.status_code == 409, twice.text
        assert "已存在" in twice.text and 'data-authority="bearer-huang-lihua-1950"' in twice.text
    same_year = _post(client, kind="bearer", zh="黄丽华", birth="1950")
    assert same_year.status_code == 409
    other = _post(client, kind="bearer", zh="黄丽华", birth="1988")  # another person
    assert other.status_code == 303
    assert other.headers["location"] == "/bearers/bearer-huang-li-hua-1988"

    english = signed_in(app, "wang.fang", lang="en")
    said = _post(english, kind="project", zh="")
    assert said.status_code == 422 and "Give the Chinese name." in said.text


def test_linking_an_existing_authority_and_who_may(app: Any) -> None:
    client = signed_in(app, "wang.fang")
    item_id = next(
        r["id"] for r in app.state.services.records if r["title"]["zh"] == "李华剪纸作品"
    )
    form = client.get(f"/workspace/authorities/new?kind=bearer&name=黄丽华&item={item_id}")
    assert 'data-authority="bearer-huang-lihua-1950"' in form.text  # a candidate to link
    token = csrf_of(form.text)
    url = f"/workspace/items/{item_id}/authorities"
    linked = client.post(url, data={"csrf_token": token, "id": "bearer-huang-lihua-1950"},
                         follow_redirects=False)  # fmt: skip
    assert linked.status_code == 303
    links = app.state.services.records.load(item_id)["authorities"]
    assert {"kind": "bearer", "id": "bearer-huang-lihua-1950"} in links
    unknown = client.post(url, data={"csrf_token": token, "id": "bearer-nobody"})
    assert unknown.status_code == 404
    archivist = signed_in(app, "li.na")
    assert archivist.get("/workspace/authorities/new").status_code == 403
