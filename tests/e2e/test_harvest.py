"""Harvesting between two of our own servers: two data dirs, two uvicorn processes. Ingest into
A, harvest A into B with the `heritage harvest` command, find the items with B's search, re-harvest
(nothing changes), edit and withdraw in A, harvest again (B follows)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from api.protocols.harvest import HarvestState, harvest, local_id
from api.services import Services
from repository import LocalStore, make_event, now_iso
from tests.e2e.sharing_support import (
    MEDIA_COLLECTION,
    Corpus,
    LiveServer,
    live_server,
    make_settings,
    name_institution,
    run_heritage,
    shared_corpus,
)

TARGET = "from-a"
A_NAMES = {"zh": "蔚县文化馆", "en": "Yuxian Culture Centre"}
"""The names of A's institution (wx-centre, the corpus's), from its authority record."""


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    corpus: Corpus  # A's data
    b_dir: Path

    def b_id(self, key: str) -> str:
        return local_id(TARGET, f"oai:127.0.0.1:{self.corpus.ids[key]}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("harvest")
    corpus = shared_corpus().copy(root / "a" / "data")
    name_institution(corpus.data_dir, "wx-centre", A_NAMES)
    b_dir = root / "b" / "data"
    b_dir.mkdir(parents=True)
    with live_server(corpus.data_dir, oai_page_size=3) as a, live_server(b_dir) as b:
        yield Pair(a, b, corpus, b_dir)


def search_b(pair: Pair, query: str) -> dict:
    status, _, body = pair.b.get(f"/api/search?{query}")
    assert status == 200, body
    return json.loads(body)


def b_records(pair: Pair) -> dict[str, dict]:
    services = Services.from_settings(make_settings(pair.b_dir))
    try:
        return {record["id"]: record for record in services.records}
    finally:
        services.close()


def test_1_first_harvest_brings_every_public_item_and_its_files(pair: Pair) -> None:
    result = run_heritage(pair.b_dir, "harvest", f"{pair.a.url}/oai", "--collection", TARGET)
    assert result.returncode == 0, result.stdout + result.stderr
    visible = len(pair.corpus.visible)
    assert f"{visible} added, 0 updated, 0 unchanged, 0 withdrawn, 0 failed" in result.stdout
    assert "(edm)" in result.stdout
    found = search_b(pair, f"collection={TARGET}&size=100")
    assert {item["id"] for item in found["items"]} == {
        pair.b_id(k) for k in ("P1", "P2", "G1", "O1", "V1", "A1")
    }
    hits = search_b(pair, urlencode({"q": "剪纸"}))
    assert pair.b_id("P1") in {item["id"] for item in hits["items"]}
    records = b_records(pair)
    assert len(records) == visible  # nothing hidden or withdrawn at A came over
    p1 = records[pair.b_id("P1")]
    assert p1["title"] == {
        "zh": "蔚县剪纸《戏曲人物》",
        "en": "Yuxian paper cutting: opera figures",
    }
    assert p1["category"] == "traditional-art"
    assert p1["region"]["name"] == "河北省蔚县"
    assert p1["people"][0]["role"] == "bearer" and p1["people"][0]["level"] == "national"
    assert p1["rights"]["license"] == "http://creativecommons.org/licenses/by/4.0/"
    assert p1["date"]["edtf"] == "1985"
    # governance stays here: B's institution owns the copy; A's institution is a description,
    # by its name (A's edm:dataProvider: one, the Chinese name), never its code
    a_institution = json.loads(pair.a.get(f"/api/items/{pair.corpus.ids['P1']}")[2])["institution"]
    assert p1["institution"] == make_settings(pair.b_dir).institution != a_institution
    providers = [t["value"] for t in p1["tags"] if t["scheme"] == "edm:dataProvider"]
    assert providers == [A_NAMES["zh"]]
    assert {
        "value": A_NAMES["zh"],
        "source": "given",
        "by": "oai-pmh",
        "scheme": "edm:dataProvider",
    } in (p1["tags"])
    # files: fetched from A, byte-identical, each role's files in the same order
    status, _, a_json = pair.a.get(f"/api/items/{pair.corpus.ids['P2']}")
    a_files = json.loads(a_json)["files"]
    b_files = records[pair.b_id("P2")]["files"]

    def by_role(files: list[dict]) -> dict[str, list[str]]:
        roles: dict[str, list[str]] = {}
        for file in files:
            roles.setdefault(file["role"], []).append(file["sha256"])
        return roles

    assert by_role(b_files) == by_role(a_files)
    assert len(by_role(b_files)["access"]) == 2
    _, _, a_access = pair.a.get(f"/api/items/{pair.corpus.ids['P1']}/files/access")
    status, _, b_access = pair.b.get(f"/api/items/{pair.b_id('P1')}/files/access")
    assert status == 200 and b_access == a_access
    video = records[pair.b_id("V1")]
    assert video["media_type"] == "video"
    assert {f["role"] for f in video["files"]} == {"original", "access", "poster", "thumbnail"}


def test_2_harvesting_again_changes_nothing(pair: Pair, tmp_path: Path) -> None:
    before = b_records(pair)
    result = run_heritage(pair.b_dir, "harvest", f"{pair.a.url}/oai", "--collection", TARGET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 added, 0 updated" in result.stdout and "0 files fetched" in result.stdout
    assert b_records(pair) == before
    # a full re-harvest (no remembered datestamp) finds every record unchanged, rewrites none
    services = Services.from_settings(make_settings(pair.b_dir))
    try:
        report = harvest(
            f"{pair.a.url}/oai",
            set_spec=None,
            collection=TARGET,
            store=services.store,
            records=services.records,
            index=services.index,
            institution=services.settings.institution,
            state=HarvestState(LocalStore(tmp_path / "fresh-state")),
        )
    finally:
        services.close()
    assert report.harvested_from is None
    assert (report.added, report.updated, report.failed) == ([], [], [])
    assert len(report.unchanged) == len(before) and report.files_fetched == 0
    assert b_records(pair) == before


def test_2b_a_copy_deleted_here_for_good_is_not_harvested_again(pair: Pair, tmp_path: Path) -> None:
    from api.operations.callers import Caller
    from api.operations.history import delete_for_good
    from api.operations.items import ItemLocks, WriteContext, record_etag

    services = Services.from_settings(make_settings(pair.b_dir))
    try:
        copy = services.records.load(pair.b_id("A1"))
        admin = Caller("pytest", services.settings.institution, "admin")
        delete_for_good(
            services,
            ItemLocks(),
            copy["id"],
            WriteContext(admin, "pytest"),
            record_etag(copy),
            "the bearer asked",
        )
        report = harvest(
            f"{pair.a.url}/oai",
            set_spec=None,
            collection=TARGET,
            store=services.store,
            records=services.records,
            index=services.index,
            institution=services.settings.institution,
            state=HarvestState(LocalStore(tmp_path / "fresh-state")),
        )
    finally:
        services.close()
    assert report.deleted_here == [copy["id"]] and copy["id"] not in report.added
    assert "1 deleted here for good (not taken again)" in report.summary()
    assert copy["id"] not in b_records(pair)


def test_3_edits_and_withdrawals_at_the_source_follow(pair: Pair) -> None:
    time.sleep(1.1)  # the edits get a datestamp after the last harvest began
    services = Services.from_settings(pair.corpus.settings())
    try:
        p1 = services.records.load(pair.corpus.ids["P1"])
        p1["title"]["en"] = "Yuxian paper cutting: opera figures (revised)"
        o1 = services.records.load(pair.corpus.ids["O1"])
        o1["status"] = "withdrawn"
        for record, kind in ((p1, "metadata-modification"), (o1, "withdrawal")):
            record["modified"] = now_iso()
            record["events"].append(make_event(kind, "pytest"))
            services.records.save(record)
            services.index.index([record])
    finally:
        services.close()
    result = run_heritage(pair.b_dir, "harvest", f"{pair.a.url}/oai", "--collection", TARGET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 added, 1 updated" in result.stdout and "1 withdrawn" in result.stdout
    records = b_records(pair)
    assert records[pair.b_id("P1")]["title"]["en"].endswith("(revised)")
    assert records[pair.b_id("O1")]["status"] == "withdrawn"
    assert pair.b.get(f"/api/items/{pair.b_id('O1')}")[0] == 404
    found = search_b(pair, "q=revised")
    assert [item["id"] for item in found["items"]] == [pair.b_id("P1")]


def test_4_a_set_and_the_oai_dc_format(pair: Pair) -> None:
    services = Services.from_settings(make_settings(pair.b_dir))
    try:
        report = harvest(
            f"{pair.a.url}/oai",
            set_spec=f"collection:{MEDIA_COLLECTION}",
            collection="perf-dc",
            store=services.store,
            records=services.records,
            index=services.index,
            metadata_prefix="oai_dc",
            institution="b-library",
        )
    finally:
        services.close()
    assert report.failed == [] and report.metadata_prefix == "oai_dc"
    assert sorted(report.added) == sorted(
        local_id("perf-dc", f"oai:127.0.0.1:{pair.corpus.ids[k]}") for k in ("V1", "A1")
    )
    records = b_records(pair)
    video = records[local_id("perf-dc", f"oai:127.0.0.1:{pair.corpus.ids['V1']}")]
    assert video["title"] == {"zh": "东莞龙舟赛", "en": "Dongguan dragon boat race"}
    assert video["media_type"] == "video" and video["category"] == "folk-customs"
    assert video["files"] == []  # oai_dc carries no files
    assert video["date"]["edtf"] == "2016-08"
    assert video["institution"] == "b-library"  # not A's dc:publisher
    publishers = [t["value"] for t in video["tags"] if t["scheme"] == "dc:publisher"]
    assert sorted(publishers) == sorted(A_NAMES.values())


def test_5_unreachable_source_is_a_usage_error(pair: Pair) -> None:
    result = run_heritage(pair.b_dir, "harvest", "http://127.0.0.1:9/oai", "--collection", TARGET)
    assert result.returncode == 2
    assert "cannot reach" in result.stderr
