"""Every page of a document, end to end: a 3-page PDF and a 3-page TIFF through the real ingest
pipeline (beside a damaged PDF that fails alone), then the stored page images, the IIIF
manifest (loaded back into the `iiif-prezi3` models), the item page with JavaScript off, and a
search for a word only on page 3 that points at page 3."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from iiif_prezi3 import Manifest
from PIL import Image

from ingest.task import DocumentLimits
from repository import RecordStore, open_store
from tests.e2e.corpus_support import Ingested, html, ingest_corpus, served
from tests.unit.support.pdfs import Page, build_pdf

COLLECTION = "pages-test"
ONLY_ON_PAGE_3 = "zygodactyl"  # a word no title, description or other page holds
PAGES = [
    Page("Opening of the libretto", "漫瀚调唱本第一页"),
    Page("Second page of verses", "第二页"),
    Page(f"Closing {ONLY_ON_PAGE_3} verse", "第三页"),
]
MANIFEST = (
    "path,identifier,title_zh,title_en,status,access\n"
    "booklet.pdf,DOC-1,漫瀚调唱本,Manhan song booklet,published,public\n"
    "scan.tif,DOC-2,唱本扫描,Scanned songbook,published,public\n"
    "broken.pdf,DOC-3,损坏的唱本,Broken booklet,published,public\n"
    "photo.jpg;notes.pdf,DOC-4,演出照片与笔记,Photo and notes,published,public\n"
)
COLOURS = [(200, 30, 30), (30, 30, 200), (30, 160, 30)]


def write_sources(folder: Path, manifest: str = MANIFEST) -> Path:
    folder.mkdir(parents=True)
    (folder / "booklet.pdf").write_bytes(build_pdf(PAGES))
    frames = [Image.new("RGB", (300, 400), colour) for colour in COLOURS]
    frames[0].save(folder / "scan.tif", "TIFF", save_all=True, append_images=frames[1:])
    (folder / "broken.pdf").write_bytes(build_pdf(PAGES)[:300])  # cut off after the header
    Image.new("RGB", (320, 240), (90, 60, 30)).save(folder / "photo.jpg", "JPEG")
    (folder / "notes.pdf").write_bytes(build_pdf([Page("Field notes"), Page("More notes")]))
    (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    return folder


def booklet_only(folder: Path, manifest: str) -> Path:
    write_sources(folder, manifest)
    for path in folder.iterdir():
        if path.name not in ("booklet.pdf", "manifest.csv"):
            path.unlink()
    return folder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    root = tmp_path_factory.mktemp("document-pages")
    source = write_sources(root / "source")
    return ingest_corpus(root / "data", source, COLLECTION, expect_failures=True)


@pytest.fixture(scope="module")
def client(ingested: Ingested) -> Iterator[TestClient]:
    yield from served(ingested)


def test_a_damaged_pdf_fails_alone_with_a_named_error(ingested: Ingested) -> None:
    outcomes = {item.source: item for item in ingested.report.items}
    assert outcomes["booklet.pdf"].outcome == "stored"
    assert outcomes["scan.tif"].outcome == "stored"
    broken = outcomes["broken.pdf"]
    assert broken.outcome == "failed" and broken.reason is not None
    assert "broken.pdf" in broken.reason and "corrupt or truncated" in broken.reason


@pytest.mark.parametrize("identifier", ["DOC-1", "DOC-2"])
def test_every_page_is_stored_as_a_page_image(ingested: Ingested, identifier: str) -> None:
    record = ingested.record(identifier)
    pages = [f for f in record["files"] if f["role"] == "page"]
    assert [f["page"] for f in pages] == [1, 2, 3]
    access = next(f for f in record["files"] if f["role"] == "access")
    assert pages[0]["sha256"] == access["sha256"]  # page 1 is the access copy, stored once
    assert len({f["sha256"] for f in pages}) == 3
    assert record["technical"]["pages"] == 3
    store = open_store(ingested.settings.store_config())
    for file in pages:
        with Image.open(io.BytesIO(store.get_bytes(file["key"]))) as picture:
            assert picture.format == "JPEG" and picture.size == (file["width"], file["height"])


def test_the_text_of_each_page_is_kept(ingested: Ingested) -> None:
    record = ingested.record("DOC-1")
    text, starts = record["text"], record["text_pages"]
    assert len(starts) == 3
    third = text[starts[2] :]
    assert ONLY_ON_PAGE_3 in third and ONLY_ON_PAGE_3 not in text[: starts[2]]
    assert "第二页" in text[starts[1] : starts[2]]


@pytest.mark.parametrize(("identifier", "first"), [("DOC-1", None), ("DOC-2", COLOURS)])
def test_the_manifest_has_a_canvas_per_page(
    ingested: Ingested, client: TestClient, identifier: str, first: list | None
) -> None:
    item_id = ingested.record(identifier)["id"]
    response = client.get(f"/iiif/{item_id}/manifest")
    assert response.status_code == 200
    document = response.json()
    Manifest(**document)
    canvases = document["items"]
    assert [c["label"] for c in canvases] == [
        {"zh": [f"第{n}页"], "en": [f"p. {n}"]} for n in (1, 2, 3)
    ]
    for n, canvas in enumerate(canvases, start=1):
        body = canvas["items"][0]["items"][0]["body"]
        wanted = f"/api/items/{item_id}/files/page" + (f"?n={n}" if n > 1 else "")
        assert body["id"].endswith(wanted)
        service = body["service"][0]["id"]
        assert service.endswith(f"/iiif/image/{item_id}~p{n}")
        path = service.split("://", 1)[1].split("/", 1)[1]
        info = client.get(f"/{path}/info.json").json()
        assert (info["width"], info["height"]) == (canvas["width"], canvas["height"])
        small = client.get(f"/{path}/full/!100,100/0/default.jpg")
        assert small.status_code == 200
        if first is not None:  # each canvas shows its own page, not page 1 again
            with Image.open(io.BytesIO(small.content)) as picture:
                assert picture.convert("RGB").getpixel((10, 10)) == pytest.approx(
                    first[n - 1], abs=12
                )
    assert client.get(f"/iiif/image/{item_id}~p4/info.json").status_code == 404


def test_the_item_page_turns_pages_without_javascript(
    ingested: Ingested, client: TestClient
) -> None:
    item_id = ingested.record("DOC-1")["id"]
    first = html(client, f"/items/{item_id}")
    strip = first.find("nav", "strip")
    links = [a.attrs["href"] for a in strip.find_all("a", "strip__item")]
    assert links == ["?page=1#p1", "?page=2#p2", "?page=3#p3"]
    assert first.find("figcaption", "viewer-caption").text() == "p. 1 of 3"
    assert "Opening of the libretto" in first.find("div", "page-text__body").text()
    turn = first.find("nav", "page-turn")
    assert [a.attrs["href"] for a in turn.find_all("a")] == ["?page=2#p2"]

    third = html(client, f"/items/{item_id}?page=3", lang="zh")
    figure = third.find("figure", "viewer-figure")
    assert figure.attrs["id"] == "p3"
    assert figure.find("img").attrs["src"] == f"/api/items/{item_id}/files/page?n=3"
    assert third.find("figcaption", "viewer-caption").text() == "第3页，共3页"
    body = third.find("div", "page-text__body").text()
    assert ONLY_ON_PAGE_3 in body and "Opening" not in body
    assert [a.attrs["href"] for a in third.find("nav", "page-turn").find_all("a")] == ["?page=2#p2"]
    picture = client.get(f"/api/items/{item_id}/files/page?n=3")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"


def test_an_item_of_a_photo_and_a_pdf_keeps_its_photo_viewer_and_gets_page_canvases(
    ingested: Ingested, client: TestClient
) -> None:
    item_id = ingested.record("DOC-4")["id"]
    item = html(client, f"/items/{item_id}")
    links = [a.attrs["href"] for a in item.find("nav", "strip").find_all("a", "strip__item")]
    assert links == ["?image=1", "?image=2"]  # the photo and the PDF's first page, as before
    assert not item.find_all("nav", "page-turn")
    document = client.get(f"/iiif/{item_id}/manifest").json()
    Manifest(**document)
    labels = [canvas["label"]["en"][0] for canvas in document["items"]]
    assert labels == ["Part 1", "p. 1", "p. 2"]


def test_a_word_only_on_page_3_finds_the_item_and_points_to_page_3(
    ingested: Ingested, client: TestClient
) -> None:
    item_id = ingested.record("DOC-1")["id"]
    response = client.get(f"/api/search?q={ONLY_ON_PAGE_3}")
    assert response.status_code == 200
    (hit,) = response.json()["items"]
    assert hit["id"] == item_id and hit["highlights"]["page"] == "3"
    assert hit["hit_page_url"] == f"/items/{item_id}?page=3#p3"
    results = html(client, f"/?q={ONLY_ON_PAGE_3}")
    link = results.find("a", "card__page")
    assert link.text() == "p. 3" and link.attrs["href"] == f"/items/{item_id}?page=3#p3"


def test_a_page_limit_stores_the_first_pages_with_a_warning(tmp_path: Path) -> None:
    manifest = "path,identifier,title_en\nbooklet.pdf,DOC-1,Booklet\n"
    source = booklet_only(tmp_path / "source", manifest)
    limited = ingest_corpus(
        tmp_path / "data", source, COLLECTION, documents=DocumentLimits(max_pages=2)
    )
    (item,) = limited.report.items
    assert item.outcome == "stored" and item.reason is not None
    assert "first 2 of 3 pages" in item.reason
    record = limited.record("DOC-1")
    assert [f.get("page") for f in record["files"] if f["role"] == "page"] == [1, 2]
    normalization = next(e for e in record["events"] if e["type"] == "normalization")
    assert normalization["outcome"] == "warning" and "first 2 of 3" in normalization["detail"]


def test_a_rerun_gives_pages_to_a_document_stored_before_pages_had_images(
    tmp_path: Path,
) -> None:
    manifest = "path,identifier,title_en\nbooklet.pdf,DOC-1,Booklet\n"
    source = booklet_only(tmp_path / "source", manifest)

    def run() -> Ingested:
        return ingest_corpus(tmp_path / "data", source, COLLECTION)

    stored = run()
    (first,) = stored.report.items
    (unchanged,) = run().report.items
    assert unchanged.outcome == "unchanged"  # nothing to remake: the pages are there
    records = RecordStore(open_store(stored.settings.store_config()))
    old = dict(records.load(str(first.id)))  # as ingest stored a PDF before pages had images
    old["files"] = [f for f in old["files"] if f["role"] != "page"]
    del old["text_pages"]
    records.save(old)
    (again,) = run().report.items

    assert again.outcome == "updated"
    record = records.load(str(first.id))
    assert [f.get("page") for f in record["files"] if f["role"] == "page"] == [1, 2, 3]
    assert len(record["text_pages"]) == 3
