"""Collections in the staff workspace through the real app: the list with item counts, creating
and editing (zh/en titles and descriptions, the version carried by the form, the conflict page
showing both), who may do what (archivists read, another institution's collection is 404), bad
values said on the form in its language and kept as typed, and an edited title reaching the
public catalogue, `/api/collections`, IIIF and OAI-PMH."""

from __future__ import annotations

import html as entities
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import message
from repository.audit import AuditLog
from repository.users import UserStore
from tests.e2e.governance_support import INST_A, INST_B, LEVELS, Repo, governed_repository

PASSWORD = "correct horse battery"
USERS = {
    "archivist-a": (INST_A, "archivist"),
    "curator-a": (INST_A, "curator"),
    "curator-b": (INST_B, "curator"),
    "admin-x": (INST_B, "admin"),
}
A_ITEMS = "museum-a-items"  # ingested for institution A: its description names A


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("workspace-collections")) as governed:
        users = UserStore(governed.services.store)
        for name, (institution, role) in USERS.items():
            users.create(name, institution, role, PASSWORD)
        yield governed


@pytest.fixture
def app(repo: Repo) -> Any:
    return create_app(repo.settings)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in(app: Any, name: str, lang: str = "en") -> TestClient:
    client = TestClient(app, base_url="http://heritage.test", headers={"Accept-Language": lang})
    form = client.get("/workspace/login")
    data = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    answer = client.post("/workspace/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def form_of(html: str) -> dict[str, str]:
    """What a browser would submit from the collection form as rendered."""
    inputs = re.findall(
        r'<input (?:type="hidden" )?(?:id="[^"]+" )?name="(\w+)"[^>]*?value="([^"]*)"', html
    )
    areas = re.findall(r'<textarea id="[^"]+" name="(\w+)"[^>]*>([^<]*)</textarea>', html)
    return {name: entities.unescape(value) for name, value in [*inputs, *areas]}


def field_value(html: str, name: str) -> str:
    found = re.search(rf'<input id="{name}"[^>]*?value="([^"]*)"', html)
    if found:
        return entities.unescape(found.group(1))
    area = re.search(rf'<textarea id="{name}"[^>]*>([^<]*)</textarea>', html)
    assert area, f"no field {name}"
    return entities.unescape(area.group(1))


def stored(repo: Repo, slug: str) -> dict[str, Any] | None:
    return repo.services.records.load_collection(slug)


def create(client: TestClient, **fields: str) -> Any:
    page = client.get("/workspace/collections/new")
    assert page.status_code == 200, page.text
    data = {**form_of(page.text), **fields}
    return client.post("/workspace/collections/new", data=data, follow_redirects=False)


def rows_of(html: str) -> dict[str, int]:
    """Slug → item count of the list page."""
    found = re.findall(
        r'<tr data-collection="([^"]+)">.*?<td class="collection-count">(\d+)</td>', html, re.S
    )
    return {slug: int(count) for slug, count in found}


def audit_summaries(repo: Repo) -> list[str]:
    entries = AuditLog(repo.services.store).day(datetime.now(UTC).date())
    return [e["summary"] for e in entries]


def test_without_a_session_the_pages_send_to_sign_in(app: Any) -> None:
    client = TestClient(app, base_url="http://heritage.test")
    for url in (
        "/workspace/collections",
        "/workspace/collections/new",
        f"/workspace/collections/{A_ITEMS}",
    ):
        answer = client.get(url, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/workspace/login")


def test_the_list_shows_the_institutions_collections_with_what_each_member_sees(app: Any) -> None:
    curator = signed_in(app, "curator-a").get("/workspace/collections")
    assert curator.status_code == 200 and curator.headers["cache-control"] == "private, no-store"
    assert rows_of(curator.text)[A_ITEMS] == len(LEVELS)  # restricted items too
    assert f'href="/workspace/collections/{A_ITEMS}"' in curator.text
    restricted = sum(1 for level in LEVELS.values() if level["access"] == "restricted")
    archivist = signed_in(app, "archivist-a").get("/workspace/collections")
    assert rows_of(archivist.text)[A_ITEMS] == len(LEVELS) - restricted
    assert 'id="collection-new"' not in archivist.text
    assert A_ITEMS not in rows_of(signed_in(app, "curator-b").get("/workspace/collections").text)
    assert A_ITEMS in rows_of(signed_in(app, "admin-x").get("/workspace/collections").text)
    landing = signed_in(app, "archivist-a").get("/workspace/")
    assert 'href="/workspace/collections" id="link-collections"' in landing.text


def test_a_curator_creates_and_edits_a_collection(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a", "zh")
    answer = create(
        client,
        slug="yuxian-papercuts",
        title_zh="蔚县剪纸",
        title_en="",
        description_zh="河北蔚县的点彩剪纸。\r\n第二行。",
        institution=INST_B,  # not a curator's choice: ignored
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/workspace/collections/yuxian-papercuts?saved=1"
    described = stored(repo, "yuxian-papercuts")
    assert described is not None
    assert described["title"] == {"zh": "蔚县剪纸"}
    assert described["description"] == {"zh": "河北蔚县的点彩剪纸。\n第二行。"}
    assert described["institution"] == INST_A
    assert "collection yuxian-papercuts created: title, description, institution" in (
        audit_summaries(repo)
    )

    page = client.get(answer.headers["location"])
    assert message("zh", "collections.saved") in page.text
    assert field_value(page.text, "title_zh") == "蔚县剪纸"
    assert 'id="slug" name="slug" value="yuxian-papercuts" readonly' in page.text
    listed = client.get("/workspace/collections")
    assert rows_of(listed.text)["yuxian-papercuts"] == 0 and "蔚县剪纸" in listed.text

    data = {**form_of(page.text), "title_en": "Yuxian papercuts", "description_en": "Dotted."}
    data["slug"] = "renamed"  # the slug is fixed: what the form says of it is ignored
    edited = client.post(
        "/workspace/collections/yuxian-papercuts", data=data, follow_redirects=False
    )
    assert edited.status_code == 303, edited.text
    described = stored(repo, "yuxian-papercuts")
    assert described is not None and stored(repo, "renamed") is None
    assert described["title"] == {"zh": "蔚县剪纸", "en": "Yuxian papercuts"}
    assert described["description"]["en"] == "Dotted."
    assert described["created"] <= described["modified"]
    assert "collection yuxian-papercuts changed: title, description" in audit_summaries(repo)


def test_a_change_made_meanwhile_shows_both_versions(app: Any, repo: Repo) -> None:
    first, second = signed_in(app, "curator-a"), signed_in(app, "admin-x")
    assert create(first, slug="conflict-test", title_zh="原题").status_code == 303
    url = "/workspace/collections/conflict-test"
    mine, theirs = form_of(first.get(url).text), form_of(second.get(url).text)
    assert mine["etag"] == theirs["etag"]
    answer = second.post(url, data={**theirs, "title_zh": "他们的标题"}, follow_redirects=False)
    assert answer.status_code == 303
    conflict = first.post(url, data={**mine, "title_zh": "我的标题"}, follow_redirects=False)
    assert conflict.status_code == 409
    assert 'id="collection-conflict"' in conflict.text
    row = re.search(
        r'<tr class="conflict-differs" data-field="title_zh">(.*?)</tr>', conflict.text, re.S
    )
    assert row and "他们的标题" in row.group(1) and "我的标题" in row.group(1)
    assert stored(repo, "conflict-test")["title"]["zh"] == "他们的标题"  # type: ignore[index]
    again = form_of(conflict.text)  # my version, carrying their version's etag
    assert again["title_zh"] == "我的标题" and again["etag"] != mine["etag"]
    assert first.post(url, data=again, follow_redirects=False).status_code == 303
    assert stored(repo, "conflict-test")["title"]["zh"] == "我的标题"  # type: ignore[index]
    stale = first.post(url, data={**again, "title_zh": "再改"}, follow_redirects=False)
    assert stale.status_code == 409  # that version is gone too
    missing = first.post(url, data={**again, "etag": ""}, follow_redirects=False)
    assert missing.status_code == 428  # an edit must say which version it changes


def test_archivists_read_only_and_other_institutions_see_nothing(app: Any, repo: Repo) -> None:
    before = stored(repo, A_ITEMS)
    archivist = signed_in(app, "archivist-a")
    assert archivist.get("/workspace/collections/new").status_code == 403
    page = archivist.get(f"/workspace/collections/{A_ITEMS}")
    assert page.status_code == 200 and 'id="collection-view-only"' in page.text
    assert 'type="submit"' not in page.text
    data = {**form_of(page.text), "title_zh": "档案员改"}
    assert archivist.post(f"/workspace/collections/{A_ITEMS}", data=data).status_code == 403
    new = {"csrf_token": data["csrf_token"], "slug": "archivist-made", "title_zh": "新"}
    assert archivist.post("/workspace/collections/new", data=new).status_code == 403
    assert stored(repo, "archivist-made") is None

    other = signed_in(app, "curator-b")
    unknown = other.get("/workspace/collections/no-such-collection")
    hidden = other.get(f"/workspace/collections/{A_ITEMS}")
    assert unknown.status_code == hidden.status_code == 404
    # the same answer as for a slug nobody uses: nothing says it exists
    assert hidden.text.replace(A_ITEMS, "?") == unknown.text.replace("no-such-collection", "?")
    token = csrf_of(other.get("/workspace/").text)
    data = {**data, "csrf_token": token, "title_zh": "别人改"}
    assert other.post(f"/workspace/collections/{A_ITEMS}", data=data).status_code == 404
    assert stored(repo, A_ITEMS) == before
    no_token = {k: v for k, v in data.items() if k != "csrf_token"}
    curator = signed_in(app, "curator-a")
    refused = curator.post(f"/workspace/collections/{A_ITEMS}", data=no_token)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert stored(repo, A_ITEMS) == before


def test_an_admin_chooses_the_owner(app: Any, repo: Repo) -> None:
    admin = signed_in(app, "admin-x")
    answer = create(admin, slug="library-b-maps", title_en="Maps", institution=INST_B)
    assert answer.status_code == 303
    assert stored(repo, "library-b-maps")["institution"] == INST_B  # type: ignore[index]
    assert "library-b-maps" in rows_of(
        signed_in(app, "curator-b").get("/workspace/collections").text
    )
    assert (
        signed_in(app, "curator-a").get("/workspace/collections/library-b-maps").status_code == 404
    )
    bad = create(admin, slug="bad-owner", title_en="x", institution="x" * 129)
    assert bad.status_code == 422 and 'id="problem-institution"' in bad.text


BAD_SLUGS = {
    "剪纸": "slug_invalid",
    "Papercuts": "slug_invalid",
    "paper cuts": "slug_invalid",
    "-lead": "slug_invalid",
    "a" * 64: "slug_invalid",
    "new": "slug_reserved",
    A_ITEMS: "slug_taken",
    "": "slug_missing",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("slug", list(BAD_SLUGS))
def test_a_bad_slug_is_said_on_the_form_as_typed(
    app: Any, repo: Repo, slug: str, lang: str
) -> None:
    before = [c["slug"] for c in repo.services.records.collections()]
    client = signed_in(app, "curator-a", lang)
    answer = create(client, slug=slug, title_zh="标题", description_en="Kept as typed")
    assert answer.status_code == 422, answer.text
    said = re.search(
        r'<p class="field-error notice--error" id="problem-slug">([^<]*)</p>', answer.text
    )
    assert said and entities.unescape(said.group(1)) == message(
        lang, f"collections.problem.{BAD_SLUGS[slug]}"
    )
    assert message(lang, "collections.not_saved") in answer.text
    assert field_value(answer.text, "slug") == slug
    assert field_value(answer.text, "title_zh") == "标题"
    assert field_value(answer.text, "description_en") == "Kept as typed"
    assert [c["slug"] for c in repo.services.records.collections()] == before
    if slug == A_ITEMS:
        assert stored(repo, A_ITEMS)["title"] != {"zh": "标题"}  # type: ignore[index]


BAD_TEXTS = [
    ({"title_zh": "", "title_en": ""}, "title_zh", "title_missing"),
    ({"title_en": "x" * 201}, "title_en", "too_long"),
    ({"title_zh": "剪\x07纸"}, "title_zh", "control"),
    ({"title_en": "two\nlines"}, "title_en", "control"),
    ({"description_zh": "长" * 4001}, "description_zh", "too_long"),
    ({"description_en": "nul \x00 here"}, "description_en", "control"),
    ({"description_en": "escape \x1b[31m"}, "description_en", "control"),
]


@pytest.mark.parametrize(("fields", "name", "problem"), BAD_TEXTS)
def test_bad_texts_are_said_on_the_form_and_nothing_is_saved(
    app: Any, repo: Repo, fields: dict[str, str], name: str, problem: str
) -> None:
    client = signed_in(app, "curator-a", "zh")
    values = {"slug": "bad-texts", "title_zh": "好标题", **fields}
    answer = create(client, **values)
    assert answer.status_code == 422, answer.text[:500]
    said = re.search(rf'id="problem-{name}">([^<]*)</p>', answer.text)
    assert said and entities.unescape(said.group(1)) == message(
        "zh", f"collections.problem.{problem}"
    )
    assert f'id="{name}" ' in answer.text and 'aria-invalid="true"' in answer.text
    assert field_value(answer.text, "slug") == "bad-texts"
    assert stored(repo, "bad-texts") is None
    # the same on an edit: the stored description stays as it was
    url = f"/workspace/collections/{A_ITEMS}"
    before = stored(repo, A_ITEMS)
    edit = client.post(
        url, data={**form_of(client.get(url).text), **fields}, follow_redirects=False
    )
    assert edit.status_code == 422 and f'id="problem-{name}"' in edit.text
    assert stored(repo, A_ITEMS) == before


def test_an_edited_title_shows_in_the_catalogue_iiif_and_oai(app: Any, repo: Repo) -> None:
    client = signed_in(app, "curator-a")
    url = f"/workspace/collections/{A_ITEMS}"
    data = {
        **form_of(client.get(url).text),
        "title_zh": "鹤城民艺藏品",
        "title_en": "Hecheng folk art",
    }
    assert client.post(url, data=data, follow_redirects=False).status_code == 303
    public = TestClient(app, base_url="http://heritage.test")
    listed = public.get("/api/collections?lang=en").json()
    seen = {c["slug"]: c for c in listed["collections"]}
    assert seen[A_ITEMS]["title"] == "Hecheng folk art"
    assert seen[A_ITEMS]["titles"] == {"zh": "鹤城民艺藏品", "en": "Hecheng folk art"}
    assert "conflict-test" not in seen  # an empty collection is nobody's business in public
    item = public.get(f"/items/{repo.ids['public-published']}?lang=zh")
    assert item.status_code == 200 and "鹤城民艺藏品" in item.text
    catalogue = public.get(f"/?collection={A_ITEMS}&lang=en")
    assert "Hecheng folk art" in catalogue.text
    iiif = public.get(f"/iiif/collection/{A_ITEMS}").json()
    assert "鹤城民艺藏品" in json.dumps(iiif, ensure_ascii=False)
    sets = public.get("/oai?verb=ListSets").text
    assert "Hecheng folk art" in sets and "鹤城民艺藏品" in sets
