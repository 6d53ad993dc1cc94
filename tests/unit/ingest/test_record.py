"""build_record: defaults, derived title and category, and what a re-run keeps."""

from __future__ import annotations

from typing import Any

from ingest.record import Defaults, add_events, build_record, same_content, title_from_name
from ingest.worker import FileResult
from schemas import validate_record

SHA = "ab" * 32
DEFAULTS = Defaults(access="public", status="draft", institution="local", agent="test-agent")


def files(relpath: str = "剪纸/红_双喜.jpg") -> list[FileResult]:
    entry = {
        "role": "original",
        "name": relpath,
        "key": f"blobs/sha256/ab/ab/{SHA}",
        "sha256": SHA,
        "bytes": 10,
        "media_type": "image/jpeg",
    }
    return [FileResult(relpath, "JPEG", [entry], {"format": "JPEG", "width": 30, "height": 20})]


def build(fields: dict[str, Any], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_record(
        item_id="c-0123456789ab",
        collection="c",
        fields=fields,
        files=files(),
        stored_files=None,
        existing=existing,
        defaults=DEFAULTS,
    )


def test_record_without_manifest_row_is_valid_and_derived() -> None:
    record = build({})
    add_events(record, existing=None, files=files(), reused_files=False, job_id="j", agent="a")
    validate_record(record)
    assert record["title"] == {"zh": "红 双喜"}
    assert (record["access"], record["status"], record["institution"]) == (
        "public",
        "draft",
        "local",
    )
    assert record["category"] == "traditional-art"  # from the folder name 剪纸
    assert [e["type"] for e in record["events"]] == [
        "ingestion",
        "identification",
        "normalization",
        "validation",
    ]


def test_rerun_keeps_values_an_editor_changed_unless_the_manifest_sets_them() -> None:
    first = build({})
    published = {**first, "status": "published", "access": "institution"}
    again = build({}, existing=published)
    assert (again["status"], again["access"]) == ("published", "institution")
    assert again["created"] == published["created"]
    assert same_content(again, published)
    assert build({"status": "review"}, existing=published)["status"] == "review"


def test_title_from_name() -> None:
    assert title_from_name("a/long_song-1.tif") == {"en": "long song-1"}
    assert title_from_name("长调.jpg") == {"zh": "长调"}
