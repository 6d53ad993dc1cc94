"""Which store to open, as a small picklable value: worker processes open their own store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from repository.local import LocalStore
from repository.store import ObjectStore
from schemas.errors import InvalidInput


@dataclass(frozen=True)
class StoreConfig:
    kind: Literal["local", "s3"] = "local"
    local_root: Path = Path("./heritage-data/store")
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "heritage"
    s3_secure: bool = False
    s3_region: str | None = None
    s3_encryption: bool = False
    s3_object_lock: bool = False


def open_store(config: StoreConfig) -> ObjectStore:
    if config.kind == "local":
        return LocalStore(config.local_root)
    if config.kind == "s3":
        from repository.s3 import S3Store  # imported lazily: the embedded default needs no S3

        return S3Store.from_config(config)
    raise InvalidInput(f"unknown storage kind {config.kind!r}")
