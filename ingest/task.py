"""One item's work as data: what the coordinator sends a worker (`Task`, with the makers'
`Settings`) and what comes back (`TaskResult`), and both as queue messages.

Kept apart from `ingest.worker`, which does the work: the coordinator, the web app and the
queue's sender build and read tasks without importing a single decoder (pyvips, PDFium),
and a `heritage ingest` reaches its first item sooner.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.captions import CaptionResult, CaptionSource
from ingest.discover import SourceFile
from ingest.media.ffmpeg import TranscodeSettings
from ingest.ocr import OcrLimits
from ingest.unpack import BagInfo
from repository import StoreConfig
from schemas.errors import InvalidInput


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on the work one document may cost."""

    max_text_chars: int = 2_000_000  # the record's `text` holds at most this many characters
    max_text_pages: int = 5_000  # pages whose text is extracted
    text_seconds: float = 120.0  # the page-by-page text loop stops after this long
    max_pages: int = 500  # pages rendered as pictures (PDF) or converted (TIFF)
    pages_seconds: float = 300.0  # the page-picture loop stops after this long

    def __post_init__(self) -> None:
        if (
            self.max_text_chars < 1
            or self.max_text_pages < 1
            or self.text_seconds <= 0
            or self.max_pages < 1
            or self.pages_seconds <= 0
        ):
            raise InvalidInput("document limits must be positive")


@dataclass(frozen=True)
class Settings:
    """Everything the makers need: plain, picklable values from the ingest options."""

    max_pixels: int
    transcode: TranscodeSettings = field(default_factory=TranscodeSettings)
    documents: DocumentLimits = field(default_factory=DocumentLimits)


@dataclass(frozen=True)
class Task:
    files: tuple[SourceFile, ...]
    collection: str
    identifier: str | None  # the manifest identifier; None = derive the id from content
    store_config: StoreConfig
    settings: Settings
    dry_run: bool
    scratch: Path  # parent of this task's temporary folder
    captions: tuple[CaptionSource, ...] = ()  # caption files of the item's video or audio
    caption_language: str = "zh"  # of a caption file whose name says none
    ocr: OcrLimits | None = None  # read a new document's pages without text (None: no OCR)
    languages: tuple[str, ...] = ()  # the manifest's `language` tags: the OCR's script hint


@dataclass
class FileResult:
    """One original and what was made from it."""

    relpath: str
    format: str
    media_type: str  # image, video, audio, document or text (what the makers found)
    entries: list[dict[str, Any]]  # record `files` entries: the original first, then derived
    technical: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what normalization did
    warnings: list[str] = field(default_factory=list)  # what normalization recovered from
    misnamed: str | None = None  # the name says another kind than the bytes
    text: str | None = None  # extracted text (documents, transcripts)
    text_pages: list[int] = field(default_factory=list)  # where each page's text begins

    @property
    def sha256(self) -> str:
        return str(self.entries[0]["sha256"])


@dataclass
class TaskResult:
    item_id: str
    files: list[FileResult]
    reused: bool = False  # a stored record already has these originals; no derivatives made
    captions: list[CaptionResult] = field(default_factory=list)
    caption_notes: list[str] = field(default_factory=list)  # caption files dropped, and why
    ocr_ran: bool = False  # OCR was run here (the coordinator does not run it again)
    ocr: dict[str, Any] | None = None  # what it read: the record's text, text_pages, ocr, file
    ocr_notes: list[str] = field(default_factory=list)  # limits reached, pages not read


# --- tasks and results as queue messages (plain JSON: a broker never carries code or secrets) ---


def task_message(task: Task) -> dict[str, Any]:
    """What a worker on another machine needs of a task, as JSON-ready data. Not the store
    config (the worker opens its own store, with its own credentials) nor the paths (the sender
    stages the files; the worker names its copies)."""
    return {
        "files": [
            {"relpath": f.relpath, "bag": asdict(f.bag) if f.bag else None} for f in task.files
        ],
        "collection": task.collection,
        "identifier": task.identifier,
        "settings": asdict(task.settings),
        "dry_run": task.dry_run,
        "ocr": asdict(task.ocr) if task.ocr else None,
        "languages": list(task.languages),
        "captions": [{"relpath": c.source.relpath, "language": c.language} for c in task.captions],
        "caption_language": task.caption_language,
    }


def task_of(message: dict[str, Any], paths: list[Path], store: StoreConfig, scratch: Path) -> Task:
    """The task of a `task_message`, its files then its caption files at `paths` (in the
    message's order)."""
    count = len(message["files"])
    files = tuple(
        SourceFile(path, f["relpath"], BagInfo(**f["bag"]) if f["bag"] else None)
        for path, f in zip(paths[:count], message["files"], strict=True)
    )
    captions = tuple(
        CaptionSource(SourceFile(path, c["relpath"]), c["language"])
        for path, c in zip(paths[count:], message.get("captions", []), strict=True)
    )
    given = message["settings"]
    transcode = dict(given["transcode"])
    transcode["waveform_size"] = tuple(transcode["waveform_size"])
    settings = Settings(
        given["max_pixels"], TranscodeSettings(**transcode), DocumentLimits(**given["documents"])
    )
    return Task(
        files,
        message["collection"],
        message["identifier"],
        store,
        settings,
        message["dry_run"],
        scratch,
        captions=captions,
        caption_language=message.get("caption_language", "zh"),
        ocr=OcrLimits(**message["ocr"]) if message.get("ocr") else None,
        languages=tuple(message.get("languages", ())),
    )


def result_message(result: TaskResult) -> dict[str, Any]:
    return asdict(result)


def result_of(message: dict[str, Any]) -> TaskResult:
    files = [FileResult(**f) for f in message["files"]]
    return TaskResult(
        message["item_id"],
        files,
        bool(message["reused"]),
        captions=[CaptionResult(**c) for c in message.get("captions", [])],
        caption_notes=list(message.get("caption_notes", [])),
        ocr_ran=bool(message.get("ocr_ran")),
        ocr=message.get("ocr"),
        ocr_notes=list(message.get("ocr_notes", [])),
    )


def item_id(collection: str, identifier: str) -> str:
    digest = hashlib.sha256(f"{collection}\0{identifier}".encode()).hexdigest()
    return f"{collection}-{digest[:12]}"


def content_identifier(sha256: str) -> str:
    """The identifier of an item the manifest gave none: its first original's content."""
    return f"sha256:{sha256}"
