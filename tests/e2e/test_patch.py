"""`PATCH /api/items/{id}` end to end: JSON Merge Patch, If-Match, validation naming the JSON
path, fields that cannot change, who may edit, re-indexing at once, events and the audit log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.governance_support import INST_A, Repo, governed_repository

PUBLIC = {"status": "published", "access": "public"}
EXTRA = {
    "edit-title": (PUBLIC, ("马头琴制作", "Horse-head fiddle making")),
    "edit-remove": (PUBLIC, ("安代舞", "Andai dance")),
    "edit-race": (PUBLIC, ("长调民歌", "Long song")),
    "edit-access": (PUBLIC, ("呼麦演唱", "Khoomei singing")),
    "edit-screen": (PUBLIC, ("蒙古族刺绣", "Mongolian embroidery")),
    "edit-date": (PUBLIC, ("剪纸窗花", "Window paper-cut")),
    "edit-replicas": (PUBLIC, ("四胡演奏", "Sihu playing")),
    "edit-race-2": (PUBLIC, ("好来宝", "Holboo")),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("patch"), EXTRA) as governed:
        yield governed


def url(repo: Repo, name: str) -> str:
    return f"/api/items/{repo.ids[name]}"


def patch(repo: Repo, name: str, body: Any, actor: str = "curator-a", **headers: str) -> Any:
    if "If-Match" not in headers:
        headers["If-Match"] = repo.etag(actor, name)
    return repo.patch(actor, url(repo, name), body, **headers)


def search_ids(repo: Repo, q: str, actor: str = "anonymous") -> set[str]:
    response = repo.get(actor, "/api/search", params={"q": q})
    return {item["id"] for item in response.json()["items"]}


def test_an_edit_is_stored_indexed_recorded_and_audited(repo: Repo) -> None:
    before = repo.get("curator-a", url(repo, "edit-title"))
    assert search_ids(repo, "马头琴制作") == {repo.ids["edit-title"]}
    response = patch(
        repo,
        "edit-title",
        {"title": {"zh": "马头琴的制作工艺"}, "subjects": ["乐器", "木工"]},
        **{"If-Match": before.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == {"zh": "马头琴的制作工艺", "en": "Horse-head fiddle making"}
    assert body["subjects"] == ["乐器", "木工"]
    assert body["modified"] >= before.json()["modified"]
    assert response.headers["ETag"] != before.headers["ETag"]
    assert response.headers["ETag"] == repo.etag("anonymous", "edit-title")
    stored = repo.record("edit-title")
    assert stored["title"]["zh"] == "马头琴的制作工艺"
    # re-indexed at once
    assert search_ids(repo, "制作工艺") == {repo.ids["edit-title"]}
    assert search_ids(repo, "木工") == {repo.ids["edit-title"]}
    # a modification event naming the key
    event = stored["events"][-1]
    assert event["type"] == "metadata-modification" and event["outcome"] == "success"
    assert event["detail"] == "changed subjects, title (JSON Merge Patch)"
    assert event["agent"].startswith("museum-a/curator (key ")
    # and an audit entry: who, what, from where
    day = datetime.now(UTC).date().isoformat()
    audit = repo.get("admin", "/api/audit", params={"item": repo.ids["edit-title"], "day": day})
    entry = audit.json()["entries"][0]
    assert entry["action"] == "PATCH /api/items/{item_id}"
    assert entry["summary"] == "changed subjects, title"
    assert entry["actor"]["institution"] == "museum-a" and entry["actor"]["role"] == "curator"
    assert entry["actor"]["key_id"] in event["agent"]
    assert entry["client"] == "testclient"


def test_null_removes_a_field(repo: Repo) -> None:
    assert patch(repo, "edit-remove", {"description": {"zh": "库伦旗"}}).status_code == 200
    assert repo.record("edit-remove")["description"] == {"zh": "库伦旗"}
    response = patch(repo, "edit-remove", {"description": None})
    assert response.status_code == 200
    assert "description" not in repo.record("edit-remove")


def test_a_patch_that_changes_nothing_writes_nothing(repo: Repo) -> None:
    record = repo.record("edit-remove")
    response = patch(repo, "edit-remove", {"title": record["title"]})
    assert response.status_code == 200
    assert repo.record("edit-remove") == record


def test_if_match_is_required_and_must_be_current(repo: Repo) -> None:
    item = url(repo, "edit-title")
    stale = repo.etag("curator-a", "edit-title")
    missing = repo.patch("curator-a", item, {"subjects": ["x"]})
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["error"]["message"]
    anything = repo.patch("curator-a", item, {"subjects": ["x"]}, **{"If-Match": "*"})
    assert anything.status_code == 428
    assert patch(repo, "edit-title", {"subjects": ["琴"]}, **{"If-Match": stale}).status_code == 200
    refused = repo.patch("curator-a", item, {"subjects": ["y"]}, **{"If-Match": stale})
    assert refused.status_code == 412
    assert refused.headers["ETag"] == repo.etag("curator-a", "edit-title")
    assert repo.record("edit-title")["subjects"] == ["琴"]


def test_two_concurrent_patches_exactly_one_wins(repo: Repo) -> None:
    etag = repo.etag("curator-a", "edit-race")
    start = threading.Barrier(6)
    statuses: list[int] = []

    def edit(n: int) -> None:
        start.wait()
        response = repo.patch(
            "curator-a", url(repo, "edit-race"), {"subjects": [f"版本{n}"]}, **{"If-Match": etag}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412, 412, 412]
    record = repo.record("edit-race")
    edits = [e for e in record["events"] if e["type"] == "metadata-modification"]
    assert len(edits) == 1 and len(record["subjects"]) == 1


def test_an_edit_on_another_replica_in_between_is_never_written_over(repo: Repo) -> None:
    """Two API replicas share a store but not their locks: while this one is changing the item
    (between its read and its write) the other saves it. This one's write is refused with 412
    and the other's edit stands."""
    from api.operations.callers import Caller
    from api.operations.items import ItemLocks, WriteContext, change_item, record_etag
    from repository import RecordStore
    from schemas.errors import PreconditionFailed

    item_id = repo.ids["edit-replicas"]
    other_replica = RecordStore(repo.services.store)
    caller = Caller("k", INST_A, "curator")

    def meanwhile_elsewhere(record: dict[str, Any]) -> str:
        theirs = other_replica.load(item_id)
        other_replica.save({**theirs, "subjects": ["另一台服务器"]})
        record["subjects"] = ["这一台"]
        return "subjects"

    stored = repo.services.records.load(item_id)
    with pytest.raises(PreconditionFailed, match="someone else"):
        change_item(
            repo.services,
            ItemLocks(),
            item_id,
            WriteContext(caller, "pytest"),
            record_etag(stored),
            meanwhile_elsewhere,
            require_match=True,
        )
    assert repo.services.records.load(item_id)["subjects"] == ["另一台服务器"]


def test_patches_racing_on_two_replicas_exactly_one_wins(repo: Repo) -> None:
    """The same race as above through HTTP: two apps (two replicas, separate locks) on one
    store, six PATCHes with the same If-Match."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app

    with TestClient(create_app(repo.settings)) as replica:
        etag = repo.etag("curator-a", "edit-race-2")
        start = threading.Barrier(6)
        statuses: list[int] = []

        def edit(n: int) -> None:
            client = repo.client if n % 2 else replica
            headers = {**repo.headers("curator-a"), "If-Match": etag}
            headers["Content-Type"] = "application/merge-patch+json"
            start.wait()
            answer = client.patch(
                url(repo, "edit-race-2"), json={"subjects": [f"版本{n}"]}, headers=headers
            )
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [200, 412, 412, 412, 412, 412]
    record = repo.record("edit-race-2")
    edits = [e for e in record["events"] if e["type"] == "metadata-modification"]
    assert len(edits) == 1 and len(record["subjects"]) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "museum-a-more-000000000000"),
        ("files", []),
        ("collection", "elsewhere"),
        ("events", []),
        ("created", "2020-01-01T00:00:00Z"),
        ("status", "published"),
        ("institution", "library-b"),
    ],
)
def test_fields_the_repository_keeps_cannot_be_patched(repo: Repo, field: str, value: Any) -> None:
    before = repo.record("edit-title")
    response = patch(repo, "edit-title", {field: value})
    assert response.status_code == 422
    assert f"field '{field}'" in response.json()["error"]["message"]
    assert repo.record("edit-title") == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"title": {"zh": ""}}, "$.title.zh"),
        ({"title": None}, "$"),  # title is required
        ({"access": "secret"}, "$.access"),
        ({"embargo_until": "next year"}, "$.embargo_until"),
        ({"people": [{"name": "王老汉"}]}, "$.people[0]"),
        ({"region": {"name": "敖汉旗", "code": "12"}}, "$.region.code"),
        ({"category": "cooking"}, "$.category"),
        ({"unknown_field": 1}, "$"),
    ],
)
def test_a_patch_that_breaks_the_schema_names_the_json_path(
    repo: Repo, body: dict, path: str
) -> None:
    before = repo.record("edit-title")
    response = patch(repo, "edit-title", body)
    assert response.status_code == 422, response.text
    assert f"invalid at {path}:" in response.json()["error"]["message"]
    assert repo.record("edit-title") == before


@pytest.mark.parametrize("depth", [100_000, 300, 33])
def test_a_deeply_nested_patch_is_422_and_changes_nothing(repo: Repo, depth: int) -> None:
    """100 000 levels overflowed the JSON parser (a 500); 300 under `technical` (any keys) were
    stored, and every later GET of the item failed in the JSON serialiser."""
    before = repo.record("edit-title")
    body = b'{"technical": {"x": ' + b'{"a": ' * depth + b"1" + b"}" * (depth + 2)
    headers = repo.headers(
        "curator-a",
        **{
            "If-Match": repo.etag("curator-a", "edit-title"),
            "Content-Type": "application/merge-patch+json",
        },
    )
    response = repo.client.patch(url(repo, "edit-title"), content=body, headers=headers)
    assert response.status_code == 422, response.text[:300]
    assert "deeper than 32" in response.json()["error"]["message"]
    assert repo.record("edit-title") == before
    assert repo.get("curator-a", url(repo, "edit-title")).status_code == 200


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"title": {"zh": "\\ud800"}}', "$.title.zh"),  # no UTF-8 for it: saving failed (500)
        (b'{"description": {"zh": "a\\u0000b"}}', "$.description.zh"),  # stored; OAI-PMH failed
        (b'{"subjects": ["ok", "\\uffff"]}', "$.subjects[1]"),
        (b'{"technical": {"\\u0001": 1}}', "$.technical"),
    ],
)
def test_text_no_output_can_carry_is_422_naming_the_path(
    repo: Repo, body: bytes, path: str
) -> None:
    before = repo.record("edit-title")
    headers = repo.headers(
        "curator-a",
        **{
            "If-Match": repo.etag("curator-a", "edit-title"),
            "Content-Type": "application/merge-patch+json",
        },
    )
    response = repo.client.patch(url(repo, "edit-title"), content=body, headers=headers)
    assert response.status_code == 422, response.text[:300]
    assert f" at {path} holds " in response.json()["error"]["message"]
    assert repo.record("edit-title") == before


def test_the_content_type_must_be_merge_patch(repo: Repo) -> None:
    headers = repo.headers("curator-a", **{"If-Match": repo.etag("curator-a", "edit-title")})
    response = repo.client.patch(url(repo, "edit-title"), json={"subjects": []}, headers=headers)
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("actor", "name", "status"),
    [
        ("anonymous", "public-published", 401),
        ("archivist-a", "public-published", 403),  # role first
        ("curator-b", "public-published", 403),  # another institution's item it can see
        ("curator-b", "public-draft", 404),  # … and one it cannot
        ("curator-b", "restricted", 404),
        ("archivist-a", "restricted", 403),
        ("curator-a", "b-public", 403),
    ],
)
def test_who_may_edit(repo: Repo, actor: str, name: str, status: int) -> None:
    before = repo.record(name)
    etag = repo.etag("admin", name)
    response = repo.patch(actor, url(repo, name), {"subjects": ["x"]}, **{"If-Match": etag})
    assert response.status_code == status, response.text
    assert repo.record(name) == before


def test_an_admin_may_edit_any_institutions_item(repo: Repo) -> None:
    response = patch(repo, "b-public", {"subjects": ["龙灯"]}, actor="admin")
    assert response.status_code == 200
    assert repo.record("b-public")["events"][-1]["agent"].startswith("operator/admin (key env-")


def test_changing_access_takes_effect_at_once(repo: Repo) -> None:
    name = "edit-access"
    assert repo.ids[name] in search_ids(repo, "呼麦演唱", "archivist-a")
    assert patch(repo, name, {"access": "restricted"}).status_code == 200
    for actor in ("anonymous", "archivist-a", "curator-b"):
        assert repo.get(actor, url(repo, name)).status_code == 404
        assert repo.ids[name] not in search_ids(repo, "呼麦演唱", actor)
    assert repo.ids[name] in search_ids(repo, "呼麦演唱", "curator-a")
    assert patch(repo, name, {"embargo_until": "2999-01-01", "access": "public"}).status_code == 200
    assert repo.get("anonymous", url(repo, name)).status_code == 404
    assert repo.get("archivist-a", url(repo, name)).status_code == 200


def test_an_edit_adding_a_sensitive_term_holds_the_item_back(repo: Repo) -> None:
    name = "edit-screen"
    assert repo.get("anonymous", url(repo, name)).status_code == 200
    response = patch(repo, name, {"description": {"zh": "绣品中含有逝者的身份證號碼"}})
    assert response.status_code == 200
    record = response.json()
    assert record["status"] == "review"
    assert {"value": "needs-review:personal-data", "source": "derived", "by": "screening"} in (
        record["tags"]
    )
    edit, flag = record["events"][-2:]
    assert edit["type"] == "metadata-modification"
    assert (flag["type"], flag["outcome"], flag["agent"]) == (
        "review",
        "warning",
        "heritage-screening",
    )
    assert "身份证号 [personal-data] in description.zh" in flag["detail"]
    assert repo.get("anonymous", url(repo, name)).status_code == 404
    queue = repo.get("curator-a", "/api/review").json()
    assert {"id": repo.ids[name], "flags": ["personal-data"]}.items() <= next(
        i for i in queue["items"] if i["id"] == repo.ids[name]
    ).items()
    # a later edit elsewhere neither re-flags nor lets the flag be patched away
    again = patch(repo, name, {"subjects": ["刺绣"], "tags": []})
    assert again.status_code == 200
    assert [e["type"] for e in again.json()["events"][-1:]] == ["metadata-modification"]
    assert any(t["value"] == "needs-review:personal-data" for t in again.json()["tags"])


def test_a_patched_date_is_read_like_a_manifest_date(repo: Repo) -> None:
    """乾隆五十年 typed into an edit becomes EDTF 1785 with its years; a year the reign never had
    is a 422 that quotes it."""
    patched = patch(repo, "edit-date", {"date": "乾隆五十年"})
    assert patched.status_code == 200, patched.text
    date = patched.json()["date"]
    assert (date["edtf"], date["earliest"], date["latest"], date["display"]) == (
        "1785",
        1785,
        1785,
        "乾隆五十年",
    )
    refused = patch(repo, "edit-date", {"date": "乾隆七十年"})
    assert refused.status_code == 422
    assert "乾隆七十年" in refused.json()["error"]["message"]
