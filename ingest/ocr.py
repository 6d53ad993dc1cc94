"""OCR: the text of page pictures that carry no text layer, with engine, confidence and boxes.

Engines were chosen by measurement (bench/README.md, "bench_ocr.py"): RapidOCR
(`rapidocr-onnxruntime`, PP-OCRv4, models inside its wheel) reads horizontal pages, Chinese and
English, far better than Tesseract; Tesseract's `chi_sim_vert`/`chi_tra_vert` models read
vertical columns (top to bottom, right to left) exactly where RapidOCR's recogniser fails. So
every page goes through RapidOCR first; when most of the detected text (by area) lies in tall
boxes (h > 2w) the page is vertical and is read again by `tesseract -l <lang>_vert --psm 5`,
`<lang>` chi_tra when the record's `language` says Hant/TW/HK or RapidOCR's text holds more
traditional than simplified characters (OpenCC), else chi_sim. A page on which RapidOCR's
detector finds nothing is read by `tesseract -l chi_sim --psm 3` before it is called blank: the
detector misses some text (two big characters on a small scan, RapidOCR's own test picture
`ch_doc_server.png`, which Tesseract reads); its lines are kept from a mean word confidence of
0.5, and not when they are a repeating texture.

Works on a record as stored: its page pictures (`access` = page 1, `page` files for the rest)
are read from the object store, and the record dict is changed in place: `text` and
`text_pages` (so search and its page hits work unchanged), `ocr` (engine, confidence, pages) and
an `ocr` file, a JSON object of every page's line boxes for IIIF annotations. Pages with a text
layer are never read; pages read before are skipped (a re-run costs nothing) unless `force`;
a page a person edited (`edited_by`) is never overwritten, not even with `force`.

Bounds: at most `max_pages` pages per item; Tesseract runs under a `page_seconds` timeout;
RapidOCR runs in-process and cannot be interrupted mid-page, so a page that took longer than
`page_seconds` stops the item's OCR after it. Each limit reached is a warning.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from repository import ObjectStore
from schemas.errors import InvalidInput, Unavailable

Layout = Literal["horizontal", "vertical"]
PAGE_BREAK = "\n\n"  # between pages' text, as the document stage joins them
OCR_MEDIA_TYPE = "application/json"
TALL = 2.0  # a box is a column when its height is more than TALL times its width


class OcrUnavailable(Unavailable):
    """An OCR engine (or one of its language models) is not installed."""


class OcrPageError(InvalidInput):
    """One page picture cannot be read (corrupt, not an image)."""


@dataclass(frozen=True)
class OcrLimits:
    max_pages: int = 200  # pages read per item
    page_seconds: float = 60.0  # one page's time limit

    def __post_init__(self) -> None:
        if self.max_pages < 1 or self.page_seconds <= 0:
            raise InvalidInput("OCR limits must be positive")


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h in the page picture's pixels
    confidence: float  # 0..1

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class PageReading:
    page: int
    text: str
    engine: str
    confidence: float  # mean of the lines', 0..1 (0 when nothing was read)
    layout: Layout
    lines: tuple[Line, ...]
    width: int
    height: int
    seconds: float


@dataclass
class OcrOutcome:
    """What one item's OCR did, for the report."""

    read: list[int] = field(default_factory=list)  # pages read now
    kept: list[int] = field(default_factory=list)  # pages a person edited, left as they are
    warnings: list[str] = field(default_factory=list)  # limits reached, pages that failed
    error: str | None = None  # why nothing could be read (a missing engine)

    @property
    def changed(self) -> bool:
        return bool(self.read)


# -- engines -----------------------------------------------------------------------------------


@cache
def _rapidocr() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
    except ImportError as exc:
        raise OcrUnavailable(
            f"the OCR engine RapidOCR is not installed (pip install rapidocr-onnxruntime): {exc}"
        ) from None
    return RapidOCR()


@cache
def rapidocr_name() -> str:
    try:
        return f"rapidocr {metadata.version('rapidocr-onnxruntime')}"
    except metadata.PackageNotFoundError:
        return "rapidocr"


@cache
def _tesseract_languages() -> frozenset[str]:
    if shutil.which("tesseract") is None:
        return frozenset()
    done = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    )
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:] if line.strip())


@cache
def tesseract_name() -> str:
    done = subprocess.run(
        ["tesseract", "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    words = (done.stdout or done.stderr).split()
    return f"tesseract {words[1]}" if len(words) > 1 else "tesseract"


def available() -> bool:
    """Both engines importable and installed: what `HERITAGE_OCR=auto` runs on."""
    try:
        _rapidocr()
    except OcrUnavailable:
        return False
    return {"chi_sim_vert", "chi_tra_vert"} <= _tesseract_languages()


# -- one page ----------------------------------------------------------------------------------


def is_vertical(boxes: Sequence[tuple[int, int, int, int]]) -> bool:
    """Most of the detected text, by area, lies in tall boxes (columns)."""
    total = sum(w * h for _, _, w, h in boxes)
    tall = sum(w * h for _, _, w, h in boxes if h > TALL * w)
    return total > 0 and tall * 2 > total


def is_traditional(text: str) -> bool:
    """More characters that only traditional Chinese writes than ones only simplified does."""
    import opencc

    t2s, s2t = _converters(opencc)
    chars = [c for c in text if "\u3400" <= c <= "\u9fff"]
    traditional = sum(1 for c in chars if t2s.convert(c) != c)
    simplified = sum(1 for c in chars if s2t.convert(c) != c)
    return traditional > simplified


@cache
def _converters(opencc: Any) -> tuple[Any, Any]:
    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def _box(quad: Sequence[Sequence[float]]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    x, y = int(min(xs)), int(min(ys))
    return x, y, max(1, round(max(xs)) - x), max(1, round(max(ys)) - y)


def reading_order(lines: Sequence[Line]) -> list[Line]:
    """Horizontal lines top to bottom, boxes of one row (vertically overlapping) left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: item.box[1]):
        x, y, w, h = line.box
        centre = y + h / 2
        if rows:
            top = min(item.box[1] for item in rows[-1])
            bottom = max(item.box[1] + item.box[3] for item in rows[-1])
            if top <= centre <= bottom:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]


def _cjk(char: str) -> bool:
    return (
        "\u3000" <= char <= "\u303f" or "\u3400" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
    )


def joined(lines: Sequence[Line], layout: Layout) -> str:
    """The page's text from its lines in reading order. A line (column) that runs to the far
    edge of the text block and the next one are one paragraph wrapped by the layout: between
    Chinese characters that break is dropped, so search finds a word split across it (染|品);
    every other break is a line break."""
    if not lines:
        return ""
    vertical = layout == "vertical"

    def end(line: Line) -> int:
        x, y, w, h = line.box
        return y + h if vertical else x + w

    far = max(end(line) for line in lines)
    parts = [lines[0].text]
    for before, line in pairwise(lines):
        size = before.box[2] if vertical else before.box[3]  # one character's size
        wrapped = end(before) >= far - 1.5 * size
        same = wrapped and bool(before.text) and _cjk(before.text[-1]) and _cjk(line.text[0])
        parts.append(("" if same else "\n") + line.text)
    return "".join(parts)


def _mean(lines: Sequence[Line]) -> float:
    return sum(line.confidence for line in lines) / len(lines) if lines else 0.0


def read_page(
    picture: Path, page: int, *, language: str | None = None, seconds: float = 60.0
) -> PageReading:
    """Read one page picture. `language` "chi_tra"/"chi_sim" overrides the guess for vertical
    pages. Raises `OcrPageError` for a picture that is not an image, `OcrUnavailable` when an
    engine is missing."""
    started = time.monotonic()
    try:
        with Image.open(picture) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise OcrPageError(
            f"page {page}: the page picture cannot be read as an image ({exc})"
        ) from None
    import numpy

    found, _ = _rapidocr()(numpy.asarray(image))
    lines = [
        Line(str(text), _box(quad), float(score))
        for quad, text, score in (found or [])
        if str(text).strip()
    ]
    if not lines and (lang := language or "chi_sim") in _tesseract_languages():
        # RapidOCR's detector sees no text at all: on some pages it misses what is there (big
        # characters on a small scan), so Tesseract reads the page before it is called blank
        try:
            read = _tesseract_lines(picture, image, 1.0, lang, seconds, page, psm=3)
        except OcrPageError:  # a second opinion that failed: the page stays as RapidOCR saw it
            read = []
        lines = [x for x in read if x.confidence >= FALLBACK_CONFIDENCE and _plausible(x.text)]
        if lines:
            ordered = reading_order(lines)
            return PageReading(
                page, joined(ordered, "horizontal"), f"{tesseract_name()} {lang}",
                _mean(ordered), "horizontal", tuple(ordered),
                image.width, image.height, time.monotonic() - started,
            )  # fmt: skip
    if is_vertical([line.box for line in lines]):
        lang = language or (
            "chi_tra" if is_traditional("".join(x.text for x in lines)) else "chi_sim"
        )
        columns = _tesseract_lines(
            picture,
            image,
            _scale_for([line.box[2] for line in lines]),
            f"{lang}_vert",
            seconds,
            page,
            psm=5,
        )
        engine = f"{tesseract_name()} {lang}_vert"
        text = joined(columns, "vertical")
        return PageReading(
            page, text, engine, _mean(columns), "vertical", tuple(columns),
            image.width, image.height, time.monotonic() - started,
        )  # fmt: skip
    ordered = reading_order(lines)
    return PageReading(
        page,
        joined(ordered, "horizontal"),
        rapidocr_name(),
        _mean(ordered),
        "horizontal",
        tuple(ordered),
        image.width,
        image.height,
        time.monotonic() - started,
    )


COLUMN_PIXELS = 30  # column width Tesseract reads best (bench: 24–30 px exact, 48 px 7 % CER)
FALLBACK_CONFIDENCE = 0.5
"""A line Tesseract reads on a page RapidOCR found blank is kept from this mean word confidence
on: on photographs (the pages of a booklet that are pictures) it mostly finds nothing, and what
it does find scores lower."""


def _plausible(text: str) -> bool:
    """Not the texture-as-text Tesseract reads in a repeating pattern ("glolololo…")."""
    letters = "".join(text.split())
    return len(letters) < 12 or len(set(letters)) * 4 > len(letters)


def _scale_for(widths: Sequence[int]) -> float:
    """The factor that brings the median column width to about COLUMN_PIXELS (never up)."""
    if not widths:
        return 1.0
    median = sorted(widths)[len(widths) // 2]
    return min(1.0, COLUMN_PIXELS / median) if median > 1.5 * COLUMN_PIXELS else 1.0


def _tesseract_lines(
    picture: Path,
    image: Image.Image,
    scale: float,
    lang: str,
    seconds: float,
    page: int,
    *,
    psm: int,
) -> list[Line]:
    """Lines from Tesseract's TSV, in its order: with a `_vert` model and `psm` 5, one per
    column (right to left). A line's words are joined without a space between CJK characters,
    with one between others. A page of big characters (a small scan drawn at the access size)
    is read scaled down and its boxes scaled back."""
    if lang not in _tesseract_languages():
        raise OcrUnavailable(
            f"Tesseract with its {lang} model is not installed "
            f"(apt-get install tesseract-ocr-{lang.replace('_', '-')}; scripts/system-deps.sh)"
        )
    with tempfile.TemporaryDirectory(prefix="heritage-ocr-") as tmp:
        if scale < 1.0:  # in a folder of its own, never beside the caller's picture
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            picture = Path(tmp) / "scaled.png"
            image.resize(size, Image.Resampling.LANCZOS).save(picture)
        command = ["tesseract", str(picture), "stdout", "-l", lang, "--psm", str(psm), "tsv"]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=seconds, check=False
            )
        except subprocess.TimeoutExpired:
            raise OcrPageError(
                f"page {page}: Tesseract took more than {seconds:g} s "
                "(time limit HERITAGE_OCR_PAGE_SECONDS)"
            ) from None
    if done.returncode != 0:
        problem = done.stderr.strip().splitlines()[-1:] or ["failed"]
        raise OcrPageError(f"page {page}: Tesseract could not read it ({problem[0]})")
    columns: dict[tuple[str, str, str], list[tuple[str, tuple[int, int, int, int], float]]] = {}
    for row in done.stdout.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        x, y, w, h = (round(int(cells[i]) / scale) for i in range(6, 10))
        columns.setdefault((cells[2], cells[3], cells[4]), []).append(
            (cells[11].strip(), (x, y, w, h), max(0.0, float(cells[10])) / 100)
        )
    lines = []
    for words in columns.values():
        left = min(b[0] for _, b, _ in words)
        top = min(b[1] for _, b, _ in words)
        right = max(b[0] + b[2] for _, b, _ in words)
        bottom = max(b[1] + b[3] for _, b, _ in words)
        text = _joined_words([word for word, _, _ in words])
        lines.append(Line(text, (left, top, right - left, bottom - top), _mean_of(words)))
    return lines


def _joined_words(words: Sequence[str]) -> str:
    from search.analysis import is_cjk_token  # the analyser loads with OCR, not every worker

    text = words[0] if words else ""
    for word in words[1:]:
        cjk = is_cjk_token(text[-1]) and is_cjk_token(word[0])
        text += word if cjk else f" {word}"
    return text


def _mean_of(words: Sequence[tuple[str, Any, float]]) -> float:
    return sum(score for _, _, score in words) / len(words)


# -- a stored record ---------------------------------------------------------------------------


def page_pictures(record: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(page number, blob key) of every page picture: the access copy is page 1."""
    files = record.get("files", [])
    pages = {int(f["page"]): str(f["key"]) for f in files if f["role"] == "page" and "page" in f}
    access = next((str(f["key"]) for f in files if f["role"] == "access"), None)
    if access is not None:
        pages.setdefault(1, access)
    return sorted(pages.items())


def page_texts(record: Mapping[str, Any], count: int) -> list[str] | None:
    """The record's text cut at `text_pages`, one string per page (blank when none); None when
    the text has no page offsets and the item has more than one page (cannot be split)."""
    text = record.get("text") or ""
    starts = record.get("text_pages") or []
    if not text:
        return [""] * count
    if not starts:
        return [text] + [""] * (count - 1) if count == 1 else None
    texts = []
    for n, start in enumerate(starts):
        end = starts[n + 1] - len(PAGE_BREAK) if n + 1 < len(starts) else len(text)
        texts.append(text[start : max(start, end)])
    return (texts + [""] * count)[:count]


def set_page_texts(record: dict[str, Any], texts: Sequence[str]) -> None:
    """`text` and `text_pages` from one text per page (no `text` when all are blank)."""
    starts, position = [], 0
    for n, text in enumerate(texts):
        position += len(PAGE_BREAK) if n else 0
        starts.append(position)
        position += len(text)
    joined = PAGE_BREAK.join(texts)
    if joined.strip():
        record["text"] = joined
        record["text_pages"] = starts
    else:
        record.pop("text", None)
        record.pop("text_pages", None)


def ocr_record(
    record: dict[str, Any],
    store: ObjectStore,
    limits: OcrLimits,
    *,
    force: bool = False,
) -> OcrOutcome:
    """Read the record's pages that have no text layer (see the module's docstring); the record
    dict is changed in place only when a page was read (`outcome.changed`)."""
    outcome = OcrOutcome()
    pictures = page_pictures(record)
    if not pictures:
        return outcome
    texts = page_texts(record, len(pictures))
    if texts is None:
        outcome.warnings.append("its text is not split by page; OCR is not run on it")
        return outcome
    done = {int(p["page"]): p for p in record.get("ocr", {}).get("pages", [])}
    wanted = []
    for page, key in pictures:
        previous = done.get(page)
        if previous is not None and previous.get("edited_by"):
            outcome.kept.append(page)
        elif previous is not None and force or previous is None and not texts[page - 1].strip():
            wanted.append((page, key))
    if len(wanted) > limits.max_pages:
        outcome.warnings.append(
            f"OCR read the first {limits.max_pages} of {len(wanted)} pages only "
            f"(page limit HERITAGE_OCR_MAX_PAGES={limits.max_pages})"
        )
        wanted = wanted[: limits.max_pages]
    language = _language_hint(record)
    readings: list[PageReading] = []
    with tempfile.TemporaryDirectory(prefix="heritage-ocr-") as tmp:
        for page, key in wanted:
            picture = Path(tmp) / f"p{page}"
            picture.write_bytes(store.get_bytes(key))
            try:
                reading = read_page(picture, page, language=language, seconds=limits.page_seconds)
            except OcrUnavailable as exc:
                outcome.error = str(exc)
                break
            except OcrPageError as exc:
                outcome.warnings.append(str(exc))
                continue
            readings.append(reading)
            if reading.seconds > limits.page_seconds:
                outcome.warnings.append(
                    f"OCR stopped after page {page}: it took {reading.seconds:.0f} s "
                    f"(time limit HERITAGE_OCR_PAGE_SECONDS={limits.page_seconds:g})"
                )
                break
    if wanted and not readings and outcome.error is None and outcome.warnings:
        outcome.error = f"no page could be read ({outcome.warnings[0]})"
    if readings:
        _apply(record, store, texts, readings, done)
        outcome.read = [reading.page for reading in readings]
    return outcome


def _language_hint(record: Mapping[str, Any]) -> str | None:
    for tag in record.get("language", []):
        lowered = tag.lower()
        if lowered.startswith("zh") and any(m in lowered for m in ("hant", "-tw", "-hk", "-mo")):
            return "chi_tra"
        if lowered.startswith("zh") and any(m in lowered for m in ("hans", "-cn", "-sg")):
            return "chi_sim"
    return None


def _apply(
    record: dict[str, Any],
    store: ObjectStore,
    texts: list[str],
    readings: list[PageReading],
    done: dict[int, dict[str, Any]],
) -> None:
    boxes = load_boxes(store, record)
    for reading in readings:
        texts[reading.page - 1] = reading.text
        done[reading.page] = {
            "page": reading.page,
            "engine": reading.engine,
            "confidence": round(reading.confidence, 3),
            "layout": reading.layout,
        }
        boxes[str(reading.page)] = {
            "width": reading.width,
            "height": reading.height,
            "lines": [line.to_json() for line in reading.lines],
        }
    set_page_texts(record, texts)
    pages = [done[n] for n in sorted(done)]
    engines = sorted({p["engine"] for p in pages})
    record["ocr"] = {
        "engine": engines[0] if len(engines) == 1 else ", ".join(engines),
        "confidence": round(sum(p["confidence"] for p in pages) / len(pages), 3),
        "pages": pages,
    }
    data = json.dumps({"pages": boxes}, ensure_ascii=False, sort_keys=True).encode()
    blob = store.put_blob(io.BytesIO(data))
    entry = {
        "role": "ocr",
        "key": blob.key,
        "media_type": OCR_MEDIA_TYPE,
        "bytes": blob.size,
        "sha256": blob.sha256,
    }
    record["files"] = [f for f in record["files"] if f["role"] != "ocr"] + [entry]


def load_boxes(store: ObjectStore, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's OCR boxes by page number (as a string): {width, height, lines}."""
    key = next((f["key"] for f in record.get("files", []) if f["role"] == "ocr"), None)
    if key is None:
        return {}
    pages: dict[str, Any] = json.loads(store.get_bytes(key)).get("pages", {})
    return pages


def edit_page(record: dict[str, Any], page: int, text: str, editor: str) -> None:
    """A person's text for page `page`: replaces it and marks it `edited_by`, so no machine
    re-run overwrites it."""
    pictures = page_pictures(record)
    if not 1 <= page <= max(len(pictures), 1):
        raise InvalidInput(f"page: the item has no page {page}")
    texts = page_texts(record, len(pictures))
    if texts is None:
        raise InvalidInput("text: this item's text is not split by page")
    texts[page - 1] = text.replace("\r\n", "\n")
    set_page_texts(record, texts)
    ocr = record.setdefault("ocr", {"engine": "person", "confidence": 1.0, "pages": []})
    pages = {int(p["page"]): p for p in ocr["pages"]}
    entry = pages.setdefault(page, {"page": page, "engine": "person", "confidence": 1.0})
    entry["edited_by"] = editor
    ocr["pages"] = [pages[n] for n in sorted(pages)]
