"""From settings to one ingest's options, as the CLI, upload jobs and workers pass them on."""

from __future__ import annotations

from pathlib import Path

from api.settings import Settings
from ingest.media.ffmpeg import TranscodeSettings
from ingest.ocr import OcrLimits
from ingest.pipeline import IngestOptions
from ingest.task import DocumentLimits


def ingest_options(
    settings: Settings,
    collection: str,
    *,
    agent: str,
    manifest: Path | None = None,
    workers: int | None = None,
    dry_run: bool = False,
    status: str | None = None,
    access: str | None = None,
    institution: str | None = None,
    overwrite_edits: bool = False,
) -> IngestOptions:
    """One ingest's options: what is not given comes from `settings`."""
    return IngestOptions(
        collection=collection,
        manifest=manifest,
        workers=workers or settings.workers,
        dry_run=dry_run,
        default_status=status or settings.default_status,
        default_access=access or settings.default_access,
        institution=institution or settings.institution,
        agent=agent,
        max_image_pixels=settings.max_image_pixels,
        documents=DocumentLimits(
            max_pages=settings.document_max_pages, pages_seconds=settings.document_pages_seconds
        ),
        transcode=transcode_settings(settings),
        ffmpeg_concurrency=settings.ffmpeg_concurrency,
        overwrite_edits=overwrite_edits,
        ocr=ocr_limits(settings) if settings.ocr == "auto" else None,
        sensitive_terms_file=settings.sensitive_terms_file,
    )


def transcode_settings(settings: Settings) -> TranscodeSettings:
    """How video and audio access copies are made, for `IngestOptions.transcode`."""
    return TranscodeSettings(
        max_side=settings.video_max_side,
        crf=settings.video_crf,
        preset=settings.video_preset,
        audio_bitrate=settings.audio_bitrate,
        audio_format=settings.audio_format,
        preview_seconds=settings.video_preview_seconds,
        threads=settings.ffmpeg_threads,
    )


def ocr_limits(settings: Settings) -> OcrLimits:
    """The OCR stage's bounds (`heritage ocr`, and ingest when `HERITAGE_OCR=auto`)."""
    return OcrLimits(max_pages=settings.ocr_max_pages, page_seconds=settings.ocr_page_seconds)
