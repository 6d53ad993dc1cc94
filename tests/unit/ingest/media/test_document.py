"""ingest.media.document: first-page pictures, text and facts from PDFs, TIFF scans and
transcripts, and clear refusals of the files that cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from ingest.errors import DocumentError, ItemError
from ingest.media import document
from ingest.media.document import make_document_derivatives, pdf_date
from ingest.media.image import ACCESS_MAX, THUMBNAIL_MAX
from ingest.task import DocumentLimits
from tests.unit.support.pdfs import Page, build_pdf

MAX_PIXELS = 50_000_000
PAGES = [
    Page("Kunqu libretto, page one", "昆曲唱本第一页", dark_top_left=True),
    Page("Second page", "鄂尔多斯漫瀚调"),
]
INFO = {"Title": "牡丹亭 唱本", "Author": "汤显祖", "CreationDate": "D:20240102030405+08'00'"}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- PDF -----------------------------------------------------------------------------------


def test_pdf_gives_pages_text_metadata_and_first_page_pictures(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "唱本.pdf", build_pdf(PAGES, info=INFO))

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert (result.kind, result.media_type) == ("pdf", "document")
    assert result.technical == {
        "format": "PDF 1.7",
        "pages": 2,
        "title": "牡丹亭 唱本",
        "author": "汤显祖",
        "created": "2024-01-02T03:04:05+08:00",
    }
    assert result.text is not None
    first, second = result.text.split("\n\n")  # pages apart by a blank line
    assert "Kunqu libretto, page one" in first and "昆曲唱本第一页" in first
    assert "Second page" in second and "鄂尔多斯漫瀚调" in second
    assert result.notes == ()


def test_pdf_first_page_is_rendered_at_access_size(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "a.pdf", build_pdf(PAGES))

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert result.access is not None and result.thumbnail is not None
    with Image.open(result.access.path) as access:
        assert access.format == "JPEG" and access.mode == "RGB"
        assert access.size == (result.access.width, result.access.height)
        assert ACCESS_MAX - 2 <= max(access.size) <= ACCESS_MAX  # vector page drawn at size
        assert access.width / access.height == pytest.approx(612 / 792, abs=0.01)
        w, h = access.size
        assert max(access.getpixel((w // 4, h // 4))) < 40  # the dark top-left quarter
        assert min(access.getpixel((3 * w // 4, h // 4))) > 215  # white paper elsewhere
    with Image.open(result.thumbnail.path) as thumbnail:
        assert max(thumbnail.size) == THUMBNAIL_MAX
        assert max(thumbnail.getpixel((thumbnail.width // 4, thumbnail.height // 4))) < 40


def test_pdf_text_is_capped_by_characters_and_pages(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "a.pdf", build_pdf(PAGES))

    short = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(max_text_chars=10)
    )
    one_page = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(max_text_pages=1)
    )

    assert short.text == "Kunqu libr"
    assert short.technical["text_truncated"] is True
    assert short.notes == ("text cut at 10 characters, on page 1",)
    assert one_page.text is not None and "昆曲唱本第一页" in one_page.text
    assert "Second page" not in one_page.text
    assert one_page.notes == ("text read from the first 1 of 2 pages only",)


THREE = [Page("Opening words"), Page("Middle words"), Page("Closing unicorn", "结尾")]


def test_every_pdf_page_gets_a_picture_and_its_text_a_start(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "three.pdf", build_pdf(THREE))

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert result.access is not None and len(result.pages) == 3
    assert result.pages[0] == result.access  # page 1 is the access copy, stored once
    for page in result.pages:
        with Image.open(page.path) as picture:
            assert picture.format == "JPEG" and picture.size == (page.width, page.height)
            assert max(picture.size) == pytest.approx(ACCESS_MAX, abs=2)
    assert result.text is not None and len(result.page_starts) == 3
    texts = [result.text[start:].split("\n\n")[0] for start in result.page_starts]
    assert [t.strip() for t in texts] == ["Opening words", "Middle words", "Closing unicorn\n结尾"]
    assert result.warnings == ()


def test_page_limit_keeps_the_first_pages_and_warns(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "three.pdf", build_pdf(THREE))

    result = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(max_pages=2)
    )

    assert len(result.pages) == 2
    (warning,) = result.warnings
    assert "first 2 of 3 pages" in warning and "HERITAGE_DOCUMENT_MAX_PAGES" in warning
    assert result.text is not None and "Closing unicorn" in result.text  # text is not cut
    assert len(result.page_starts) == 3


def test_page_time_limit_stops_the_pictures_and_warns(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write(tmp_path / "three.pdf", build_pdf(THREE))
    clock = iter(range(0, 1000, 10))  # every look at the clock is 10 s later
    monkeypatch.setattr(document.time, "monotonic", lambda: float(next(clock)))

    result = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(pages_seconds=5, text_seconds=1e6)
    )

    assert len(result.pages) == 1
    (warning,) = result.warnings
    assert "stopped after 5 s, at page 2 of 3" in warning


@pytest.mark.parametrize("limit", [0, -1])
def test_page_limits_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        DocumentLimits(max_pages=limit)
    with pytest.raises(ValueError, match="positive"):
        DocumentLimits(pages_seconds=limit)


@pytest.mark.parametrize("code", [pdfium_c.FPDF_ERR_SUCCESS, pdfium_c.FPDF_ERR_UNKNOWN])
def test_a_pdf_pdfium_refuses_without_a_reason_is_not_said_to_succeed(code: int) -> None:
    """pdf.js's Brotli-Prototype-FileA.pdf fails to load with "PDFium: Success"."""
    refused = pdfium.PdfiumError("Failed to load document (PDFium: Success).", err_code=code)

    problem = document._open_problem(refused)

    assert problem.startswith("the PDF cannot be opened: it is damaged")
    assert "Success" not in problem


def test_a_damaged_pdf_is_named_with_pdfiums_reason(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "坏.pdf", b"%PDF-1.4\n" + b"x" * 100)

    with pytest.raises(DocumentError) as caught:
        make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert caught.value.subject == "坏.pdf"
    assert "corrupt or truncated and cannot be opened (" in str(caught.value)
    assert "Data format error" in str(caught.value)


def test_pdf_without_text_layer_has_no_text(tmp_path: Path, out: Path) -> None:
    src = tmp_path / "scan.pdf"
    Image.new("RGB", (300, 400), (200, 180, 150)).save(src, "PDF")

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert result.text is None and result.technical["pages"] == 1
    assert result.access is not None


def test_password_protected_pdf_is_refused(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "加密.pdf", build_pdf(PAGES, encrypted=True))

    with pytest.raises(DocumentError) as caught:
        make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert caught.value.subject == "加密.pdf"
    assert "password-protected" in str(caught.value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated mid-file
        lambda data: data[:200],  # only the header survives
        lambda data: b"%PDF-1.4\n" + bytes(range(256)) * 8,  # a header, then noise
    ],
)
def test_corrupt_or_truncated_pdf_is_refused(
    tmp_path: Path, out: Path, damage: Callable[[bytes], bytes]
) -> None:
    src = write(tmp_path / "broken.pdf", damage(build_pdf(PAGES)))

    with pytest.raises(DocumentError) as caught:
        make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert caught.value.subject == "broken.pdf"
    assert "corrupt or truncated" in str(caught.value)
    assert not (out / "access.jpg").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20240102030405+08'00'", "2024-01-02T03:04:05+08:00"),
        ("D:20240102030405Z", "2024-01-02T03:04:05+00:00"),
        ("D:19991231235959-05'30", "1999-12-31T23:59:59-05:30"),
        ("D:2024", "2024-01-01T00:00:00"),
        ("20240102", "2024-01-02T00:00:00"),
        ("D:20241340", None),  # month 13
        ("yesterday", None),
        ("", None),
    ],
)
def test_pdf_dates(value: str, expected: str | None) -> None:
    assert pdf_date(value) == expected


# -- TIFF scans ----------------------------------------------------------------------------


def save_tiff(path: Path, pages: list[Image.Image], **options: object) -> Path:
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], **options)
    return path


def test_multipage_tiff_gives_page_count_and_first_page(tmp_path: Path, out: Path) -> None:
    pages = [Image.new("RGB", (600, 800), colour) for colour in ("red", "blue", "green")]
    src = save_tiff(tmp_path / "scan.tif", pages, compression="tiff_lzw")

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert (result.kind, result.media_type, result.text) == ("tiff", "document", None)
    assert result.technical["pages"] == 3
    assert result.technical["format"] == "TIFF"
    assert result.access is not None and result.thumbnail is not None
    with Image.open(result.access.path) as access:
        assert access.size == (600, 800)  # never enlarged
        red, green, blue = access.getpixel((300, 400))
        assert red > 240 and green < 20 and blue < 20
    assert max(result.thumbnail.width, result.thumbnail.height) == THUMBNAIL_MAX


def test_every_tiff_page_gets_a_picture_within_the_page_limit(tmp_path: Path, out: Path) -> None:
    colours = [(255, 0, 0), (0, 0, 255), (0, 128, 0)]
    cyan = Image.new("CMYK", (300, 400), (255, 0, 0, 0))
    modes = [Image.new("RGB", (300, 400), colours[0]), cyan]
    src = save_tiff(tmp_path / "scan.tif", [*modes, Image.new("RGB", (300, 400), colours[2])])

    whole = make_document_derivatives(src, out / "all", max_pixels=MAX_PIXELS)
    cut = make_document_derivatives(
        src, out / "cut", max_pixels=MAX_PIXELS, limits=DocumentLimits(max_pages=2)
    )

    assert len(whole.pages) == 3 and whole.pages[0] == whole.access and whole.warnings == ()
    expected = [colours[0], (0, 255, 255), colours[2]]  # the CMYK page converted as photos are
    for page, colour in zip(whole.pages, expected, strict=True):
        with Image.open(page.path) as picture:
            assert picture.mode == "RGB" and picture.size == (300, 400)
            assert picture.getpixel((150, 200)) == pytest.approx(colour, abs=3)
    assert len(cut.pages) == 2 and "first 2 of 3 pages" in cut.warnings[0]


def test_a_tiff_page_over_the_pixel_limit_stops_the_pages_with_a_warning(
    tmp_path: Path, out: Path
) -> None:
    pages = [Image.new("L", (100, 100)), Image.new("L", (100, 100)), Image.new("L", (400, 400))]
    src = save_tiff(tmp_path / "scan.tif", pages)

    result = make_document_derivatives(src, out, max_pixels=50_000)

    assert len(result.pages) == 2
    assert "page 3 declares 400×400 pixels" in result.warnings[0]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (Image.new("1", (300, 200), 1), (255, 255, 255)),  # bilevel fax-style scan
        (Image.new("I;16", (300, 200), 32768), (128, 128, 128)),  # 16-bit grey, scaled
        (Image.new("CMYK", (300, 200), (255, 0, 0, 0)), (0, 255, 255)),  # cyan
    ],
    ids=["1-bit", "16-bit", "cmyk"],
)
def test_tiff_pixel_modes_become_rgb(
    tmp_path: Path, out: Path, page: Image.Image, expected: tuple[int, int, int]
) -> None:
    src = save_tiff(tmp_path / "scan.tif", [page, page])

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert result.access is not None and result.technical["pages"] == 2
    with Image.open(result.access.path) as access:
        assert access.mode == "RGB"
        assert access.getpixel((150, 100)) == pytest.approx(expected, abs=3)


def test_tiff_over_the_pixel_limit_is_refused(tmp_path: Path, out: Path) -> None:
    src = save_tiff(tmp_path / "huge.tif", [Image.new("L", (1000, 1000))])

    with pytest.raises(ItemError) as caught:
        make_document_derivatives(src, out, max_pixels=999_999)

    assert caught.value.subject == "huge.tif" and "limit" in str(caught.value)


# -- text transcripts ----------------------------------------------------------------------

TRANSCRIPT = "漫瀚调\r\n\r\n唱词：山丹丹开花红艳艳\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TRANSCRIPT.encode("gbk"), "gb18030"),
        (TRANSCRIPT.encode("utf-8"), "utf-8"),
        (TRANSCRIPT.encode("utf-8-sig"), "utf-8-sig"),
    ],
)
def test_transcripts_are_decoded(tmp_path: Path, out: Path, data: bytes, encoding: str) -> None:
    src = write(tmp_path / "唱词.txt", data)

    result = make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert (result.kind, result.media_type) == ("text", "text")
    assert result.text == "漫瀚调\n\n唱词：山丹丹开花红艳艳\n"
    assert result.technical == {"format": "Plain text", "encoding": encoding}
    assert result.access is None and result.thumbnail is None
    assert not out.exists()


def test_markdown_transcript_is_labelled_and_capped(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "notes.md", ("# 花儿\n" + "歌" * 100).encode("gbk"))

    result = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(max_text_chars=20)
    )

    assert result.technical == {"format": "Markdown", "encoding": "gb18030", "text_truncated": True}
    assert result.text == "# 花儿\n" + "歌" * 15
    assert result.notes == ("text cut at 20 characters",)


def test_huge_transcript_is_read_only_up_to_the_cap(tmp_path: Path, out: Path) -> None:
    src = write(tmp_path / "long.txt", "长".encode() * 1000)  # 3 bytes a character

    result = make_document_derivatives(
        src, out, max_pixels=MAX_PIXELS, limits=DocumentLimits(max_text_chars=101)
    )

    assert result.text == "长" * 101  # a character cut by the byte budget is not garbled


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 4, "not a PDF, a TIFF scan or a UTF-8/GBK text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a PDF, a TIFF scan or a UTF-8/GBK text"),
        (b"text " * 300 + bytes(20) + b"more", "NUL characters"),  # NULs past the head
    ],
)
def test_non_documents_are_refused(tmp_path: Path, out: Path, data: bytes, problem: str) -> None:
    src = write(tmp_path / "odd.txt", data)

    with pytest.raises(DocumentError) as caught:
        make_document_derivatives(src, out, max_pixels=MAX_PIXELS)

    assert caught.value.subject == "odd.txt" and problem in str(caught.value)
