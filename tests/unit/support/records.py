"""Valid records for unit tests of one function (built by hand, checked against the schema)."""

from __future__ import annotations

import copy
from typing import Any

from schemas import validate_record

_MINIMAL: dict[str, Any] = {
    "schema_version": "1.0",
    "id": "test-0123456789ab",
    "collection": "test",
    "title": {"zh": "剪纸《窗花》", "en": "Paper-cut window flowers"},
    "media_type": "image",
    "access": "public",
    "status": "published",
    "files": [
        {
            "role": "original",
            "key": "blobs/sha256/" + "ab/cd/" + "abcd" + "0" * 60,
            "media_type": "image/jpeg",
            "bytes": 1234,
            "sha256": "abcd" + "0" * 60,
            "width": 800,
            "height": 600,
        }
    ],
    "events": [
        {"type": "ingestion", "time": "2026-01-01T00:00:00Z", "agent": "test", "outcome": "success"}
    ],
    "created": "2026-01-01T00:00:00Z",
    "modified": "2026-01-01T00:00:00Z",
}


def minimal_record(**changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(_MINIMAL)
    record.update(changes)
    return record


def _file(role: str, media_type: str, n: int, **extra: Any) -> dict[str, Any]:
    sha = f"{n:02d}" + "0" * 62
    return {
        "role": role,
        "key": f"blobs/sha256/{sha[:2]}/{sha[2:4]}/{sha}",
        "media_type": media_type,
        "bytes": 10,
        "sha256": sha,
        **extra,
    }


def photo_and_booklet() -> dict[str, Any]:
    """A photo and a 3-page PDF in one item: each original followed by its derivatives."""
    size = {"width": 300, "height": 400}
    files = [
        _file("original", "image/jpeg", 1, **size),
        _file("access", "image/jpeg", 2, **size),
        _file("thumbnail", "image/jpeg", 3, **size),
        _file("original", "application/pdf", 4, pages=3),
        _file("access", "image/jpeg", 5, **size),
        _file("thumbnail", "image/jpeg", 6, **size),
        *(_file("page", "image/jpeg", 6 + n, page=n, **size) for n in (1, 2, 3)),
    ]
    record = minimal_record(media_type="mixed", files=files)
    validate_record(record)
    return record
