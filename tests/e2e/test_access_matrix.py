"""Who sees what, cell by cell: every actor × every access level × every route that reveals
anything. A hidden item must look exactly like a missing one (404, no hit, no count).

Semantics under test (docs/governance.md):
- anonymous: published + public + no embargo in the future;
- archivist of A: that, plus A's items at every level except `restricted`, whatever the status;
- curator of A: that, plus A's restricted items;
- curator of B: what the public sees of A;
- admin: everything.
OAI-PMH is a public harvesting interface: it shows the public set to every caller.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lxml import etree

from api.http.routes.insights import TABLES
from api.operations.callers import Caller
from api.operations.jobs import Job, JobStore, new_job_id
from repository import now_iso
from repository.apikeys import KeyStore
from tests.e2e.governance_support import (
    INST_A,
    LEVELS,
    Repo,
    governed_repository,
)

ACTORS = ("anonymous", "archivist-a", "curator-a", "curator-b", "admin")
EVERY_LEVEL = frozenset(LEVELS)
SEES: dict[str, frozenset[str]] = {
    "anonymous": frozenset({"public-published"}),
    "archivist-a": EVERY_LEVEL - {"restricted"},
    "curator-a": EVERY_LEVEL,
    "curator-b": frozenset({"public-published"}),
    "admin": EVERY_LEVEL,
}
OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}


HIDDEN_COLLECTION = "museum-a-more"  # where governed_repository puts the `extra` items
HIDDEN_TITLES = {"zh": "秘藏草稿专辑", "en": "Closed drafts portfolio"}
EXTRA = {
    "closed-draft": ({"status": "draft", "access": "restricted"}, ("闭门草稿", "Closed draft")),
}
"""A collection holding only a restricted draft: its slug and title are as hidden as the draft."""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    with governed_repository(tmp_path_factory.mktemp("matrix"), extra=EXTRA) as governed:
        described = {"slug": HIDDEN_COLLECTION, "title": HIDDEN_TITLES, "institution": INST_A}
        governed.services.records.save_collection(described)
        yield governed


# --- one probe per route: True = the item is revealed, False = it is not (asserting how) --------


def search_hit(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, "/api/search", params={"q": repo.title(level), "size": 100})
    assert response.status_code == 200
    return repo.ids[level] in {item["id"] for item in response.json()["items"]}


def facet_count(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, "/api/search", params={"facets": "region", "size": 1})
    assert response.status_code == 200
    counts = {v["value"]: v["count"] for v in response.json()["facets"]["region"]}
    count = counts.get(repo.region(level), 0)
    assert count in (0, 1)
    return count == 1


def item_json(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/api/items/{repo.ids[level]}")
    if response.status_code == 404:
        assert "ETag" not in response.headers
        return False
    assert response.status_code == 200
    assert response.json()["id"] == repo.ids[level]
    return True


def item_file(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/api/items/{repo.ids[level]}/files/original")
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.content == repo.originals[level]
    return True


def item_rdf(repo: Repo, actor: str, level: str) -> bool:
    url = f"/api/items/{repo.ids[level]}"
    response = repo.get(actor, url, headers={"Accept": "text/turtle"})
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert repo.ids[level] in response.text
    return True


def item_page(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/items/{repo.ids[level]}", headers={"Accept": "text/html"})
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert repo.title(level) in response.text
    return True


def iiif_manifest(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/iiif/{repo.ids[level]}/manifest")
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.json()["type"] == "Manifest"
    return True


def iiif_image(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/iiif/image/{repo.ids[level]}/full/max/0/default.jpg")
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    # Only what anyone may see may sit in a shared cache.
    public = level == "public-published"
    assert response.headers["cache-control"].startswith("public" if public else "private")
    return True


def iiif_collection(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, "/iiif/collection/museum-a-items")
    assert response.status_code == 200  # the public-published item is always a member
    members = {m["id"].rsplit("/", 2)[-2] for m in response.json()["items"]}
    return repo.ids[level] in members


def oai_get_record(repo: Repo, actor: str, level: str) -> bool:
    identifier = f"oai:heritage.test:{repo.ids[level]}"
    params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"}
    response = repo.get(actor, "/oai", params=params)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    error = root.find("o:error", OAI)
    if error is not None:
        assert error.get("code") == "idDoesNotExist"
        return False
    assert root.find("o:GetRecord/o:record/o:header/o:identifier", OAI).text == identifier
    return True


def csv_export(repo: Repo, actor: str, level: str) -> bool:
    params = {"q": repo.title(level), "format": "csv"}
    response = repo.get(actor, "/api/search", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return any(repo.ids[level] in row for row in rows[1:])


def item_events(repo: Repo, actor: str, level: str) -> bool:
    response = repo.get(actor, f"/api/items/{repo.ids[level]}/events")
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.json()["events"][0]["type"] == "ingestion"
    return True


def item_history(repo: Repo, actor: str, level: str) -> bool:
    """Versions, one version and a diff: all three answer alike (401 without a key)."""
    base = f"/api/items/{repo.ids[level]}"
    answers = [
        repo.get(actor, f"{base}/versions"),
        repo.get(actor, f"{base}/versions/1"),
        repo.get(actor, f"{base}/diff", params={"from": 1, "to": 1}),
    ]
    statuses = {response.status_code for response in answers}
    if statuses <= {401, 404}:
        return False
    assert statuses == {200}, statuses
    assert answers[0].json()["versions"][0]["n"] == 1
    assert answers[1].json()["id"] == repo.ids[level]
    return True


def item_related(repo: Repo, actor: str, level: str) -> bool:
    """An item's related items are answered only to who may see the item (each of them is
    checked in tests/conformance/test_related_items.py)."""
    response = repo.get(actor, f"/api/items/{repo.ids[level]}/related")
    if response.status_code == 404:
        return False
    assert response.status_code == 200
    assert response.json()["item"] == repo.ids[level]
    return True


ROUTES: dict[str, Callable[[Repo, str, str], bool]] = {
    "search hit": search_hit,
    "facet count": facet_count,
    "item JSON": item_json,
    "file": item_file,
    "RDF": item_rdf,
    "item page": item_page,
    "IIIF manifest": iiif_manifest,
    "IIIF image": iiif_image,
    "IIIF collection": iiif_collection,
    "OAI GetRecord": oai_get_record,
    "CSV export": csv_export,
    "events": item_events,
    "history": item_history,
    "related items": item_related,
}


def expected(route: str, actor: str, level: str) -> bool:
    if route == "OAI GetRecord":
        return level == "public-published"
    if route in ("events", "history"):  # the owning institution (and admins) only
        return level in SEES[actor] and actor in ("archivist-a", "curator-a", "admin")
    return level in SEES[actor]


CELLS = [(r, a, lv) for r in ROUTES for a in ACTORS for lv in LEVELS]


@pytest.mark.parametrize(("route", "actor", "level"), CELLS, ids=["/".join(c) for c in CELLS])
def test_cell(repo: Repo, route: str, actor: str, level: str) -> None:
    assert ROUTES[route](repo, actor, level) is expected(route, actor, level)


# --- share links: who may make one, and the one deliberate exception they are ------------------

SHARERS = {"curator-a": 200, "admin": 200, "anonymous": 401, "archivist-a": 403}


@pytest.mark.parametrize(("actor", "level"), [(a, lv) for a in ACTORS for lv in LEVELS])
def test_who_may_make_a_share_link(repo: Repo, actor: str, level: str) -> None:
    response = repo.post(actor, f"/api/items/{repo.ids[level]}/share")
    if actor in SHARERS:
        assert response.status_code == SHARERS[actor], response.text
    else:  # another institution's curator: 403 on what it can see, 404 on what it cannot
        assert response.status_code == (403 if level in SEES[actor] else 404)


def test_a_share_link_grants_exactly_its_one_item(repo: Repo) -> None:
    made = repo.post("curator-a", f"/api/items/{repo.ids['restricted']}/share")
    assert made.status_code == 200
    path = made.json()["url"].removeprefix("http://heritage.test")
    shared = repo.client.get(path)
    assert shared.status_code == 200
    assert shared.json()["id"] == repo.ids["restricted"]
    assert repo.client.get(f"{path}/files/original").content == repo.originals["restricted"]
    # the token opens nothing else
    assert repo.get("anonymous", f"/api/items/{repo.ids['restricted']}").status_code == 404


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-key"},
        {"X-API-Key": "hk_0123456789ab_" + "A" * 43},
        {"Authorization": "Bearer " + "bootstrap-admin-token-for-tests" + "x"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/search"), ("GET", "/api/items/{id}"), ("POST", "/api/items/{id}/review")],
)
def test_a_wrong_key_is_refused_on_reads_and_writes(
    repo: Repo, headers: dict[str, str], method: str, path: str
) -> None:
    url = path.format(id=repo.ids["public-published"])
    body = {"status": "withdrawn", "reason": "test"}
    response = repo.client.request(method, url, headers=headers, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_refused(repo: Repo) -> None:
    keys = KeyStore(repo.services.store)
    key, token = keys.create(INST_A, "curator", "to be revoked")
    keys.revoke(key.id)
    url = f"/api/items/{repo.ids['restricted']}"
    response = repo.client.get(url, headers={"X-API-Key": token})
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_stored_admin_key_sees_and_acts_for_every_institution(repo: Repo) -> None:
    for level in LEVELS:
        assert repo.get("admin-key", f"/api/items/{repo.ids[level]}").status_code == 200
    assert repo.get("admin-key", f"/api/items/{repo.ids['b-restricted']}").status_code == 200
    assert repo.get("admin-key", "/api/audit").status_code == 200


@pytest.mark.parametrize("actor", ["anonymous", "archivist-a", "curator-a", "curator-b"])
def test_only_admins_read_the_audit_log(repo: Repo, actor: str) -> None:
    assert repo.get(actor, "/api/audit").status_code == (401 if actor == "anonymous" else 403)


def _ids(response: Any) -> set[str]:
    return {item["id"] for item in response.json()["items"]}


def test_other_institutions_see_their_own_hidden_items_not_a_s(repo: Repo) -> None:
    seen_by_b = _ids(repo.get("curator-b", "/api/search", params={"size": 100}))
    assert {repo.ids["b-review"], repo.ids["b-restricted"]} <= seen_by_b
    assert seen_by_b & {repo.ids[lv] for lv in LEVELS} == {repo.ids["public-published"]}
    archivist_b = _ids(repo.get("archivist-b", "/api/search", params={"size": 100}))
    assert repo.ids["b-review"] in archivist_b
    assert repo.ids["b-restricted"] not in archivist_b


def test_collections_count_only_what_the_caller_may_see(repo: Repo) -> None:
    def count(actor: str) -> int:
        listed = repo.get(actor, "/api/collections").json()["collections"]
        return next((c["count"] for c in listed if c["slug"] == "museum-a-items"), 0)

    assert {actor: count(actor) for actor in ACTORS} == {
        actor: len(SEES[actor]) for actor in ACTORS
    }


def test_the_matrix_covers_every_route_that_reveals_an_item(repo: Repo) -> None:
    """A new public route naming an item must be added to this matrix (or to this list)."""
    probed = {
        "/api/items/{item_id}",  # item JSON and RDF
        "/api/items/{item_id}/files/{role}",
        "/api/items/{item_id}/events",
        "/api/items/{item_id}/versions",
        "/api/items/{item_id}/versions/{n}",
        "/api/items/{item_id}/diff",
        "/api/items/{item_id}/related",
        "/iiif/{item_id}/manifest",
        "/iiif/{item_id}/annotations/p{page}",  # the manifest's check (tests/e2e/test_ocr.py)
        "/iiif/image/{identifier}/info.json",  # same record check as the image request
        "/iiif/image/{identifier}/{region}/{size}/{rotation}/{quality_format}",
        "/iiif/collection/{slug}",
        # an exhibition's manifest leaves out every entry the public may not see, whoever asks
        # (tests/e2e/test_exhibitions.py)
        "/iiif/exhibitions/{slug}/manifest",
        "/share/{token}",  # the deliberate exception, tested above
        "/share/{token}/files/{role}",
        # Upload jobs and their reports: the submitter, its institution's curators and admins,
        # 404 to everyone else; hidden items withheld (below, and tests/e2e/test_ingest_api.py).
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/report",
    }
    paths = repo.client.get("/openapi.json").json()["paths"]
    naming = {p for p, ops in paths.items() if "get" in ops and ("{" in p)}
    assert naming <= probed, naming - probed


def test_writes_of_other_routes_are_audited_too(repo: Repo) -> None:
    """Share links are made by another module: the audit middleware logs them all the same."""
    item = repo.ids["institution"]
    assert repo.post("curator-a", f"/api/items/{item}/share").status_code == 200
    assert repo.post("archivist-a", f"/api/items/{item}/share").status_code == 403  # refused
    entries = repo.get("admin", "/api/audit", params={"item": item}).json()["entries"]
    shares = [e for e in entries if e["action"] == "POST /api/items/{item_id}/share"]
    assert shares[0]["actor"]["role"] == "curator"  # newest first
    assert shares[0]["actor"]["institution"] == INST_A and shares[0]["client"] == "testclient"
    assert "archivist" not in {e["actor"]["role"] for e in shares}  # refused: nothing written
    reads = repo.get("admin", "/api/audit").json()["entries"]
    assert not [e for e in reads if e["action"].startswith("GET ")]


# --- collections: named only to those who see one of their items -------------------------------


def _titled(text: str) -> bool:
    return any(title in text for title in HIDDEN_TITLES.values())


def home_page(repo: Repo, actor: str) -> bool:
    pages = [repo.get(actor, "/", params={"lang": lang}) for lang in ("zh", "en")]
    assert all(page.status_code == 200 for page in pages)
    return any(_titled(page.text) for page in pages)


def chosen_collection(repo: Repo, actor: str) -> bool:
    """A visitor typing the slug into the URL learns nothing it did not type."""
    page = repo.get(actor, "/", params={"collection": HIDDEN_COLLECTION, "lang": "en"})
    assert page.status_code == 200
    return _titled(page.text)


def collections_api(repo: Repo, actor: str) -> bool:
    listed = repo.get(actor, "/api/collections").json()["collections"]
    return HIDDEN_COLLECTION in {c["slug"] for c in listed} or _titled(json.dumps(listed))


def oai_sets(repo: Repo, actor: str) -> bool:
    response = repo.get(actor, "/oai", params={"verb": "ListSets"})
    return HIDDEN_COLLECTION in response.text or _titled(response.text)


def iiif_collection_of_it(repo: Repo, actor: str) -> bool:
    response = repo.get(actor, f"/iiif/collection/{HIDDEN_COLLECTION}")
    assert response.status_code in (200, 404)
    return response.status_code == 200


def search_facet(repo: Repo, actor: str) -> bool:
    facet = repo.get(actor, "/api/search", params={"facets": "collection"}).json()["facets"]
    return HIDDEN_COLLECTION in {v["value"] for v in facet["collection"]}


COLLECTION_ROUTES: dict[str, Callable[[Repo, str], bool]] = {
    "home page": home_page,
    "chosen facet": chosen_collection,
    "/api/collections": collections_api,
    "OAI ListSets": oai_sets,
    "IIIF collection": iiif_collection_of_it,
    "search facet": search_facet,
}
SEES_THE_DRAFT = {"curator-a", "admin"}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", COLLECTION_ROUTES)
def test_a_collection_is_named_only_to_who_sees_an_item_of_it(
    repo: Repo, route: str, actor: str
) -> None:
    public_harvest = route == "OAI ListSets"  # the public set, for every caller
    expected = actor in SEES_THE_DRAFT and not public_harvest
    assert COLLECTION_ROUTES[route](repo, actor) is expected


# --- upload jobs: the submitter, the institution's curators, admins; hidden items withheld -------


@pytest.fixture(scope="module")
def job(repo: Repo) -> str:
    """A job an archivist of A submitted, whose report is the real one the pipeline stored when
    it ingested A's items at every level (the restricted one among them)."""
    key, repo.tokens["submitter"] = KeyStore(repo.services.store).create(
        INST_A, "archivist", "pytest submitter"
    )
    store = repo.services.store
    reports = [json.loads(store.get_bytes(k)) for k in store.list("reports/")]
    report = next(r for r in reports if r["collection"] == "museum-a-items")
    assert {item["id"] for item in report["items"]} == {repo.ids[level] for level in LEVELS}
    submitted = Job(
        id=new_job_id(),
        collection="museum-a-items",
        institution=INST_A,
        agent=Caller(key.id, INST_A, "archivist").agent,
        submitted=now_iso(),
        files=[f"{level}.png" for level in LEVELS],
        state="done",
        report=report["job_id"],
    )
    JobStore(store).save(submitted)
    return submitted.id


JOB_READERS = {  # actor -> the levels whose items its view of the job names (None: 404)
    "anonymous": None,
    "archivist-a": None,  # a colleague's job may hold restricted items
    "submitter": EVERY_LEVEL - {"restricted"},  # its own job, less what it may not see
    "curator-a": EVERY_LEVEL,
    "curator-b": None,
    "archivist-b": None,
    "admin": EVERY_LEVEL,
}


@pytest.mark.parametrize("path", ["", "/report"])
@pytest.mark.parametrize("actor", JOB_READERS)
def test_a_job_is_read_by_its_submitter_and_curators_and_names_only_visible_items(
    repo: Repo, job: str, actor: str, path: str
) -> None:
    response = repo.get(actor, f"/api/jobs/{job}{path}")
    levels = JOB_READERS[actor]
    if levels is None:
        assert response.status_code == 404
        assert repo.ids["restricted"] not in response.text
        return
    assert response.status_code == 200
    body = response.json()
    assert {item["id"] for item in body["items"]} == {repo.ids[level] for level in levels}
    assert body.get("withheld", 0) == len(EVERY_LEVEL - levels)
    if levels != EVERY_LEVEL:
        assert repo.ids["restricted"] not in response.text
        assert "restricted.png" not in json.dumps(body["items"])


# --- the demand map: only the public's searches, counted from the public's view ----------------


def test_staff_searches_never_reach_another_institutions_demand_map(repo: Repo) -> None:
    title, region = repo.title("restricted"), repo.region("restricted")
    for params in ({"q": title}, {"q": f"{title} 影像"}, {"region": region}):
        assert repo.get("curator-a", "/", params=params).status_code == 200
    beacon = repo.post("curator-a", "/api/insights/searches", json={"query": f"q={title}"})
    assert beacon.status_code == 202 and beacon.json() == {"logged": False}
    assert repo.get("anonymous", "/", params={"q": title}).status_code == 200
    report = repo.get("curator-b", "/api/insights")
    assert report.status_code == 200
    data = report.json()
    top = {row["query"]: row for row in data["top_queries"]}
    assert top[title]["searches"] == 1 and top[title]["avg_results"] == 0  # the public's search
    assert f"{title} 影像" not in top
    views = [report.text, repo.get("curator-b", "/insights").text]
    views += [repo.get("curator-b", f"/insights/export.csv?table={t}").text for t in TABLES]
    for view in views:
        assert region not in view
