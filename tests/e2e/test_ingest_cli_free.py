"""The whole ingest pipeline without the CLI: real files, a real LocalStore, worker processes.

One folder holds good photos of several kinds, a GBK manifest, and every bad input the pipeline
must name and survive; each test runs `run_ingest` on it and checks the store afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ingest import IngestOptions, IngestReport, pool, run_ingest
from ingest.errors import IngestError
from repository import LocalStore, RecordStore, StoreConfig
from search.base import Audience, SearchQuery
from search.sqlite import SqliteIndex
from tests.support.scratch import left_behind
from tests.unit.support import images

COLLECTION = "ich-test"

MANIFEST = (
    "path,identifier,title_zh,title_en,category,date,people,region,region_code,lat,lon,tags\n"
    "剪纸/龙凤.jpg,ZJ-001,剪纸《龙凤呈祥》,Dragon and phoenix,传统美术,20世纪50年代,"
    "王五 (国家级传承人); 李四 (摄影),鄂尔多斯,150600,39.6,109.8,红色；吉祥\n"
    "舞蹈/p1.png;舞蹈/p2.png,ZJ-002,安代舞,Andai dance,traditional dance,1956年5月,,,,,,\n"
    "rows/unknown-cat.jpg,ZJ-003,舞狮,,舞狮子,,,,,,,\n"
    "rows/bad-date.jpg,ZJ-004,婚礼,,民俗,someday,,,,,,\n"
    "photos/missing.jpg,ZJ-005,不存在,,,,,,,,,\n"
)


def item_id(identifier: str) -> str:
    digest = hashlib.sha256((COLLECTION + "\0" + identifier).encode()).hexdigest()
    return f"{COLLECTION}-{digest[:12]}"


def broken_index(path: Path) -> SqliteIndex:
    """A real index whose file was destroyed after it was opened: every write fails."""
    index = SqliteIndex(path)
    index.close()
    path.write_bytes(b"this is not a database" * 300)
    return index


class Progress:
    def __init__(self, on_advance: Any = None):
        self.total: int | None = None
        self.advanced: list[tuple[str, str]] = []
        self.on_advance = on_advance

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, name: str, outcome: str) -> None:
        self.advanced.append((name, outcome))
        if self.on_advance:
            self.on_advance([outcome for _, outcome in self.advanced].count("stored"))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for folder in ["剪纸", "舞蹈", "misc", "bad", "rows", "__MACOSX"]:
        (root / folder).mkdir(parents=True)
    images.jpeg(root / "剪纸" / "龙凤.jpg", orientation=6)
    shutil.copyfile(root / "剪纸" / "龙凤.jpg", root / "剪纸" / "龙凤-副本.jpg")
    images.simple(root / "舞蹈" / "p1.png", "PNG")
    images.png_alpha(root / "舞蹈" / "p2.png")
    images.cmyk_jpeg(root / "misc" / "cmyk.jpg")
    images.tiff16_grey(root / "misc" / "scan16.tif")
    images.truncated_jpeg(root / "bad" / "truncated.jpg")
    (root / "bad" / "empty.jpg").touch()
    (root / "bad" / "notes.jpg").write_text("not a photo\n", encoding="utf-8")
    images.png_bomb(root / "bad" / "bomb.png")
    (root / "bad" / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" * 4)
    images.simple(root / "rows" / "unknown-cat.jpg", "JPEG")
    images.simple(root / "rows" / "bad-date.jpg", "JPEG", (90, 90))
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "__MACOSX" / "._龙凤.jpg").write_bytes(b"\0\5\26\7")
    (root / "items.csv").write_bytes(MANIFEST.encode("gbk"))
    return root


@pytest.fixture
def scratch_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Route the run's temporary folders here, to check nothing is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def ingest(
    source: Path,
    store_root: Path,
    *,
    index: Any = None,
    progress: Any = None,
    manifest: bool = True,
    **options: Any,
) -> IngestReport:
    options.setdefault("workers", 1)
    return run_ingest(
        [source],
        IngestOptions(COLLECTION, manifest=source / "items.csv" if manifest else None, **options),
        StoreConfig(local_root=store_root),
        index,
        progress,
    )


def outcomes(report: IngestReport) -> dict[str, tuple[str, str | None]]:
    return {item.source: (item.outcome, item.reason) for item in report.items}


def blobs(store: LocalStore) -> list[str]:
    return list(store.list("blobs/"))


def assert_records_complete(store: LocalStore) -> list[dict[str, Any]]:
    """Every record's files exist in the store: no record ever points at a missing blob."""
    records = list(RecordStore(store))
    for record in records:
        for entry in record["files"]:
            info = store.stat(entry["key"])
            assert info is not None and info.size == entry["bytes"], (record["id"], entry)
    return records


GOOD = {"剪纸/龙凤.jpg", "舞蹈/p1.png; 舞蹈/p2.png", "misc/cmyk.jpg", "misc/scan16.tif"}
FAILED = {
    "bad/truncated.jpg": "bad/truncated.jpg: the image data is truncated or corrupt",
    "bad/empty.jpg": "bad/empty.jpg: the file is empty (0 bytes)",
    "bad/notes.jpg": "bad/notes.jpg: the file is plain text, not a JPEG file as its name says",
    "bad/bomb.png": "bad/bomb.png: the image declares 30000×30000 pixels (900 MP), more than",
    "bad/clip.mp4": (
        "bad/clip.mp4: cannot read it as audio or video: the MP4/MOV index (moov atom) is missing"
    ),
    "rows/unknown-cat.jpg": "items.csv row 3 (line 4): column E 'category': unknown category",
    "rows/bad-date.jpg": "items.csv row 4 (line 5): column F 'date': 'someday' is not a date",
    "photos/missing.jpg": "items.csv row 5 (line 6): file 'photos/missing.jpg' was not found",
}
SKIPPED = {  # operating-system litter: left out, but said so in the report and its counts
    ".DS_Store": ".DS_Store: an operating-system file (macOS or Windows litter)",
    "__MACOSX": "__MACOSX: an operating-system folder (macOS or Windows litter)",
}


def test_batch_stores_good_items_names_every_failure_and_reruns_idempotently(
    source: Path, tmp_path: Path, scratch_tmp: Path
) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    progress = Progress()
    report = ingest(source, tmp_path / "store", index=index, progress=progress, workers=2)

    found = outcomes(report)
    assert {s for s, (o, _) in found.items() if o == "stored"} == GOOD
    for name, reason in FAILED.items():
        outcome, text = found[name]
        assert outcome == "failed" and text is not None and text.startswith(reason), (name, text)
    assert found["剪纸/龙凤-副本.jpg"] == (
        "duplicate",
        f"剪纸/龙凤-副本.jpg: same content as 剪纸/龙凤.jpg (item {item_id('ZJ-001')}), "
        "which is already in this collection; not stored again",
    )
    for name, reason in SKIPPED.items():
        outcome, text = found[name]
        assert outcome == "skipped" and text is not None and text.startswith(reason), (name, text)
    assert len(found) == len(GOOD) + len(FAILED) + len(SKIPPED) + 1  # the manifest is no item
    assert progress.total == len(found) and len(progress.advanced) == len(found)
    assert report.failed == len(FAILED) and report.errors == []

    store = LocalStore(tmp_path / "store")
    records = {r["id"]: r for r in assert_records_complete(store)}
    assert len(records) == len(GOOD)
    assert index.count(Audience.all()) == len(records)
    hits = index.search(SearchQuery(q="剪纸", audience=Audience.all())).hits
    assert [hit.id for hit in hits] == [item_id("ZJ-001")]

    dragon = records[item_id("ZJ-001")]
    assert dragon["identifier"] == "ZJ-001"
    assert dragon["title"] == {
        "zh": "剪纸《龙凤呈祥》",
        "en": "Dragon and phoenix",
    }  # read from GBK
    assert dragon["category"] == "traditional-art"
    assert dragon["date"]["edtf"] == "195X"
    assert dragon["people"][0] == {"name": "王五", "role": "bearer", "level": "national"}
    assert dragon["region"] == {"name": "鄂尔多斯", "code": "150600", "lat": 39.6, "lon": 109.8}
    assert (dragon["status"], dragon["access"], dragon["institution"]) == (
        "draft",
        "public",
        "local",
    )
    assert dragon["technical"]["camera"] == "Canon EOS 5D Mark IV"
    assert dragon["technical"]["captured"] == "2019-05-01T10:20:30"
    tags = {(t["value"], t["source"], t.get("by")) for t in dragon["tags"]}
    assert {("红色", "given", "manifest"), ("剪纸", "derived", "vocabulary")} <= tags
    assert {("2019", "derived", "exif"), ("portrait", "derived", "technical")} <= tags
    assert [e["type"] for e in dragon["events"]] == [
        "ingestion",
        "identification",
        "normalization",
        "validation",
    ]
    assert all(e["agent"] == "heritage-ingest" for e in dragon["events"])
    assert "EXIF orientation 6 applied" in dragon["events"][2]["detail"]
    roles = {f["role"]: f for f in dragon["files"]}
    assert store.get_bytes(roles["original"]["key"]) == (source / "剪纸" / "龙凤.jpg").read_bytes()
    assert roles["original"]["name"] == "剪纸/龙凤.jpg"
    with Image.open(store.root / roles["access"]["key"]) as access:
        size = access.size
    assert size == (roles["access"]["width"], roles["access"]["height"]) == (400, 600)

    dance = records[item_id("ZJ-002")]
    originals = [f for f in dance["files"] if f["role"] == "original"]
    assert [f["name"] for f in originals] == ["舞蹈/p1.png", "舞蹈/p2.png"]
    assert [f["role"] for f in dance["files"]].count("access") == 2
    for original in originals:
        assert store.get_bytes(original["key"]) == (source / original["name"]).read_bytes()

    no_row = records[next(i.id for i in report.items if i.source == "misc/cmyk.jpg")]
    content = hashlib.sha256((source / "misc" / "cmyk.jpg").read_bytes()).hexdigest()
    assert no_row["id"] == item_id(f"sha256:{content}")
    assert no_row["title"] == {"en": "cmyk"} and "identifier" not in no_row

    assert RecordStore(store).load_collection(COLLECTION)["slug"] == COLLECTION
    saved = json.loads(store.get_bytes(f"reports/{report.job_id}.json"))
    assert saved["counts"] == {"stored": 4, "duplicate": 1, "failed": 8, "skipped": 2}
    assert left_behind(scratch_tmp) == []

    # The same command again: nothing stored twice, nothing rewritten.
    before_blobs = blobs(store)
    before_records = {key: store.get_bytes(key) for key in store.list("records/")}
    again = ingest(source, tmp_path / "store", index=index, workers=2)
    assert {s for s, (o, _) in outcomes(again).items() if o == "unchanged"} == GOOD
    assert again.counts() == {"unchanged": 4, "duplicate": 1, "failed": 8, "skipped": 2}
    assert blobs(store) == before_blobs
    assert {key: store.get_bytes(key) for key in store.list("records/")} == before_records
    assert len(list(store.list("reports/"))) == 2


def test_dry_run_stores_nothing(source: Path, tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    report = ingest(source, tmp_path / "store", index=index, dry_run=True)
    assert report.dry_run
    assert report.counts() == {"would-store": 4, "duplicate": 1, "failed": 8, "skipped": 2}
    assert list(LocalStore(tmp_path / "store").list("")) == []
    assert index.count(Audience.all()) == 0


def test_changed_manifest_updates_the_record_keeping_its_history(
    source: Path, tmp_path: Path
) -> None:
    ingest(source, tmp_path / "store")
    store = LocalStore(tmp_path / "store")
    first = RecordStore(store).load(item_id("ZJ-001"))
    blob_keys = blobs(store)
    (source / "items.csv").write_bytes(
        MANIFEST.replace("剪纸《龙凤呈祥》", "剪纸《龙凤》").encode("gbk")
    )
    report = ingest(source, tmp_path / "store")
    assert outcomes(report)["剪纸/龙凤.jpg"] == ("updated", None)
    assert report.counts()["unchanged"] == 3
    updated = RecordStore(store).load(item_id("ZJ-001"))
    assert updated["title"]["zh"] == "剪纸《龙凤》"
    assert updated["created"] == first["created"]
    assert updated["files"] == first["files"]
    assert [e["type"] for e in updated["events"]] == [
        *(e["type"] for e in first["events"]),
        "metadata-modification",
        "validation",
    ]
    assert blobs(store) == blob_keys


def test_interrupted_run_then_rerun_completes_without_duplicates(
    source: Path, tmp_path: Path, scratch_tmp: Path
) -> None:
    def interrupt(stored: int) -> None:
        if stored == 2:  # as if Ctrl-C was pressed after the second stored item
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(source, tmp_path / "store", progress=Progress(interrupt))
    store = LocalStore(tmp_path / "store")
    (report_key,) = store.list("reports/")
    assert "interrupted" in json.loads(store.get_bytes(report_key))["errors"][0]
    assert len(assert_records_complete(store)) < len(GOOD)
    assert left_behind(scratch_tmp) == []

    report = ingest(source, tmp_path / "store")
    assert {s for s, (o, _) in outcomes(report).items() if o in ("stored", "unchanged")} == GOOD
    assert "unchanged" in report.counts()
    assert len(assert_records_complete(store)) == len(GOOD)


def test_ctrl_c_while_the_workers_start_stops_the_run_and_spares_them(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C reaches the process group just as the pools spawn their workers: the main process
    must still stop (the signal is held, not dropped), and no worker dies of it mid-start."""
    hit: list[multiprocessing.Process] = []

    class CtrlCWhileSpawning(ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = super().submit(fn, *args, **kwargs)
            if not hit:
                signal.raise_signal(signal.SIGINT)
            for process in self._processes.values():  # spawned by this submit, still starting
                if process not in hit:
                    os.kill(process.pid, signal.SIGINT)
                    hit.append(process)
            return future

    monkeypatch.setattr(pool, "ProcessPoolExecutor", CtrlCWhileSpawning)
    with pytest.raises(KeyboardInterrupt):
        ingest(source, tmp_path / "store", workers=2)
    assert len(hit) >= 2 and [process.exitcode for process in hit] == [0] * len(hit)
    store = LocalStore(tmp_path / "store")
    (report_key,) = store.list("reports/")
    assert "interrupted" in json.loads(store.get_bytes(report_key))["errors"][0]
    assert len(assert_records_complete(store)) < len(GOOD)


@pytest.mark.slow
def test_killed_worker_then_rerun_completes_without_duplicates(
    source: Path, tmp_path: Path, scratch_tmp: Path
) -> None:
    for number in range(8):  # enough work that the worker is still busy when it is killed
        images.noisy_jpeg(source / "misc" / f"big-{number}.jpg", (2400, 1600))
    expected = GOOD | {f"misc/big-{number}.jpg" for number in range(8)}

    def kill_worker(stored: int) -> None:
        if stored == 1:
            for child in multiprocessing.active_children():
                with contextlib.suppress(ProcessLookupError):  # it may have just exited
                    os.kill(child.pid, signal.SIGKILL)

    report = ingest(source, tmp_path / "store", progress=Progress(kill_worker))
    died = [i for i in report.items if i.reason and "worker process handling it died" in i.reason]
    assert died and all(i.outcome == "failed" for i in died)
    store = LocalStore(tmp_path / "store")
    assert len(assert_records_complete(store)) < len(expected)
    assert left_behind(scratch_tmp) == []

    again = ingest(source, tmp_path / "store")
    assert {s for s, (o, _) in outcomes(again).items() if o in ("stored", "unchanged")} == expected
    records = assert_records_complete(store)
    assert len(records) == len(expected)
    originals = [f["sha256"] for r in records for f in r["files"] if f["role"] == "original"]
    assert len(originals) == len(set(originals))


def test_index_failure_keeps_items_stored_and_says_to_reindex(source: Path, tmp_path: Path) -> None:
    index = broken_index(tmp_path / "index.sqlite3")
    report = ingest(source, tmp_path / "store", index=index, manifest=False)
    stored = [i for i in report.items if i.outcome == "stored"]
    assert stored and all("heritage reindex" in (i.reason or "") for i in stored)
    assert len(report.errors) == 1 and "run `heritage reindex`" in report.errors[0]
    assert "DatabaseError" in report.errors[0]
    assert len(assert_records_complete(LocalStore(tmp_path / "store"))) == len(stored)


@pytest.mark.parametrize(
    ("collection", "message"),
    [("Bad Slug!", "is not a valid slug"), ("ok", "nowhere: no such file or folder")],
)
def test_unusable_input_stops_before_any_work(
    tmp_path: Path, collection: str, message: str
) -> None:
    with pytest.raises(IngestError, match=message):
        run_ingest(
            [tmp_path / "nowhere"],
            IngestOptions(collection, workers=1),
            StoreConfig(local_root=tmp_path / "store"),
            None,
        )
    assert not (tmp_path / "store").exists()


def test_a_value_xml_cannot_carry_fails_its_item_alone_and_oai_stays_up(tmp_path: Path) -> None:
    """A vertical tab pasted into a title (Excel does that) used to be stored, and every OAI-PMH
    page holding the record then answered 500. Now that item fails naming the field."""
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from api.settings import Settings
    from tests.e2e.sharing_support import noise_picture
    from tests.support.ingesting import ingest_folder

    source = tmp_path / "src"
    source.mkdir()
    noise_picture(source / "a.png", "a")
    noise_picture(source / "b.png", "b")
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,title_zh,status\na.png,剪纸\x0b窗花,published\nb.png,窗花,published\n"
    )
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    report = ingest_folder(
        settings, source, manifest, "tabs", institution="local", expect_failures=True
    )
    outcomes = {item.source: item for item in report.items}
    assert outcomes["a.png"].outcome == "failed", outcomes["a.png"]
    assert "$.title.zh" in (outcomes["a.png"].reason or "")
    assert outcomes["b.png"].outcome == "stored"
    with TestClient(create_app(settings)) as client:
        listed = client.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert listed.status_code == 200 and "窗花" in listed.text
