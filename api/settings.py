"""Configuration, read once from the environment (and `.env`) and passed down as plain objects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from repository.config import StoreConfig


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
    api_keys: str = Field("", description="Comma-separated keys allowed to write.")
    secret: SecretStr = SecretStr("")
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL, for links and RDF.")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    default_status: Literal["draft", "review", "published"] = "draft"
    default_access: Literal["public", "institution", "restricted"] = "public"
    institution: str = "local"
    max_image_pixels: int = Field(250_000_000, description="Refuse larger images (bombs).")

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

    def store_config(self) -> StoreConfig:
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
