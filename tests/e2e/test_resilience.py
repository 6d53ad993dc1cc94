"""Damage stays where it is: one damaged record, a lost search index or a corrupted file is
reported and skipped, and never takes down the rest or gets served as if it were sound.

A repository of three public items is ingested once by the real pipeline; each test works on
its own copy of it, damaged behind the store's back as a disk or an operator would.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from typer.testing import CliRunner

from api.cli.commands import app as cli
from api.http.app import create_app
from api.http.routes import files
from api.settings import Settings
from repository import LocalStore, RecordStore, record_key
from tests.e2e.governance_support import ingest_rows
from tests.e2e.sharing_support import live_server

HERITAGE = Path(sys.executable).parent / "heritage"
PUBLIC = {"status": "published", "access": "public"}
TITLES = {
    "r-1": ("唢呐一", "Suona one"),
    "r-2": ("唢呐二", "Suona two"),
    "r-3": ("唢呐三", "Suona three"),
}
BASE_URL = "http://heritage.test"
LARGE = 12 * 2**20  # bytes: too big to be read whole before sending (files.VERIFY_ON_READ_BYTES)
OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        storage="local",
        search="sqlite",
        api_keys="",
        base_url=BASE_URL,
        _env_file=None,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The folder holding data/, source/ and the manifest suona.csv; name → item id."""
    root = tmp_path_factory.mktemp("resilience")
    settings = make_settings(root / "data")
    ids, _ = ingest_rows(settings, root / "source", dict.fromkeys(TITLES, PUBLIC), "suona", TITLES)
    return root, ids


@dataclass
class Repo:
    settings: Settings
    ids: dict[str, str]
    records: RecordStore

    @property
    def root(self) -> Path:
        return self.settings.local_store_path

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
        env.update(
            HERITAGE_DATA_DIR=str(self.settings.data_dir),
            HERITAGE_STORAGE="local",
            HERITAGE_SEARCH="sqlite",
        )
        return env

    def cli(self, *args: str) -> tuple[int, str, str]:
        """A command through typer's runner: no interpreter start-up per call."""
        result = CliRunner().invoke(cli, list(args), env=self.env())
        return result.exit_code, result.stdout, result.stderr

    def file(self, name: str, role: str) -> dict:
        return next(f for f in self.records.load(self.ids[name])["files"] if f["role"] == role)

    def flip_a_byte(self, key: str) -> bytes:
        """Bit rot on the disk itself; the original bytes, to restore them."""
        path = self.root / key
        data = path.read_bytes()
        rotten = bytearray(data)
        rotten[len(rotten) // 2] ^= 0x10
        path.write_bytes(bytes(rotten))
        return data


@pytest.fixture
def repo(pristine: tuple[Path, dict[str, str]], tmp_path: Path) -> Repo:
    root, ids = pristine
    shutil.copytree(root / "data", tmp_path / "data")
    settings = make_settings(tmp_path / "data")
    return Repo(settings, ids, RecordStore(LocalStore(settings.local_store_path)))


def damage_record(repo: Repo, name: str, how: str) -> str:
    """Damage a stored record file as a disk or a careless hand would; its key."""
    key = record_key(repo.ids[name])
    path = repo.root / key
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "breaks the schema":
        record = json.loads(data)
        del record["title"]
        path.write_text(json.dumps(record), encoding="utf-8")
    else:
        path.write_bytes(b"")
    return key


def oai_identifiers(client: TestClient, verb: str) -> list[str]:
    response = client.get("/oai", params={"verb": verb, "metadataPrefix": "oai_dc"})
    assert response.status_code == 200, response.text
    tree = etree.fromstring(response.content)
    assert not tree.findall("oai:error", OAI_NS), response.text
    return [e.text.rsplit(":", 1)[1] for e in tree.iterfind(".//oai:header/oai:identifier", OAI_NS)]


# --- one damaged record ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncated", "breaks the schema", "empty"])
def test_a_damaged_record_takes_down_only_its_own_item(repo: Repo, how: str) -> None:
    key = damage_record(repo, "r-2", how)
    damaged, others = repo.ids["r-2"], [repo.ids["r-1"], repo.ids["r-3"]]
    with repo.client() as client:
        for path in (
            f"/api/items/{damaged}",
            f"/api/items/{damaged}/files/thumbnail",
            f"/iiif/{damaged}/manifest",
            f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:heritage.test:{damaged}",
        ):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            message = response.json()["error"]["message"]
            assert "unavailable" in message
            assert key not in message and "JSON" not in message  # the public learns no more
        page = client.get(f"/items/{damaged}", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "unavailable" in page.text
        for item_id in others:
            assert client.get(f"/api/items/{item_id}").status_code == 200
            assert client.get(f"/items/{item_id}").status_code == 200
        assert sorted(oai_identifiers(client, "ListRecords")) == sorted(others)
        # headers come from the search index's OAI view, which read the record while it was
        # whole: listed, like a search hit, while its record is answered with 503 (above)
        listed = oai_identifiers(client, "ListIdentifiers")
        assert sorted(listed) == sorted([*others, damaged])
        health = client.get("/api/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["records"]["damaged"] == 1
    assert any("1 stored records are damaged" in p for p in body["records"]["problems"])


def test_reindex_leaves_out_a_damaged_record_names_it_and_exits_1(repo: Repo) -> None:
    key = damage_record(repo, "r-2", "truncated")
    for path in repo.settings.data_dir.glob("index.sqlite3*"):
        path.unlink()  # the worst moment: the index is already gone
    code, out, err = repo.cli("reindex")
    assert code == 1, out + err
    assert f"2 records indexed, 1 damaged: {repo.ids['r-2']}." in out
    assert f"damaged: record {key} is damaged: not valid JSON" in err
    assert "Traceback" not in out + err
    with repo.client() as client:
        found = client.get("/api/search").json()
    assert sorted(i["id"] for i in found["items"]) == sorted([repo.ids["r-1"], repo.ids["r-3"]])


@pytest.mark.parametrize(
    ("how", "words"),
    # a worker reads the record without the schema check; the coordinator's check refuses it
    [("truncated", "not valid JSON"), ("breaks the schema", "'title' is a required property")],
)
def test_an_ingest_never_writes_over_a_damaged_record(
    repo: Repo, pristine: tuple[Path, dict[str, str]], how: str, words: str
) -> None:
    key = damage_record(repo, "r-2", how)
    damaged = (repo.root / key).read_bytes()
    root, _ = pristine
    ingest = [HERITAGE, "ingest", root / "source", "-c", "suona", "--manifest", root / "suona.csv"]
    done = subprocess.run(ingest, capture_output=True, text=True, env=repo.env(), timeout=300)
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 1, out + err
    assert f"record {key} is damaged: " in out and words in out  # the failed row names it
    assert "unchanged" in out and "Traceback" not in out + err
    assert (repo.root / key).read_bytes() == damaged  # kept for whoever restores it


# --- a lost search index -------------------------------------------------------------------


def test_a_lost_search_index_is_reported_not_shown_as_an_empty_result(repo: Repo) -> None:
    with repo.client() as client:
        healthy = client.get("/api/health").json()
    assert healthy["status"] == "ok", healthy
    assert healthy["records"]["stored"] == 3 and healthy["index"]["documents"] == 3
    for path in repo.settings.data_dir.glob("index.sqlite3*"):
        path.unlink()
    with repo.client() as client:
        health = client.get("/api/health")
        search = client.get("/api/search", params={"q": "唢呐"})
        page = client.get("/", params={"q": "唢呐"}, headers={"Accept": "text/html"})
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["records"]["problems"] == [
        "the search index is empty but storage holds 3 records: run `heritage reindex`"
    ]
    assert search.status_code == 503
    assert "the search index is empty" in search.json()["error"]["message"]
    assert page.status_code == 503
    assert "The search index is empty or being rebuilt" in page.text or "检索索引" in page.text
    code, out, _ = repo.cli("reindex")
    assert code == 0 and "3 records indexed, 0 damaged." in out
    with repo.client() as client:
        assert client.get("/api/health").json()["status"] == "ok"
        assert client.get("/api/search", params={"q": "唢呐"}).json()["total"] == 3


def test_a_search_that_finds_nothing_in_a_full_index_is_a_normal_empty_result(repo: Repo) -> None:
    with repo.client() as client:
        response = client.get("/api/search", params={"q": "没有这个词"})
    assert response.status_code == 200 and response.json()["total"] == 0


# --- corrupted files -----------------------------------------------------------------------


def test_a_corrupted_small_file_is_refused_not_served_under_its_checksum(repo: Repo) -> None:
    access = repo.file("r-1", "access")
    assert access["bytes"] < 2**20  # a derivative: small
    repo.flip_a_byte(access["key"])
    url = f"/api/items/{repo.ids['r-1']}/files/access"
    with repo.client() as client:
        for method, headers in (("GET", {}), ("GET", {"Range": "bytes=0-9"}), ("HEAD", {})):
            response = client.request(method, url, headers=headers)
            assert response.status_code == 503, (method, headers)
            assert "ETag" not in response.headers
        assert "damaged and being repaired" in client.get(url).json()["error"]["message"]
        sound = client.get(f"/api/items/{repo.ids['r-2']}/files/access")
    assert sound.status_code == 200
    assert hashlib.sha256(sound.content).hexdigest() == repo.file("r-2", "access")["sha256"]


def test_verify_marks_a_damaged_file_until_a_later_run_finds_it_restored(repo: Repo) -> None:
    original = repo.file("r-1", "original")
    url = f"/api/items/{repo.ids['r-1']}/files/original"
    good = repo.flip_a_byte(original["key"])
    code, out, _ = repo.cli("verify")
    assert code == 1 and f"changed: {repo.ids['r-1']} original" in out
    (repo.root / original["key"]).write_bytes(good)  # restored from a copy
    with repo.client() as client:
        marked = client.get(url)  # the bytes are back, but nobody has checked them yet
        assert marked.status_code == 503
        assert "damaged and being repaired" in marked.json()["error"]["message"]
        assert client.get(f"/api/items/{repo.ids['r-2']}/files/original").status_code == 200
        code, out, _ = repo.cli("verify")
        assert code == 0, out
        assert f"intact again: {repo.ids['r-1']}" in out
        served = client.get(url)
    assert served.status_code == 200 and served.content == good
    events = repo.records.load(repo.ids["r-1"])["events"]
    assert [(e["type"], e["outcome"]) for e in events[-2:]] == [
        ("fixity-check", "failure"),
        ("fixity-check", "success"),
    ]


@pytest.fixture
def large_file(repo: Repo) -> Iterator[tuple[str, bytes]]:
    """A second original of r-3 too big to check before sending; its URL and bytes."""
    data = hashlib.shake_256(b"a large recording").digest(LARGE)
    blob = repo.records.store.put_blob(io.BytesIO(data))
    record = repo.records.load(repo.ids["r-3"])
    record["files"].append(
        {
            "role": "original",
            "key": blob.key,
            "media_type": "application/octet-stream",
            "bytes": blob.size,
            "sha256": blob.sha256,
            "name": "large.bin",
        }
    )
    repo.records.save(record)
    yield f"/api/items/{repo.ids['r-3']}/files/original?n=2", data


def test_a_corrupted_large_download_is_cut_short(repo: Repo, large_file: tuple[str, bytes]) -> None:
    url, data = large_file
    key = repo.records.load(repo.ids["r-3"])["files"][-1]["key"]
    with live_server(repo.settings.data_dir) as server:
        status, _, body = server.get(url)
        assert status == 200 and body == data  # sound: streamed whole
        repo.flip_a_byte(key)
        with urllib.request.urlopen(server.url + url, timeout=30) as response:
            assert response.status == 200  # the headers left before the damage could be seen
            with pytest.raises(http.client.IncompleteRead):
                response.read()
        status, _, part = server.get(url, headers={"Range": "bytes=0-99"})
        assert (status, part) == (206, data[:100])  # a part is not checked: verify covers it
    assert "cut short the download" in server.log.read_text()
    assert files.VERIFY_ON_READ_BYTES < LARGE
