"""Review before publication end to end: the status workflow, who may decide, the queue, the
screening flags a person clears, and an item's event log telling its whole story."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.e2e.governance_support import Repo, governed_repository, ingest_rows

DRAFT = {"status": "draft", "access": "public"}
REVIEW = {"status": "review", "access": "public"}
EXTRA = {
    "wf-flow": (DRAFT, ("花儿会", "Hua'er festival")),
    "wf-invalid": (DRAFT, ("皮影雕刻", "Shadow puppet carving")),
    "wf-stale": (REVIEW, ("锣鼓经", "Gong and drum patterns")),
    "wf-queue-1": (REVIEW, ("花灯戏", "Lantern opera")),
    "wf-queue-2": (REVIEW, ("木版年画", "Woodblock new-year prints")),
    "wf-story": (DRAFT, ("古琴斫制", "Guqin making")),
}
OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("review"), EXTRA) as governed:
        yield governed


def decide(repo: Repo, name: str, status: str, actor: str = "curator-a", **extra: Any) -> Any:
    body = {"status": status, "reason": extra.pop("reason", f"checked for {status}")}
    return repo.post(actor, f"/api/items/{repo.ids[name]}/review", json=body, **extra)


def public(repo: Repo, name: str) -> bool:
    return repo.get("anonymous", f"/api/items/{repo.ids[name]}").status_code == 200


def test_draft_to_review_to_published_to_withdrawn(repo: Repo) -> None:
    name = "wf-flow"
    assert not public(repo, name)
    response = decide(repo, name, "review", reason="描述已核对")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "review"
    assert response.headers["ETag"] == repo.etag("curator-a", name)
    assert not public(repo, name)
    assert decide(repo, name, "published", reason="传承人已授权").status_code == 200
    assert public(repo, name)
    hits = repo.get("anonymous", "/api/search", params={"q": "花儿会"}).json()["items"]
    assert [hit["id"] for hit in hits] == [repo.ids[name]]
    assert decide(repo, name, "withdrawn", reason="权利人要求撤回").status_code == 200
    assert not public(repo, name)
    assert repo.get("anonymous", "/api/search", params={"q": "花儿会"}).json()["total"] == 0
    identifier = f"oai:heritage.test:{repo.ids[name]}"
    params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"}
    root = etree.fromstring(repo.get("anonymous", "/oai", params=params).content)
    assert root.find("o:GetRecord/o:record/o:header", OAI).get("status") == "deleted"
    events = repo.record(name)["events"]
    assert [(e["type"], e["detail"]) for e in events[-3:]] == [
        ("review", "draft → review: 描述已核对"),
        ("publication", "review → published: 传承人已授权"),
        ("withdrawal", "published → withdrawn: 权利人要求撤回"),
    ]
    assert all(e["agent"].startswith("museum-a/curator (key ") for e in events[-3:])


@pytest.mark.parametrize(
    ("target", "allowed"),
    [("published", "review"), ("withdrawn", "review"), ("draft", "review")],
)
def test_an_invalid_move_is_409_listing_the_allowed_ones(
    repo: Repo, target: str, allowed: str
) -> None:
    before = repo.record("wf-invalid")
    response = decide(repo, "wf-invalid", target)
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert f"is draft: it cannot move to {target}" in message
    assert message.endswith(f"allowed from draft: {allowed}")
    assert repo.record("wf-invalid") == before


@pytest.mark.parametrize(
    ("actor", "name", "status"),
    [
        ("curator-a", "b-public", 403),  # publishing (already published: 403 comes first)
        ("curator-a", "b-review", 404),  # B's unpublished item does not exist for A
        ("archivist-a", "public-draft", 403),  # an archivist cannot publish
        ("archivist-a", "restricted", 403),
        ("anonymous", "public-draft", 401),
        ("curator-b", "public-draft", 404),
    ],
)
def test_who_may_decide(repo: Repo, actor: str, name: str, status: int) -> None:
    before = repo.record(name)
    response = decide(repo, name, "published", actor=actor)
    assert response.status_code == status, response.text
    assert repo.record(name) == before


def test_a_decision_needs_a_reason_and_a_known_status(repo: Repo) -> None:
    url = f"/api/items/{repo.ids['wf-invalid']}/review"
    assert repo.post("curator-a", url, json={"status": "review"}).status_code == 422
    assert repo.post("curator-a", url, json={"status": "review", "reason": ""}).status_code == 422
    bad = repo.post("curator-a", url, json={"status": "gone", "reason": "x"})
    assert bad.status_code == 422 and "status" in bad.json()["error"]["message"]


def test_a_stale_if_match_is_refused(repo: Repo) -> None:
    etag = repo.etag("curator-a", "wf-stale")
    response = decide(repo, "wf-stale", "draft", headers={"If-Match": '"stale"'})
    assert response.status_code == 412
    assert decide(repo, "wf-stale", "draft", headers={"If-Match": etag}).status_code == 200


def queue(repo: Repo, actor: str, **params: Any) -> Any:
    return repo.get(actor, "/api/review", params=params)


def test_the_queue_lists_the_institutions_items_under_review(repo: Repo) -> None:
    mine = {repo.ids["wf-queue-1"], repo.ids["wf-queue-2"]}
    listed = queue(repo, "curator-a", size=100).json()
    assert mine <= {item["id"] for item in listed["items"]}
    assert {item["institution"] for item in listed["items"]} == {"museum-a"}
    assert all(item["status"] == "review" for item in listed["items"])
    b_queue = {item["id"] for item in queue(repo, "curator-b").json()["items"]}
    assert b_queue == {repo.ids["b-review"]}
    everyone = {item["id"] for item in queue(repo, "admin", size=100).json()["items"]}
    assert mine | b_queue <= everyone
    drafts = {item["id"] for item in queue(repo, "curator-a", status="draft").json()["items"]}
    assert repo.ids["public-draft"] in drafts and not drafts & mine


def test_the_queue_pages(repo: Repo) -> None:
    total = queue(repo, "curator-a").json()["total"]
    pages = [queue(repo, "curator-a", size=1, page=n).json() for n in range(1, total + 1)]
    assert all(len(page["items"]) == 1 and page["total"] == total for page in pages)
    assert len({page["items"][0]["id"] for page in pages}) == total
    assert queue(repo, "curator-a", size=1, page=total + 1).json()["items"] == []


@pytest.mark.parametrize(
    ("actor", "params", "status"),
    [
        ("anonymous", {}, 401),
        ("archivist-a", {}, 403),
        ("curator-a", {"institution": "library-b"}, 403),
        ("curator-a", {"institution": "museum-a"}, 200),
        ("admin", {"institution": "library-b"}, 200),
    ],
)
def test_who_may_see_the_queue(repo: Repo, actor: str, params: dict, status: int) -> None:
    assert queue(repo, actor, **params).status_code == status


def test_the_event_log_tells_the_whole_story(repo: Repo) -> None:
    name = "wf-story"
    url = f"/api/items/{repo.ids[name]}"
    assert decide(repo, name, "review", reason="初审").status_code == 200
    patched = repo.patch(
        "curator-a",
        url,
        {"description": {"zh": "斫琴师口述：木胎中曾发现遗骨"}},
        **{"If-Match": repo.etag("curator-a", name)},
    )
    assert patched.status_code == 200 and patched.json()["status"] == "review"
    published = decide(repo, name, "published", reason="遗骨仅为传说，可公开")
    assert published.status_code == 200
    assert not [t for t in published.json().get("tags", []) if t["value"].startswith("needs")]
    assert decide(repo, name, "withdrawn", reason="传承人要求暂缓").status_code == 200

    story = repo.get("curator-a", f"{url}/events").json()["events"]
    assert [e["type"] for e in story] == [
        "ingestion",
        "identification",
        "normalization",
        "validation",
        "review",
        "metadata-modification",
        "review",
        "publication",
        "withdrawal",
    ]
    assert story[0]["agent"] == "pytest-ingest"
    assert story[6]["agent"] == "heritage-screening" and "遗骨" in story[6]["detail"]
    assert "screening flags cleared: needs-review:human-remains" in story[7]["detail"]
    assert [e["time"] for e in story] == sorted(e["time"] for e in story)
    # only the owning institution reads it
    for actor in ("anonymous", "curator-b"):
        assert repo.get(actor, f"{url}/events").status_code == 404
    assert repo.get("admin", f"{url}/events").json()["events"] == story


# --- on ingest: the screen and each collection's default status ---------------------------------


def test_ingest_holds_a_flagged_item_back_and_a_rerun_changes_nothing(
    repo: Repo, tmp_path: Path
) -> None:
    rows = {"ing-flag": {"status": "published", "access": "public"}}
    titles = {"ing-flag": ("出土遺骸修复记录", "Restoration of excavated remains")}
    ids, _ = ingest_rows(repo.settings, tmp_path / "flag", rows, "museum-a-flags", titles)
    record = repo.services.records.load(ids["ing-flag"])
    assert record["status"] == "review"
    assert {"value": "needs-review:human-remains", "source": "derived", "by": "screening"} in (
        record["tags"]
    )
    last = record["events"][-1]
    assert (last["type"], last["agent"], last["outcome"]) == (
        "review",
        "heritage-screening",
        "warning",
    )
    assert "遗骸 [human-remains] in title.zh" in last["detail"]
    assert repo.get("anonymous", f"/api/items/{ids['ing-flag']}").status_code == 404
    assert ids["ing-flag"] in {i["id"] for i in queue(repo, "curator-a", size=100).json()["items"]}

    again, _ = ingest_rows(repo.settings, tmp_path / "flag", rows, "museum-a-flags", titles)
    assert repo.services.records.load(again["ing-flag"]) == record  # the manifest cannot publish

    repo.ids["ing-flag"] = ids["ing-flag"]
    assert decide(repo, "ing-flag", "published", reason="修复记录，可公开").status_code == 200
    published = repo.services.records.load(ids["ing-flag"])
    ingest_rows(repo.settings, tmp_path / "flag", rows, "museum-a-flags", titles)
    assert repo.services.records.load(ids["ing-flag"]) == published  # a person's decision stands


def test_a_collection_may_set_the_default_status(repo: Repo, tmp_path: Path) -> None:
    repo.services.records.save_collection(
        {"slug": "museum-a-reviewed", "title": {"en": "Reviewed"}, "default_status": "review"}
    )
    rows = {
        "ing-default": {"status": "", "access": "public"},
        "ing-given": {"status": "published", "access": "public"},
    }
    titles = {"ing-default": ("赛马", "Horse race"), "ing-given": ("摔跤", "Wrestling")}
    ids, _ = ingest_rows(repo.settings, tmp_path / "default", rows, "museum-a-reviewed", titles)
    assert repo.services.records.load(ids["ing-default"])["status"] == "review"
    assert repo.services.records.load(ids["ing-given"])["status"] == "published"
