"""OCR end to end through the real `heritage` command: a scanned PDF (pictures only, no text
layer) ingested with OCR on is searchable by a word of page 2, the hit pointing to page 2; a
vertical traditional page goes the vertical route; `heritage ocr` reads items ingested with OCR
off, keeps a page a person corrected (even with --force), and names a page picture that is not
an image while the batch goes on; the IIIF canvases carry the lines as annotations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from iiif_prezi3 import Manifest
from PIL import Image

from api.http.app import create_app
from api.operations.callers import Caller
from api.operations.items import ItemLocks, WriteContext
from api.operations.ocr import correct_page
from api.services import Services
from api.settings import Settings
from ingest.ocr import available
from repository import RecordStore, open_store
from tests.browser.markup import parse
from tests.conftest import IN_CI
from tests.e2e.sharing_support import make_settings
from tests.unit.support.ocr_pages import horizontal_page, vertical_page

pytestmark = pytest.mark.skipif(
    not available() and not IN_CI,  # CI installs them (scripts/system-deps.sh): there it fails
    reason="RapidOCR or Tesseract's _vert models are not installed (scripts/system-deps.sh)",
)

HERITAGE = Path(sys.executable).parent / "heritage"
REPO = Path(__file__).resolve().parents[2]
PAGE_1 = ["蔚县剪纸是传统民间艺术", "先刻后染色彩浓艳"]
PAGE_2 = ["窗花贴满农家的窗户", "喜鹊登梅十二生肖"]
ONLY_ON_PAGE_2 = "喜鹊登梅"
COLUMNS = ["長調民歌是蒙古族的", "傳統音樂形式曲調"]


def heritage(data_dir: Path, *args: str | Path, ocr: str = "auto", ok: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env.update(
        HERITAGE_DATA_DIR=str(data_dir),
        HERITAGE_STORAGE="local",
        HERITAGE_SEARCH="sqlite",
        HERITAGE_INSTITUTION="local",
        HERITAGE_OCR=ocr,
        HERITAGE_WORKERS="1",
        PYTHONPATH=str(REPO),  # this checkout's code, whichever one the venv was installed from
    )
    result = subprocess.run(
        [str(HERITAGE), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=data_dir.parent,
        env=env,
        timeout=600,
    )
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result.stdout


def report_of(stdout: str) -> dict[str, Any]:
    line = next(x for x in stdout.splitlines() if x.startswith("Report: "))
    report: dict[str, Any] = json.loads(Path(line.removeprefix("Report: ").strip()).read_text())
    return report


def flat(text: str) -> str:
    """Text without its breaks: whether OCR kept a line break is layout, not content."""
    return "".join(text.split())


def scanned_pdf(path: Path, *pages: Image.Image) -> None:
    first, *rest = pages
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=72)


@dataclass
class Store:
    settings: Settings
    ids: dict[str, str]  # file name -> item id

    def record(self, name: str) -> dict[str, Any]:
        return dict(RecordStore(open_store(self.settings.store_config())).load(self.ids[name]))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("ocr")
    data = root / "data"
    data.mkdir()
    inline, later = root / "inline", root / "later"
    inline.mkdir()
    later.mkdir()
    scanned_pdf(inline / "scan.pdf", horizontal_page(PAGE_1), horizontal_page(PAGE_2))
    scanned_pdf(inline / "vertical.pdf", vertical_page(COLUMNS))
    (inline / "manifest.csv").write_text(
        "path,identifier,title_zh,status,access\n"
        "scan.pdf,S-1,剪纸说明,published,public\n"
        "vertical.pdf,S-2,长调,published,public\n",
        encoding="utf-8",
    )
    scanned_pdf(later / "later.pdf", horizontal_page(["后来补上的文字"]), horizontal_page(PAGE_2))
    scanned_pdf(later / "damaged.pdf", horizontal_page(["这一页会损坏"]))
    horizontal_page(["告示牌上的字"]).save(later / "notice.png")  # a photo of text
    ids: dict[str, str] = {}
    out = heritage(data, "ingest", inline, "-c", "scans", "--manifest", inline / "manifest.csv")
    ids |= {Path(i["source"]).name: i["id"] for i in report_of(out)["items"]}
    out = heritage(data, "ingest", later, "-c", "later", "--status", "published", ocr="off")
    ids |= {Path(i["source"]).name: i["id"] for i in report_of(out)["items"]}
    return Store(make_settings(data, institution="local"), ids)


@pytest.fixture(scope="module")
def client(stored: Store) -> Iterator[TestClient]:
    with TestClient(create_app(stored.settings)) as client:
        yield client


def test_a_scanned_pdf_is_read_page_by_page_and_marked_as_ocr(stored: Store) -> None:
    record = stored.record("scan.pdf")
    ocr = record["ocr"]
    assert ocr["engine"].startswith("rapidocr") and 0.5 < ocr["confidence"] <= 1
    assert [(p["page"], p["layout"]) for p in ocr["pages"]] == [
        (1, "horizontal"),
        (2, "horizontal"),
    ]
    text, starts = record["text"], record["text_pages"]
    assert len(starts) == 2
    assert flat(text[: starts[1]]) == "".join(PAGE_1) and flat(text[starts[1] :]) == "".join(PAGE_2)
    assert any(f["role"] == "ocr" for f in record["files"])


def test_a_word_of_page_2_finds_the_item_and_points_to_page_2(
    stored: Store, client: TestClient
) -> None:
    response = client.get("/api/search", params={"q": ONLY_ON_PAGE_2, "collection": "scans"})
    assert response.status_code == 200
    (hit,) = response.json()["items"]
    assert hit["id"] == stored.ids["scan.pdf"] and hit["highlights"]["page"] == "2"
    assert hit["hit_page_url"].endswith("?page=2#p2")


def test_a_vertical_traditional_page_is_read_by_the_vertical_route(stored: Store) -> None:
    record = stored.record("vertical.pdf")
    (page,) = record["ocr"]["pages"]
    assert page["layout"] == "vertical" and page["engine"].endswith("chi_tra_vert")
    assert flat(record["text"]) == "".join(COLUMNS)  # the right-hand column first


def test_heritage_ocr_reads_stored_items_keeps_corrections_and_names_bad_pages(
    stored: Store,
) -> None:
    data = stored.settings.data_dir
    before = stored.record("later.pdf")
    assert "ocr" not in before and "text" not in before  # ingested with OCR off
    damaged = stored.record("damaged.pdf")
    access = next(f for f in damaged["files"] if f["role"] == "access")
    (blob,) = [p for p in data.rglob(access["sha256"]) if p.is_file()]
    blob.write_bytes(b"\xff\xd8\xff not a picture any more")

    out = heritage(data, "ocr", "--collection", "later", "--json", ok=False)  # one item failed
    lines = {line["id"]: line for line in map(json.loads, out.splitlines())}
    read = lines[stored.ids["later.pdf"]]
    assert read["outcome"] == "read" and read["pages"] == [1, 2]
    bad = lines[stored.ids["damaged.pdf"]]
    assert bad["outcome"] == "failed"
    assert "page 1: the page picture cannot be read as an image" in bad["error"]
    record = stored.record("later.pdf")
    assert flat(record["text"]).startswith("后来补上的文字")

    assert stored.ids["notice.png"] not in lines  # a photo is read only when named
    photo = heritage(data, "ocr", "--collection", "later", "--item", stored.ids["notice.png"])
    assert "read, pages 1" in photo
    assert flat(stored.record("notice.png")["text"]) == "告示牌上的字"
    with TestClient(create_app(stored.settings)) as client:
        shown = client.get(
            f"/items/{stored.ids['notice.png']}",
            headers={"Accept": "text/html", "Accept-Language": "en"},
        )
    section = parse(shown.text).find("section", "page-text")
    assert section.find("h2").text() == "Text read from the picture"
    assert section.find("p", "page-text__source").text().startswith("OCR (rapidocr 1.4.4, ")
    assert flat(section.find("div", "page-text__body").text()) == "告示牌上的字"

    again = heritage(data, "ocr", "--collection", "later", "--item", stored.ids["later.pdf"])
    assert "unchanged" in again  # read before: nothing to do

    services = Services.from_settings(stored.settings)
    try:
        caller = Caller(None, "local", "curator", user="zhou")
        context = WriteContext(caller, "test")
        item = stored.ids["later.pdf"]
        correct_page(services, ItemLocks(), item, 2, "馆员改正的第二页", context)
    finally:
        services.close()
    forced = heritage(
        data, "ocr", "--collection", "later", "--item", stored.ids["later.pdf"], "--force"
    )
    assert "pages 1" in forced and "kept as corrected by a person: 2" in forced
    record = stored.record("later.pdf")
    starts = record["text_pages"]
    assert record["text"][starts[1] :] == "馆员改正的第二页"
    assert record["ocr"]["pages"][1]["edited_by"] == "zhou"


def test_each_read_page_has_an_annotation_page_of_its_lines(
    stored: Store, client: TestClient
) -> None:
    item_id = stored.ids["scan.pdf"]
    document = client.get(f"/iiif/{item_id}/manifest").json()
    Manifest(**document)  # still a valid Presentation 3 manifest
    canvases = document["items"]
    links = [canvas["annotations"] for canvas in canvases]
    assert [[(a["id"].split("/iiif/")[1], a["type"]) for a in link] for link in links] == [
        [(f"{item_id}/annotations/p{n}", "AnnotationPage")] for n in (1, 2)
    ]
    second = canvases[1]
    response = client.get(f"/iiif/{item_id}/annotations/p2")
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    page = response.json()
    assert page["type"] == "AnnotationPage" and page["id"] == links[1][0]["id"]
    assert "http://iiif.io/api/extension/text-granularity/context.json" in page["@context"]
    assert [a["body"]["value"] for a in page["items"]] == PAGE_2
    for annotation in page["items"]:
        assert annotation["motivation"] == "supplementing"
        assert annotation["textGranularity"] == "line"
        canvas, region = annotation["target"].split("#xywh=")
        assert canvas == second["id"]
        x, y, w, h = map(int, region.split(","))
        assert x >= 0 and x + w <= second["width"] and y >= 0 and y + h <= second["height"]
        assert w > h  # a horizontal line
    first, second_line = (a["target"] for a in page["items"])
    assert int(first.split(",")[1]) < int(second_line.split(",")[1])  # top to bottom
    assert client.get(f"/iiif/{item_id}/annotations/p3").status_code == 404


def test_a_hidden_items_annotations_are_not_found(stored: Store, client: TestClient) -> None:
    """The annotation route checks the record as the manifest does: the public gets 404."""
    item_id = stored.ids["scan.pdf"]
    records = RecordStore(open_store(stored.settings.store_config()))
    shown = records.load(item_id)
    try:
        records.save({**shown, "access": "restricted"})
        assert client.get(f"/iiif/{item_id}/annotations/p2").status_code == 404
    finally:
        records.save(dict(records.load(item_id)) | {"access": shown["access"]})
    assert client.get(f"/iiif/{item_id}/annotations/p2").status_code == 200


def test_the_item_page_says_each_pages_text_is_ocr_with_engine_and_confidence(
    stored: Store, client: TestClient
) -> None:
    item_id = stored.ids["scan.pdf"]
    record = stored.record("scan.pdf")
    percent = round(record["ocr"]["pages"][1]["confidence"] * 100)
    for lang, said in (
        ("en", f"OCR (rapidocr 1.4.4, confidence {percent} %)"),
        ("zh", f"机器识别（rapidocr 1.4.4，置信度 {percent}%）"),
    ):
        response = client.get(
            f"/items/{item_id}?page=2", headers={"Accept": "text/html", "Accept-Language": lang}
        )
        page = parse(response.text)
        section = page.find("section", "page-text")
        assert section.find("p", "page-text__source").text() == said
        assert flat(section.find("div", "page-text__body").text()) == "".join(PAGE_2)


def test_the_coordinator_leaves_a_new_documents_pages_to_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker process reads the pages; the process committing the items reads none (it
    would commit every other item late while it did)."""
    import ingest.pipeline
    from ingest import IngestOptions, run_ingest
    from ingest.ocr import OcrLimits

    def not_here(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the coordinator ran OCR")

    monkeypatch.setattr(ingest.pipeline, "ocr_record", not_here)
    source = tmp_path / "in"
    source.mkdir()
    scanned_pdf(source / "scan.pdf", horizontal_page(PAGE_1), horizontal_page(PAGE_2))
    settings = make_settings(tmp_path / "data", institution="local")
    services = Services.from_settings(settings)
    options = IngestOptions("scans", workers=1, ocr=OcrLimits())
    try:
        report = run_ingest([source], options, services.store_config, services.index)
    finally:
        services.close()
    assert report.counts() == {"stored": 1}, report.items
    record = RecordStore(open_store(settings.store_config())).load(report.items[0].id or "")
    assert ONLY_ON_PAGE_2 in flat(record.get("text", ""))
    assert [p["page"] for p in record["ocr"]["pages"]] == [1, 2]
    assert any(f["role"] == "ocr" for f in record["files"])
