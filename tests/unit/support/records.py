"""Valid records for unit tests of one function (built by hand, checked against the schema)."""

from __future__ import annotations

import copy
from typing import Any

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
