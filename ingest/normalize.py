"""Normalize one original by its identified kind: route it to the image, video, audio or
document maker and describe what came out in one shape, whatever the kind.

Makers name files by their path on disk; for archive members that is a scratch path, so every
error and warning is renamed here to the path the archivist knows (`relpath`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ingest.errors import ItemError
from ingest.identify import MULTIPAGE_TIFF, PDF, Format
from ingest.media.audio import make_audio_derivatives
from ingest.media.document import DocumentKind, make_document_derivatives
from ingest.media.ffmpeg import OnStage
from ingest.media.image import Derivative, make_image_derivatives
from ingest.media.video import make_video_derivatives
from ingest.task import Settings


@dataclass(frozen=True)
class Made:
    """One derived file to store, and its record `files` entry without key, sha256, bytes."""

    path: Path
    entry: dict[str, Any]


@dataclass
class Normalized:
    media_type: str  # the record's media_type for this file: image, video, audio, document, text
    original: dict[str, Any]  # facts for the original's `files` entry: width, height, duration …
    derived: list[Made]
    technical: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # problems recovered from
    text: str | None = None
    text_pages: list[int] = field(default_factory=list)  # where each page's text begins


def normalize(
    src: Path,
    relpath: str,
    fmt: Format,
    out_dir: Path,
    settings: Settings,
    on_stage: OnStage | None = None,
    data: memoryview | None = None,
) -> Normalized:
    """Make the access copies of `src` in `out_dir`. Raises ItemError naming `relpath`.
    `data`: an image's bytes already read, which its decoder takes instead of the file."""
    maker = partial(_image, data=data) if fmt.kind == "image" else _MAKERS[fmt.kind]
    try:
        with _decoder_warnings() as heard:
            made = maker(src, fmt, out_dir, settings, on_stage)
    except ItemError as exc:
        raise type(exc)(relpath, _renamed(exc.problem, src, relpath)) from None
    made.warnings = [_renamed(w, src, relpath) for w in [*made.warnings, *heard]]
    return made


@contextmanager
def _decoder_warnings() -> Iterator[list[str]]:
    """What a decoder warns about a damaged file (Pillow: an EXIF block cut short, a malformed
    MPO header) as the file's warnings, which name it, not as bare lines on the terminal. The
    capture is process-wide: a worker makes one file's copies at a time."""
    heard: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # every file's, not once per process
        yield heard
    for warning in caught:
        if issubclass(warning.category, UserWarning):
            heard.append("the decoder warned: " + " ".join(str(warning.message).split()))
        else:  # not about the file: shown as it would have been
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _renamed(text: str, src: Path, relpath: str) -> str:
    return text.replace(str(src.resolve()), relpath).replace(str(src), relpath)


def _image(
    src: Path,
    fmt: Format,
    out_dir: Path,
    settings: Settings,
    on_stage: OnStage | None,
    data: memoryview | None = None,
) -> Normalized:
    made = make_image_derivatives(src, out_dir, max_pixels=settings.max_pixels, data=data)
    technical = made.technical
    return Normalized(
        media_type="image",
        original={
            "width": technical.width,
            "height": technical.height,
            **({"phash": made.phash} if made.phash else {}),
        },
        derived=_pictures(made.access, made.thumbnail),
        # One name per format across the record: the one identify gave the original.
        technical={**technical.to_record(), "format": fmt.name},
        notes=list(made.notes),
        warnings=list(made.warnings),
    )


def _audio_video(
    src: Path, fmt: Format, out_dir: Path, settings: Settings, on_stage: OnStage | None
) -> Normalized:
    maker = make_video_derivatives if fmt.kind == "video" else make_audio_derivatives
    result = maker(src, out_dir, settings.transcode, on_stage=on_stage)
    technical = result.technical
    original = {
        key: technical[key] for key in ("width", "height", "duration") if technical.get(key)
    }
    return Normalized(
        media_type=result.media_type,
        original=original,
        derived=[Made(f.path, f.to_record()) for f in result.files],
        technical=technical,
        notes=list(result.notes),
        warnings=list(result.warnings),
    )


def _document(
    src: Path, fmt: Format, out_dir: Path, settings: Settings, on_stage: OnStage | None
) -> Normalized:
    if on_stage and fmt.name == "PDF":
        on_stage("reading PDF")
    result = make_document_derivatives(
        src,
        out_dir,
        max_pixels=settings.max_pixels,
        limits=settings.documents,
        kind="text" if fmt.kind == "text" else _DOCUMENT_KINDS.get(fmt.name),
    )
    technical = result.technical
    original: dict[str, Any] = {
        key: technical[key] for key in ("width", "height", "pages") if key in technical
    }
    return Normalized(
        media_type=result.media_type,
        original=original,
        derived=_pictures(result.access, result.thumbnail) + _pages(result.pages),
        technical=technical,
        notes=list(result.notes),
        warnings=list(result.warnings),
        text=result.text,
        text_pages=list(result.page_starts),
    )


def _pages(pages: tuple[Derivative, ...]) -> list[Made]:
    """A `page` entry for each page picture of a document of more than one page (page 1's is
    the access copy's blob again: stored once, as the store is content-addressed)."""
    if len(pages) < 2:
        return []
    return [
        Made(
            picture.path,
            {
                "role": "page",
                "media_type": picture.media_type,
                "format": "JPEG",
                "width": picture.width,
                "height": picture.height,
                "page": number,
            },
        )
        for number, picture in enumerate(pages, start=1)
    ]


# identify has read the bytes already; the document maker need not sniff them again.
_DOCUMENT_KINDS: dict[str, DocumentKind] = {PDF.name: "pdf", MULTIPAGE_TIFF.name: "tiff"}


def _pictures(*pictures: Derivative | None) -> list[Made]:
    """The access JPEG and thumbnail JPEG of an image, a PDF's first page or a scan."""
    return [
        Made(
            picture.path,
            {
                "role": role,
                "media_type": picture.media_type,
                "format": "JPEG",
                "width": picture.width,
                "height": picture.height,
            },
        )
        for role, picture in zip(("access", "thumbnail"), pictures, strict=True)
        if picture is not None
    ]


_Maker = Callable[[Path, Format, Path, Settings, OnStage | None], Normalized]
_MAKERS: dict[str, _Maker] = {
    "image": _image,
    "video": _audio_video,
    "audio": _audio_video,
    "document": _document,
    "text": _document,
}
