"""Configuration, read once from the environment (and `.env`) and passed down as plain objects.

Imports no pipeline code, so every command can read it cheaply; `api.operations.ingesting` turns
it into the pipeline's options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from repository.config import StoreConfig


X264_PRESETS = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HERITAGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./heritage-data")
    storage: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "heritage"
    s3_secure: bool = False
    s3_region: str | None = None
    s3_encryption: bool = False
    s3_object_lock: bool = False
    search: Literal["sqlite", "elasticsearch", "opensearch"] = "sqlite"
    search_url: str = "http://127.0.0.1:9200"
    search_index: str = "heritage"
    api_keys: str = Field(
        "", description="Comma-separated bootstrap admin keys (role keys: `heritage keys create`)."
    )
    secret: SecretStr = SecretStr("")
    session_seconds: int = Field(
        8 * 3600, ge=60, description="How long a workspace sign-in lasts (signed cookie)."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins per user name or address before a lockout."
    )
    login_lockout_seconds: float = Field(
        30.0, gt=0, description="First lockout; it doubles with each further failure (max 15 min)."
    )
    comments_per_burst: int = Field(
        5, ge=1, description="Comments one address may send per burst window (then 429)."
    )
    comment_burst_seconds: float = Field(600.0, gt=0, description="The burst window of comments.")
    comments_per_day: int = Field(20, ge=1, description="Comments one address may send per day.")
    ratings_per_day: int = Field(100, ge=1, description="Ratings one address may send per day.")
    contributions_per_hour: int = Field(
        3, ge=1, description="Public contributions one address may send per hour (then 429)."
    )
    contributions_per_day: int = Field(
        10, ge=1, description="Public contributions one address may send per day."
    )
    contribution_file_max_bytes: int = Field(
        512 * 1024**2, ge=1, description="Largest file of one public contribution."
    )
    contribution_max_bytes: int = Field(
        1024**3, ge=1, description="Largest public contribution, all its files together."
    )
    contribution_max_files: int = Field(
        10, ge=1, le=100, description="Most files in one public contribution."
    )
    contribution_challenge_bits: int = Field(
        18, ge=0, le=28, description="Leading zero bits of the contribution form's proof of work."
    )
    contribution_challenge_seconds: int = Field(
        3600, ge=60, description="How long a contribution form's challenge may be answered."
    )
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL, for links and RDF.")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    default_status: Literal["draft", "review", "published"] = "draft"
    default_access: Literal["public", "institution", "restricted"] = "public"
    institution: str = "local"
    institution_name: str = Field(
        "", max_length=200, description="The name of `institution` on public pages (Chinese)."
    )
    institution_name_en: str = Field(
        "", max_length=200, description="The name of `institution` on English pages."
    )
    max_image_pixels: int = Field(250_000_000, description="Refuse larger images (bombs).")
    document_max_pages: int = Field(
        500, ge=1, le=100_000, description="Pages of a PDF or TIFF given a page image."
    )
    document_pages_seconds: float = Field(
        300.0, gt=0, description="Time one document's page images may take."
    )
    ocr: Literal["auto", "off"] = Field(
        "auto", description="OCR of new documents' pages without text: auto = when installed."
    )
    ocr_max_pages: int = Field(200, ge=1, le=100_000, description="Pages of one item OCR reads.")
    ocr_page_seconds: float = Field(60.0, gt=0, description="Time limit of one page's OCR.")
    video_max_side: int = Field(1280, ge=16, description="Longest side of video access copies.")
    video_crf: int = Field(23, ge=0, le=51, description="x264 quality (lower is better).")
    video_preset: X264_PRESETS = "veryfast"
    video_preview_seconds: float | None = Field(
        None, gt=0, description="Length of a preview clip; unset: no preview."
    )
    audio_format: Literal["m4a", "mp3"] = "m4a"
    audio_bitrate: str = Field("128k", pattern=r"^[1-9][0-9]{1,3}k$")
    ffmpeg_concurrency: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 1) // 2),
        ge=1,
        le=64,
        description="How many ffmpeg processes may run at once, beside the image workers "
        "(default: half the cores, at least one).",
    )
    ffmpeg_threads: int = Field(0, ge=0, le=64, description="Threads per ffmpeg; 0: automatic.")
    sensitive_terms_file: Path | None = Field(
        None, description="A JSON word list replacing the shipped sensitive-terms list."
    )
    upload_max_bytes: int = Field(
        20 * 1024**3,
        ge=1,
        description="Largest POST /api/ingest body, all its files together; also the largest "
        "resumable upload (one file).",
    )
    queue: Literal["local", "celery"] = Field(
        "local", description="Where upload jobs run: in the API process, or on `heritage worker`s."
    )
    broker_url: str = Field("", description="The Celery broker (Redis) when queue is celery.")
    queue_lease_seconds: int = Field(
        120,
        ge=5,
        le=86400,
        description="A worker renews its claim on a running job this often (x 1/3); a job whose "
        "claim lapsed (its worker died) is taken over by the next worker.",
    )

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @property
    def local_store_path(self) -> Path:
        return self.data_dir / "store"

    @property
    def reports_dir(self) -> Path:
        """Where the CLI writes a copy of each ingest report, beside the store."""
        return self.data_dir / "reports"

    @property
    def uploads_dir(self) -> Path:
        """Where `POST /api/ingest` receives files, one folder per job, removed after it."""
        return self.data_dir / "uploads"

    @property
    def resumable_dir(self) -> Path:
        """Where resumable (tus) uploads are received: kept across restarts, swept when expired."""
        return self.data_dir / "resumable"

    def store_config(self) -> StoreConfig:
        from repository.config import StoreConfig

        return StoreConfig(
            kind=self.storage,
            local_root=self.local_store_path,
            s3_endpoint=self.s3_endpoint,
            s3_access_key=self.s3_access_key,
            s3_secret_key=self.s3_secret_key.get_secret_value(),
            s3_bucket=self.s3_bucket,
            s3_secure=self.s3_secure,
            s3_region=self.s3_region,
            s3_encryption=self.s3_encryption,
            s3_object_lock=self.s3_object_lock,
        )
