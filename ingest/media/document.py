"""Documents: a picture of every page for the viewer, the first page's for the catalogue, and
the full text for search, with where each page's text begins.

PDFs are read with PDFium (`pypdfium2`, already the project's PDF reader; poppler's `pdftoppm`
is not a dependency): page count, every page rendered at the access size (vector pages are
drawn at that size, never scaled from a bitmap), the first page also as the item's access copy
and thumbnail, the text of every page up to `DocumentLimits`, and the Info dictionary's title,
author and creation date. Multi-page TIFF scans go through the image stage for their first page
(so 1-bit, 16-bit, CMYK and ICC handling is the same as for photos), then page by page through
the same conversions; they carry no text. Plain-text and Markdown transcripts give text only,
read as UTF-8 (with or without BOM) or GBK/GB18030.

PDFium runs in-process and cannot be interrupted inside one call, so the bounds are on work:
at most `max_pages` page pictures, made within `pages_seconds`; at most `max_text_pages` pages
read, the text capped at `max_text_chars`, and the text loop stopped after `text_seconds`. A
page-picture limit reached is a warning: the item is stored, the report says what is missing.
A hard wall-clock timeout belongs to the worker process that calls this.
"""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ingest.errors import DocumentError
from ingest.identify import tiff_pages
from ingest.media.image import (
    ACCESS_MAX,
    Derivative,
    make_image_derivatives,
    save_page,
    save_pictures,
    tiff_page_pictures,
)
from ingest.task import DocumentLimits

DocumentKind = Literal["pdf", "tiff", "text"]

_PDF_MAGIC = b"%PDF-"  # at the very start, as `ingest.identify` requires
_HEAD_BYTES = 1024
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_PAGE_BREAK = "\n\n"  # between pages' text (not pdftotext's form feed: XML cannot carry one)
_PDF_DATE = re.compile(
    r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)


@dataclass(frozen=True)
class DocumentResult:
    """What the document stage made. Text transcripts have no pictures; TIFF scans no text."""

    kind: DocumentKind
    media_type: Literal["document", "text"]  # the record's media_type
    access: Derivative | None  # first page, longest side ≤ ACCESS_MAX
    thumbnail: Derivative | None  # longest side ≤ THUMBNAIL_MAX
    technical: dict[str, Any]  # format, pages, title, author, created, encoding …
    text: str | None  # extracted text, at most `max_text_chars`
    notes: tuple[str, ...] = ()  # what was cut short or converted, for the provenance event
    pages: tuple[Derivative, ...] = ()  # a picture of each page, in order (page 1 = access)
    page_starts: tuple[int, ...] = ()  # where each page's text begins in `text`
    warnings: tuple[str, ...] = ()  # limits reached: the item is stored, but not whole


def make_document_derivatives(
    src: Path,
    out_dir: Path,
    *,
    max_pixels: int,
    limits: DocumentLimits | None = None,
    kind: DocumentKind | None = None,
) -> DocumentResult:
    """Write `access.jpg` and `thumbnail.jpg` (PDF, TIFF) into `out_dir` and extract the text.

    The kind comes from the bytes; the extension only labels Markdown. `max_pixels` bounds a
    TIFF page as it bounds a photo. Raises `DocumentError` (or the image stage's `ImageError`
    for a TIFF) naming the file. `kind`, when the caller has identified the file already,
    spares reading its first bytes again.
    """
    limits = limits or DocumentLimits()
    kind = kind or document_kind(src)
    if kind == "pdf":
        return _pdf(src, out_dir, limits)
    if kind == "tiff":
        return _tiff(src, out_dir, max_pixels, limits)
    return _transcript(src, limits)


def document_kind(src: Path) -> DocumentKind:
    """PDF or TIFF from the magic bytes, text when the bytes decode as UTF-8 or GBK."""
    try:
        with src.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise DocumentError(src.name, f"cannot be read ({exc.strerror})") from exc
    if not head:
        raise DocumentError(src.name, "the file is empty (0 bytes)")
    if head.startswith(_PDF_MAGIC):
        return "pdf"
    if head.startswith(_TIFF_MAGIC):
        return "tiff"
    if b"\x00" not in head and _decode(head, partial=True) is not None:
        return "text"
    raise DocumentError(
        src.name, "is not a PDF, a TIFF scan or a UTF-8/GBK text transcript (by its bytes)"
    )


# -- PDF ---------------------------------------------------------------------------------------


def _pdf(src: Path, out_dir: Path, limits: DocumentLimits) -> DocumentResult:
    try:
        pdf = pdfium.PdfDocument(src)
    except pdfium.PdfiumError as exc:
        raise DocumentError(src.name, _open_problem(exc)) from None
    with pdf:
        pages = len(pdf)
        if pages == 0:
            raise DocumentError(src.name, "the PDF has no pages")
        first = _render_first_page(pdf, src)
        access, thumbnail = save_pictures(first, out_dir)
        pictures, warnings = _pdf_pages(pdf, pages, access, out_dir, limits)
        text, starts, notes = _pdf_text(pdf, pages, limits)
        technical: dict[str, Any] = {"format": _pdf_version(pdf), "pages": pages}
        technical |= _pdf_info(pdf.get_metadata_dict(skip_empty=True))
    if notes:
        technical["text_truncated"] = True
    return DocumentResult(
        "pdf",
        "document",
        access,
        thumbnail,
        technical,
        text,
        tuple(notes),
        pictures,
        starts,
        tuple(warnings),
    )


class _PageBudget:
    """The page-picture limits of one document: how many, and until when."""

    def __init__(self, pages: int, limits: DocumentLimits):
        self.pages, self.limits = pages, limits
        self.deadline = time.monotonic() + limits.pages_seconds
        self.warnings: list[str] = []
        if pages > limits.max_pages:
            self.warnings.append(
                f"page images made for the first {limits.max_pages} of {pages} pages only "
                f"(page limit HERITAGE_DOCUMENT_MAX_PAGES={limits.max_pages})"
            )

    @property
    def count(self) -> int:
        return min(self.pages, self.limits.max_pages)

    def expired(self, index: int) -> bool:
        """True (and a warning) when the time limit is up before page `index` (from 0)."""
        if time.monotonic() <= self.deadline:
            return False
        self.warnings.append(
            f"page images stopped after {self.limits.pages_seconds:g} s, at page {index + 1} "
            f"of {self.pages} (time limit HERITAGE_DOCUMENT_PAGES_SECONDS)"
        )
        return True


def _pdf_pages(
    pdf: pdfium.PdfDocument,
    pages: int,
    first: Derivative,
    out_dir: Path,
    limits: DocumentLimits,
) -> tuple[tuple[Derivative, ...], list[str]]:
    """A picture of every page within the limits; page 1 is the access copy already made."""
    budget = _PageBudget(pages, limits)
    pictures = [first]
    for index in range(1, budget.count):
        if budget.expired(index):
            break
        picture = _render_page(pdf, index)
        if picture is None:
            budget.warnings.append(f"page {index + 1} cannot be rendered; the page images stop")
            break
        pictures.append(save_page(picture, out_dir, index + 1))
    return tuple(pictures), budget.warnings


def _open_problem(exc: pdfium.PdfiumError) -> str:
    if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return "the PDF is password-protected; save an unprotected copy and ingest that"
    if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
        return "the PDF uses an unsupported security (encryption) scheme"
    if exc.err_code in (pdfium_c.FPDF_ERR_SUCCESS, pdfium_c.FPDF_ERR_UNKNOWN):
        # no reason given: PDFium says "Success" of, e.g., a PDF 2.0 draft's Brotli streams
        return "the PDF cannot be opened: it is damaged, or built with features PDFium cannot read"
    return f"the PDF is corrupt or truncated and cannot be opened ({exc})"


def _render_first_page(pdf: pdfium.PdfDocument, src: Path) -> Image.Image:
    try:
        page = pdf[0]
    except pdfium.PdfiumError as exc:
        raise DocumentError(src.name, f"the first page of the PDF cannot be read ({exc})") from None
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            raise DocumentError(src.name, f"the first page has no area ({width}×{height} pt)")
        return _drawn(page, width, height)
    finally:
        page.close()


def _render_page(pdf: pdfium.PdfDocument, index: int) -> Image.Image | None:
    """Page `index` (from 0) drawn at the access size; None when PDFium cannot read it."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            return None
        return _drawn(page, width, height)
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


def _drawn(page: pdfium.PdfPage, width: float, height: float) -> Image.Image:
    bitmap = page.render(scale=ACCESS_MAX / max(width, height))
    picture: Image.Image = bitmap.to_pil().convert("RGB")
    return picture


def _pdf_text(
    pdf: pdfium.PdfDocument, pages: int, limits: DocumentLimits
) -> tuple[str | None, tuple[int, ...], list[str]]:
    """Every page's text, joined by blank lines, within the limits, and where each page's text
    begins (a page's own blank lines make the joined text ambiguous); notes say what was cut."""
    notes: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    position = 0
    room = limits.max_text_chars
    deadline = time.monotonic() + limits.text_seconds
    readable = min(pages, limits.max_text_pages)
    if pages > readable:
        notes.append(f"text read from the first {readable} of {pages} pages only")
    for index in range(readable):
        if time.monotonic() > deadline:
            notes.append(
                f"text extraction stopped after {limits.text_seconds:g} s, at page "
                f"{index + 1} of {pages}"
            )
            break
        text = (_PAGE_BREAK if texts else "") + _page_text(pdf, index, notes)
        start = position + (len(_PAGE_BREAK) if texts else 0)
        if len(text) > room:
            texts.append(text[:room])
            if start < limits.max_text_chars:
                starts.append(start)
            notes.append(f"text cut at {limits.max_text_chars} characters, on page {index + 1}")
            break
        texts.append(text)
        starts.append(start)
        room -= len(text)
        position += len(text)
    joined = "".join(texts)
    if not joined.strip():
        return None, (), notes
    return joined, tuple(starts), notes


def _page_text(pdf: pdfium.PdfDocument, index: int, notes: list[str]) -> str:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        notes.append(f"page {index + 1} cannot be read ({exc}); its text is missing")
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return _clean(textpage.get_text_range())
        finally:
            textpage.close()
    finally:
        page.close()


def _pdf_version(pdf: pdfium.PdfDocument) -> str:
    version = pdf.get_version()
    return f"PDF {version // 10}.{version % 10}" if version else "PDF"


def _pdf_info(meta: dict[str, str]) -> dict[str, str]:
    info = {}
    for key, field in (("Title", "title"), ("Author", "author")):
        value = _clean(meta.get(key, "")).strip()
        if value:
            info[field] = value
    created = pdf_date(meta.get("CreationDate", ""))
    if created:
        info["created"] = created
    return info


def pdf_date(value: str) -> str | None:
    """A PDF date ("D:20240102030405+08'00'") as ISO 8601; None when it is not one."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zulu, sign, tz_hour, tz_minute = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
        if zulu:
            moment = moment.replace(tzinfo=UTC)
        elif sign:
            offset = timedelta(hours=int(tz_hour), minutes=int(tz_minute or 0))
            moment = moment.replace(tzinfo=timezone(offset if sign == "+" else -offset))
    except ValueError:
        return None
    return moment.isoformat()


# -- TIFF scans --------------------------------------------------------------------------------


def _tiff(src: Path, out_dir: Path, max_pixels: int, limits: DocumentLimits) -> DocumentResult:
    image = make_image_derivatives(src, out_dir, max_pixels=max_pixels)
    pages = tiff_pages(src)
    technical = image.technical.to_record() | {"pages": pages}
    budget = _PageBudget(pages, limits)
    pictures = [image.access]
    if budget.count > 1:
        made, problem = tiff_page_pictures(
            src, out_dir, max_pixels=max_pixels, count=budget.count, expired=budget.expired
        )
        pictures += made
        if problem:
            budget.warnings.append(problem)
    return DocumentResult(
        "tiff",
        "document",
        image.access,
        image.thumbnail,
        technical,
        None,
        image.notes,
        tuple(pictures),
        (),
        tuple(budget.warnings),
    )


# -- text transcripts --------------------------------------------------------------------------


def _transcript(src: Path, limits: DocumentLimits) -> DocumentResult:
    budget = limits.max_text_chars * 4  # UTF-8 and GB18030 spend at most 4 bytes a character
    with src.open("rb") as handle:
        data = handle.read(budget + 1)
    partial = len(data) > budget
    decoded = _decode(data[:budget], partial=partial)
    if decoded is None:
        raise DocumentError(src.name, "the text is neither UTF-8 nor GBK/GB18030")
    text, encoding = decoded
    if "\x00" in text:
        raise DocumentError(src.name, "holds NUL characters: it is binary data, not text")
    text = _clean(text)
    notes = []
    if partial or len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        notes.append(f"text cut at {limits.max_text_chars} characters")
    label = "Markdown" if src.suffix.lower() in _MARKDOWN_SUFFIXES else "Plain text"
    technical: dict[str, Any] = {"format": label, "encoding": encoding}
    if notes:
        technical["text_truncated"] = True
    return DocumentResult("text", "text", None, None, technical, text or None, tuple(notes))


def _decode(data: bytes, *, partial: bool) -> tuple[str, str] | None:
    """(text, encoding) for UTF-8 (BOM or not) or GB18030 bytes; a character cut at the end
    of a partial read is dropped."""
    candidates = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(data, final=not partial), encoding
        except UnicodeDecodeError:
            continue
    return None


def _clean(text: str) -> str:
    """One newline convention and no control characters (tabs stay; a form feed becomes a
    blank line, as between pages)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    return _CONTROL.sub("", text)
