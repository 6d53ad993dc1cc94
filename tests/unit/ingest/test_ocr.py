"""The OCR stage: the layout choice, reading order, the page texts it writes, a person's
correction kept, and two real reads (horizontal by RapidOCR, vertical traditional by Tesseract)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import ingest.ocr as ocr_module
from ingest.ocr import (
    Line,
    OcrLimits,
    OcrPageError,
    OcrUnavailable,
    PageReading,
    available,
    edit_page,
    is_traditional,
    is_vertical,
    joined,
    load_boxes,
    ocr_record,
    page_texts,
    read_page,
    reading_order,
    set_page_texts,
)
from repository import RecordStore, open_store
from repository.local import LocalStore
from tests.conftest import IN_CI
from tests.unit.support.ocr_pages import horizontal_page, vertical_page

needs_engines = pytest.mark.skipif(
    not available() and not IN_CI,  # CI installs them (scripts/system-deps.sh): there it fails
    reason="RapidOCR or Tesseract's _vert models are not installed (scripts/system-deps.sh)",
)


def test_columns_make_a_vertical_page_and_lines_a_horizontal_one() -> None:
    columns = [(300, 20, 40, 400), (240, 20, 40, 380), (180, 20, 40, 200)]
    lines = [(20, 20, 400, 40), (20, 80, 380, 40)]
    assert is_vertical(columns)
    assert not is_vertical(lines)
    # a few stray small boxes (punctuation, a seal) do not outvote the columns
    assert is_vertical([*columns, (10, 10, 30, 20), (50, 50, 20, 20)])
    assert not is_vertical([*lines, (500, 10, 20, 60)])
    assert not is_vertical([])


def test_traditional_text_is_told_from_simplified() -> None:
    assert is_traditional("長調民歌是蒙古族的傳統音樂形式")
    assert not is_traditional("长调民歌是蒙古族的传统音乐形式")
    assert not is_traditional("Paper cut 2019")


def test_boxes_are_read_in_rows_then_left_to_right() -> None:
    right = Line("右", (200, 12, 50, 30), 0.9)
    left = Line("左", (10, 10, 50, 30), 0.9)
    below = Line("下", (10, 80, 50, 30), 0.9)
    assert [line.text for line in reading_order([below, right, left])] == ["左", "右", "下"]


def test_a_paragraph_wrapped_by_the_layout_is_one_text_and_short_lines_end_one() -> None:
    wrapped = [
        Line("蔚县剪纸是传统民间", (20, 20, 270, 30), 0.9),  # runs to the right edge
        Line("艺术。", (20, 70, 90, 30), 0.9),  # ends short: the paragraph ends
        Line("窗花", (20, 120, 60, 30), 0.9),
        Line("Paper cut", (20, 170, 270, 30), 0.9),
        Line("festival", (20, 220, 120, 30), 0.9),  # Latin words keep their break
    ]
    assert joined(wrapped, "horizontal") == "蔚县剪纸是传统民间艺术。\n窗花\nPaper cut\nfestival"
    columns = [
        Line("長調民歌是", (300, 20, 40, 200), 0.9),  # runs to the bottom
        Line("傳統音樂", (240, 20, 40, 160), 0.9),
    ]
    assert joined(columns, "vertical") == "長調民歌是傳統音樂"
    assert joined([], "vertical") == ""


def test_page_texts_round_trip_through_text_pages() -> None:
    record: dict[str, Any] = {}
    set_page_texts(record, ["第一页", "", "第三页\n\n两段"])
    assert page_texts(record, 3) == ["第一页", "", "第三页\n\n两段"]
    assert record["text"][record["text_pages"][2] :] == "第三页\n\n两段"
    set_page_texts(record, ["", " "])
    assert "text" not in record and "text_pages" not in record
    assert page_texts({"text": "one page"}, 1) == ["one page"]
    assert page_texts({"text": "no offsets"}, 2) is None  # cannot be split: left alone


def test_a_correction_replaces_one_page_and_names_its_editor() -> None:
    record: dict[str, Any] = {
        "files": [
            {"role": "access", "key": "k1"},
            {"role": "page", "key": "k1", "page": 1},
            {"role": "page", "key": "k2", "page": 2},
        ],
        "ocr": {
            "engine": "rapidocr 1.4.4",
            "confidence": 0.8,
            "pages": [{"page": 2, "engine": "rapidocr 1.4.4", "confidence": 0.8}],
        },
    }
    set_page_texts(record, ["印刷的文字", "识别错的字"])
    edit_page(record, 2, "改正的文字", "curator@local")
    assert page_texts(record, 2) == ["印刷的文字", "改正的文字"]
    assert record["ocr"]["pages"] == [
        {"page": 2, "engine": "rapidocr 1.4.4", "confidence": 0.8, "edited_by": "curator@local"}
    ]
    with pytest.raises(ValueError, match="page: the item has no page 3"):
        edit_page(record, 3, "x", "curator@local")


@needs_engines
def test_a_horizontal_page_is_read_by_rapidocr_in_line_order(tmp_path: Path) -> None:
    picture = tmp_path / "page.png"
    horizontal_page(["蔚县剪纸是传统民间艺术", "喜鹊登梅窗花"]).save(picture)
    reading = read_page(picture, 1)
    assert reading.layout == "horizontal" and reading.engine.startswith("rapidocr")
    assert reading.text == "蔚县剪纸是传统民间艺术喜鹊登梅窗花"  # one paragraph, wrapped
    assert 0.5 < reading.confidence <= 1
    x, y, w, h = reading.lines[1].box
    assert y > reading.lines[0].box[1] and w > h  # the second line, below the first


@needs_engines
def test_a_vertical_traditional_page_is_read_by_tesseracts_vertical_model(
    tmp_path: Path,
) -> None:
    picture = tmp_path / "page.png"
    vertical_page(["長調民歌是蒙古族的", "傳統音樂形式曲調"]).save(picture)
    reading = read_page(picture, 1)
    assert reading.layout == "vertical"
    assert reading.engine.endswith("chi_tra_vert")
    assert (
        "".join(reading.text.split()) == "長調民歌是蒙古族的傳統音樂形式曲調"
    )  # right column first
    first, second = reading.lines
    assert first.box[0] > second.box[0] and first.box[3] > first.box[2]


@needs_engines
def test_a_page_rapidocr_sees_blank_is_read_by_tesseract_before_it_is_called_blank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RapidOCR's detector misses some pages that hold text (big characters on a small scan:
    RapidOCR's own test picture of two characters); Tesseract then reads them. Here its
    detector is made to see nothing."""
    monkeypatch.setattr(ocr_module, "_rapidocr", lambda: lambda image: (None, 0.0))
    picture = tmp_path / "page.png"
    horizontal_page(["蔚县剪纸是传统民间艺术", "喜鹊登梅窗花"], size=24).save(picture)
    reading = read_page(picture, 2)
    assert reading.engine.startswith("tesseract") and reading.engine.endswith("chi_sim")
    assert "剪纸是传统民间艺术" in reading.text and reading.layout == "horizontal"
    assert 0.5 <= reading.confidence <= 1 and len(reading.lines) == 2
    blank = tmp_path / "blank.png"
    Image.new("RGB", (600, 400), "white").save(blank)
    nothing = read_page(blank, 3)
    assert (nothing.text, nothing.lines, nothing.engine) == ("", (), ocr_module.rapidocr_name())


def test_tesseracts_second_look_keeps_words_not_texture() -> None:
    assert ocr_module._plausible("蔚县剪纸") and ocr_module._plausible("Ordos long song 2016")
    assert not ocr_module._plausible("glolololololololololololololololol")
    joined_words = ocr_module._joined_words(["蔚县", "剪纸", "paper", "cutting"])
    assert joined_words == "蔚县剪纸 paper cutting"


def test_a_picture_that_is_not_an_image_is_a_named_page_error(tmp_path: Path) -> None:
    picture = tmp_path / "page.jpg"
    picture.write_bytes(b"\xff\xd8\xff garbage, not a JPEG")
    with pytest.raises(OcrPageError, match="page 4: the page picture cannot be read"):
        read_page(picture, 4)


def _paged(tmp_path: Path, pages: int) -> tuple[LocalStore, dict[str, Any]]:
    """A stored document of `pages` page pictures and no text, as ingest leaves a scan."""
    store = LocalStore(tmp_path / "store")
    files: list[dict[str, Any]] = []
    for n in range(1, pages + 1):
        buffer = io.BytesIO()
        horizontal_page([f"第{n}页"]).save(buffer, "PNG")
        blob = store.put_blob(io.BytesIO(buffer.getvalue()))
        files.append({"role": "page", "key": blob.key, "page": n})
    files.insert(0, {"role": "access", "key": files[0]["key"]})
    return store, {"id": "scan-1", "files": files}


def _fake_reader(seen: list[int]) -> Any:
    def read(picture: Path, page: int, **_: Any) -> PageReading:
        seen.append(page)
        line = Line(f"机器读的第{page}页", (10, 10, 200, 30), 0.8)
        return PageReading(page, line.text, "fake 1", 0.8, "horizontal", (line,), 300, 100, 0.1)

    return read


def test_limits_kept_corrections_and_force_decide_which_pages_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, record = _paged(tmp_path, 3)
    seen: list[int] = []
    monkeypatch.setattr("ingest.ocr.read_page", _fake_reader(seen))

    outcome = ocr_record(record, store, OcrLimits(max_pages=2))
    assert outcome.read == [1, 2] and seen == [1, 2]
    assert outcome.warnings == [
        "OCR read the first 2 of 3 pages only (page limit HERITAGE_OCR_MAX_PAGES=2)"
    ]
    assert page_texts(record, 3) == ["机器读的第1页", "机器读的第2页", ""]
    assert load_boxes(store, record)["2"]["lines"][0]["box"] == [10, 10, 200, 30]

    seen.clear()
    outcome = ocr_record(record, store, OcrLimits())  # a re-run reads only the page left
    assert outcome.read == [3] and seen == [3]
    assert ocr_record(record, store, OcrLimits()).read == []  # and then nothing

    edit_page(record, 2, "馆员改的", "zhou")
    seen.clear()
    outcome = ocr_record(record, store, OcrLimits(), force=True)
    assert seen == [1, 3] and outcome.kept == [2]
    assert (page_texts(record, 3) or [])[1:2] == ["馆员改的"]
    assert [p.get("edited_by") for p in record["ocr"]["pages"]] == [None, "zhou", None]
    assert [f["role"] for f in record["files"]].count("ocr") == 1  # replaced, not added


def test_a_missing_engine_is_a_named_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, record = _paged(tmp_path, 1)

    def missing(*_: Any, **__: Any) -> PageReading:
        raise OcrUnavailable("Tesseract with its chi_tra_vert model is not installed")

    monkeypatch.setattr("ingest.ocr.read_page", missing)
    before = dict(record)
    outcome = ocr_record(record, store, OcrLimits())
    assert outcome.error == "Tesseract with its chi_tra_vert model is not installed"
    assert not outcome.changed and record == before


def test_ingest_reads_a_scan_inline_and_its_report_says_when_a_limit_was_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.e2e.sharing_support import make_settings
    from tests.support.ingesting import ingest_folder

    source = tmp_path / "source"
    source.mkdir()
    first, second = horizontal_page(["第一页"]), horizontal_page(["第二页"])
    first.save(source / "scan.pdf", "PDF", save_all=True, append_images=[second])
    seen: list[int] = []
    monkeypatch.setattr("ingest.worker.ocr_available", lambda: True)
    monkeypatch.setattr("ingest.ocr.read_page", _fake_reader(seen))
    settings = make_settings(tmp_path / "data")
    report = ingest_folder(
        settings,
        source,
        None,
        "scans",
        institution="local",
        in_process=True,  # the worker reads the pages: the fake reader is there
        ocr=OcrLimits(max_pages=1),
    )
    (item,) = report.items
    assert item.outcome == "stored" and seen == [1]
    assert item.reason == (
        "scan.pdf: OCR: OCR read the first 1 of 2 pages only (page limit HERITAGE_OCR_MAX_PAGES=1)"
    )
    record = RecordStore(open_store(settings.store_config())).load(item.id or "")
    assert page_texts(record, 2) == ["机器读的第1页", ""] and record["ocr"]["engine"] == "fake 1"


def test_a_page_over_the_time_limit_stops_the_items_ocr_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, record = _paged(tmp_path, 3)
    seen: list[int] = []
    fake = _fake_reader(seen)

    def slow(picture: Path, page: int, **options: Any) -> PageReading:
        reading: PageReading = fake(picture, page, **options)
        return replace(reading, seconds=5.0)  # as RapidOCR reports a page it could not stop

    monkeypatch.setattr("ingest.ocr.read_page", slow)
    outcome = ocr_record(record, store, OcrLimits(page_seconds=2.0))
    assert outcome.read == [1] and seen == [1]
    assert outcome.warnings == [
        "OCR stopped after page 1: it took 5 s (time limit HERITAGE_OCR_PAGE_SECONDS=2)"
    ]
