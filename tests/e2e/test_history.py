"""An item's history end to end: versions kept by every save, who/when/what, a diff, restoring a
version (a new version; decisions not restored), deleting for good (410, tombstone, OAI-PMH
deleted, files removed unless another item names them), who may do each, and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner, Result

from api.cli.commands import app
from tests.e2e.governance_support import INST_A, Repo, governed_repository
from tests.support.ingesting import ingest_folder

PUBLIC = {"status": "published", "access": "public"}
EXTRA = {
    "hist-edit": (PUBLIC, ("花灯扎制", "Flower lantern making")),
    "hist-delete": (PUBLIC, ("高跷表演", "Stilt walking")),
    "hist-keep": (PUBLIC, ("社火脸谱", "Shehuo face painting")),
    "hist-private": ({"status": "published", "access": "institution"}, ("家谱", "Family tree")),
    "hist-cli": (PUBLIC, ("泥塑", "Clay figurines")),
    "hist-damaged": (PUBLIC, ("皮影", "Shadow puppets")),
}
OAI = "{http://www.openarchives.org/OAI/2.0/}"
PRIVATE_FILES: set[str] = set()  # hist-private's blobs, deleted with it


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("history"), EXTRA) as governed:
        yield governed


def item(repo: Repo, name: str) -> str:
    return f"/api/items/{repo.ids[name]}"


def patch(repo: Repo, name: str, body: Any, actor: str = "curator-a") -> Any:
    response = repo.patch(actor, item(repo, name), body, **{"If-Match": repo.etag(actor, name)})
    assert response.status_code == 200, response.text
    return response


def delete(repo: Repo, name: str, actor: str = "admin", **params: str) -> Any:
    headers = {"If-Match": repo.etag("admin", name)} if actor else {}
    return repo.client.delete(
        item(repo, name), params=params, headers=repo.headers(actor or "anonymous", **headers)
    )


def oai(repo: Repo, **params: str) -> etree._Element:
    response = repo.client.get("/oai", params=params)
    assert response.status_code == 200
    return etree.fromstring(response.content)


def header_of(tree: etree._Element, item_id: str) -> etree._Element | None:
    for header in tree.iter(f"{OAI}header"):
        if header.findtext(f"{OAI}identifier", "").endswith(f":{item_id}"):
            return header
    return None


def test_each_edit_is_a_version_with_who_when_what_and_a_diff(repo: Repo) -> None:
    original = repo.record("hist-edit")
    patch(repo, "hist-edit", {"title": {"zh": "花灯扎制技艺"}})
    patch(repo, "hist-edit", {"subjects": ["花灯"]})
    listed = repo.get("archivist-a", f"{item(repo, 'hist-edit')}/versions")
    assert listed.status_code == 200, listed.text
    versions = listed.json()["versions"]
    assert [v["n"] for v in versions] == [1, 2, 3]
    assert [v["current"] for v in versions] == [False, False, True]
    assert versions[0]["agent"] == original["events"][-1]["agent"]
    assert versions[0]["time"] == original["events"][-1]["time"]
    assert versions[1]["agent"].startswith(f"{INST_A}/curator (key ")
    assert versions[1]["change"] == "metadata-modification: changed title (JSON Merge Patch)"
    assert versions[2]["change"] == "metadata-modification: changed subjects (JSON Merge Patch)"

    first = repo.get("curator-a", f"{item(repo, 'hist-edit')}/versions/1")
    assert first.status_code == 200 and first.json() == original
    current = repo.get("curator-a", f"{item(repo, 'hist-edit')}/versions/3").json()
    assert current == repo.record("hist-edit")
    missing = repo.get("curator-a", f"{item(repo, 'hist-edit')}/versions/4")
    assert missing.status_code == 404 and "no version 4" in missing.text

    diff = repo.get("curator-a", f"{item(repo, 'hist-edit')}/diff", params={"from": 1, "to": 3})
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert body["added"] == {"subjects": ["花灯"]}
    assert body["removed"] == {}
    assert body["changed"]["title"] == {
        "before": original["title"],
        "after": {"zh": "花灯扎制技艺", "en": "Flower lantern making"},
    }
    # `modified` too, unless both writes fell in the same second
    assert (
        set(body["changed"])
        == {k for k in original if k in current and original[k] != current[k]}
        >= {"title", "events"}
    )
    # history is the institution's own: not the public's, not another institution's
    url = f"{item(repo, 'hist-edit')}/versions"
    assert repo.get("anonymous", url).status_code == 401
    assert repo.get("curator-b", url).status_code == 404
    assert repo.get("admin", url).status_code == 200


def test_restore_writes_a_new_version_and_leaves_the_decisions(repo: Repo) -> None:
    original = repo.record("hist-keep")
    patch(repo, "hist-keep", {"title": {"zh": "社火脸谱绘制"}, "access": "institution"})
    url = f"{item(repo, 'hist-keep')}/versions/1/restore"
    etag = repo.etag("curator-a", "hist-keep")
    assert repo.post("curator-a", url).status_code == 428
    stale = repo.post("curator-a", url, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert repo.post("archivist-a", url, headers={"If-Match": etag}).status_code == 403
    assert repo.post("curator-b", url, headers={"If-Match": etag}).status_code == 404
    assert repo.post("anonymous", url, headers={"If-Match": etag}).status_code == 401

    restored = repo.post("curator-a", url, headers={"If-Match": etag})
    assert restored.status_code == 200, restored.text
    assert restored.headers["ETag"] != etag
    record = repo.record("hist-keep")
    assert record["title"] == original["title"]
    assert record["access"] == "institution"  # a decision: changed only through review/edits
    assert record["status"] == "published"
    assert record["events"][-1]["detail"] == "restored version 1: changed title"
    versions = repo.get("curator-a", f"{item(repo, 'hist-keep')}/versions").json()["versions"]
    assert len(versions) == 3 and versions[-1]["change"].endswith(
        "restored version 1: changed title"
    )
    # re-indexed: the old title is found again (by the institution, the item is not public now)
    found = repo.get("curator-a", "/api/search", params={"q": "社火脸谱"}).json()["items"]
    assert [hit["id"] for hit in found] == [repo.ids["hist-keep"]]
    day = datetime.now(UTC).date().isoformat()
    audit = repo.get("admin", "/api/audit", params={"item": repo.ids["hist-keep"], "day": day})
    entry = audit.json()["entries"][0]
    assert entry["action"] == "POST /api/items/{item_id}/versions/{n}/restore"
    assert entry["summary"] == "restored version 1: changed title"


def test_delete_for_good(repo: Repo) -> None:
    victim = repo.record("hist-delete")
    item_id = victim["id"]
    keep = repo.record("hist-keep")
    # hist-keep names hist-delete's original too (as if the same file was ingested twice)
    shared = next(f for f in victim["files"] if f["role"] == "original")
    repo.services.records.save({**keep, "files": [*keep["files"], shared]})
    own = [f["key"] for f in victim["files"] if f["role"] != "original"]
    assert own and all(repo.services.store.stat(key) for key in own)
    patch(repo, "hist-delete", {"subjects": ["高跷"]})  # a version to remove too
    oai_before = header_of(oai(repo, verb="ListIdentifiers", metadataPrefix="oai_dc"), item_id)
    assert oai_before is not None and oai_before.get("status") is None

    assert delete(repo, "hist-delete", reason="").status_code == 422
    assert delete(repo, "hist-delete").status_code == 422  # the reason is required
    assert delete(repo, "hist-delete", actor="curator-a", reason="x").status_code == 403
    assert delete(repo, "hist-delete", actor="", reason="x").status_code == 401
    no_match = repo.client.delete(
        item(repo, "hist-delete"), params={"reason": "x"}, headers=repo.headers("admin")
    )
    assert no_match.status_code == 428

    done = delete(repo, "hist-delete", reason="the bearer asked to withdraw the recording")
    assert done.status_code == 200, done.text
    tombstone = repo.services.records.tombstone(item_id)
    assert tombstone is not None and tombstone == done.json()
    assert set(tombstone) == {
        "id", "collection", "institution", "deleted", "agent", "reason", "public"
    }  # fmt: skip
    assert tombstone["public"] is True and "title" not in tombstone

    # gone everywhere, to everyone (it was public)
    assert repo.get("anonymous", item(repo, "hist-delete")).status_code == 410
    assert repo.get("admin", item(repo, "hist-delete")).status_code == 410
    assert repo.get("anonymous", f"{item(repo, 'hist-delete')}/files/original").status_code == 410
    assert repo.get("anonymous", f"/iiif/{item_id}/manifest").status_code == 410
    assert repo.get("curator-a", f"{item(repo, 'hist-delete')}/versions").status_code == 410
    found = repo.get("admin", "/api/search", params={"q": "高跷表演"}).json()["items"]
    assert found == []
    # record, versions and unshared blobs removed; the shared original kept
    store = repo.services.store
    assert repo.services.records.get(item_id) is None
    assert repo.services.records.version_numbers(item_id) == []
    assert all(store.stat(key) is None for key in own)
    assert store.stat(shared["key"]) is not None
    # OAI-PMH: a deleted header, in lists and alone
    listed = header_of(oai(repo, verb="ListIdentifiers", metadataPrefix="oai_dc"), item_id)
    assert listed is not None and listed.get("status") == "deleted"
    identifier = listed.findtext(f"{OAI}identifier", "")
    alone = oai(repo, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    header = header_of(alone, item_id)
    assert header is not None and header.get("status") == "deleted"
    assert alone.find(f".//{OAI}metadata") is None
    # the audit log keeps who and why
    day = datetime.now(UTC).date().isoformat()
    audit = repo.get("admin", "/api/audit", params={"item": item_id, "day": day})
    entry = audit.json()["entries"][0]
    assert entry["action"] == "DELETE /api/items/{item_id}"
    assert "the bearer asked" in entry["summary"]


def test_deleting_an_item_the_public_never_saw_tells_the_public_nothing(repo: Repo) -> None:
    item_id = repo.ids["hist-private"]
    PRIVATE_FILES.update(f["key"] for f in repo.record("hist-private")["files"])
    assert delete(repo, "hist-private", reason="duplicate").status_code == 200
    assert not any(repo.services.store.stat(key) for key in PRIVATE_FILES)
    assert repo.get("anonymous", item(repo, "hist-private")).status_code == 404
    assert repo.get("curator-b", item(repo, "hist-private")).status_code == 404
    assert repo.get("archivist-a", item(repo, "hist-private")).status_code == 410
    assert header_of(oai(repo, verb="ListIdentifiers", metadataPrefix="oai_dc"), item_id) is None


def heritage(repo: Repo, *args: str, stdin: str | None = None) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env |= {
        "HERITAGE_DATA_DIR": str(repo.settings.data_dir),
        "HERITAGE_STORAGE": "local",
        "HERITAGE_SEARCH": "sqlite",
    }
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def test_cli_history_and_delete(repo: Repo) -> None:
    item_id = repo.ids["hist-cli"]
    patch(repo, "hist-cli", {"title": {"zh": "泥塑彩绘"}})
    listed = heritage(repo, "history", item_id)
    assert listed.exit_code == 0, listed.output
    assert "2 versions" in listed.stdout and "changed title" in listed.stdout
    assert heritage(repo, "history", "no-such-item").exit_code == 2

    refused = heritage(repo, "delete", item_id, "--reason", "asked", stdin="n\n")
    assert refused.exit_code == 1 and repo.services.records.get(item_id) is not None
    done = heritage(repo, "delete", item_id, "--reason", "the bearer asked", stdin="y\n")
    assert done.exit_code == 0, done.output
    assert repo.services.records.get(item_id) is None
    tombstone = repo.services.records.tombstone(item_id)
    assert tombstone is not None and "/admin (key cli:" in tombstone["agent"]
    again = heritage(repo, "delete", item_id, "--reason", "x", "--yes")
    assert again.exit_code == 2 and "deleted for good" in again.stderr
    assert heritage(repo, "history", item_id).exit_code == 2


def test_a_re_ingest_does_not_bring_a_deleted_item_back(repo: Repo) -> None:
    item_id = repo.ids["hist-private"]
    assert repo.services.records.tombstone(item_id) is not None  # deleted above
    root = repo.settings.data_dir.parent
    report = ingest_folder(
        repo.settings,
        root / "c",
        root / "museum-a-more.csv",
        "museum-a-more",
        institution=INST_A,
        expect_failures=True,
    )
    refused = {o.id: o for o in report.items if o.outcome == "failed"}
    assert item_id in refused, report.to_dict()
    assert "was deleted for good on" in (refused[item_id].reason or "")
    assert repo.services.records.get(item_id) is None
    assert repo.get("archivist-a", item(repo, "hist-private")).status_code == 410
    # hist-delete's original is hist-keep's too (see above): a duplicate, not a new item
    outcomes = {o.source: o.outcome for o in report.items}
    assert outcomes["hist-delete.png"] == "duplicate"
    assert repo.services.records.get(repo.ids["hist-delete"]) is None
    # what the workers stored for it again is removed at the end of the run
    assert PRIVATE_FILES and not any(repo.services.store.stat(key) for key in PRIVATE_FILES)


def test_a_damaged_version_stops_a_deletion_before_anything_changes(repo: Repo) -> None:
    """The item's own versions are read before the tombstone is written: a damaged one used to
    leave a tombstone beside a live record (and a traceback)."""
    from repository.keys import version_key

    patch(repo, "hist-damaged", {"subjects": ["皮影"]})
    item_id = repo.ids["hist-damaged"]
    repo.services.store.put_bytes(version_key(item_id, 1), b'{"id": "cut sh')
    answer = delete(repo, "hist-damaged", reason="a bearer asked")
    assert answer.status_code == 503, answer.text
    assert repo.services.records.tombstone(item_id) is None
    assert repo.services.records.get(item_id) is not None
    listed = repo.get("curator-a", f"{item(repo, 'hist-damaged')}/versions")
    assert listed.status_code == 503, listed.text  # said, not a traceback
