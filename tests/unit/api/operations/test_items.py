"""The pieces of a write: JSON Merge Patch (RFC 7396), what may be patched, If-Match, item locks,
the record ETag."""

from __future__ import annotations

import json
import threading
import time

import pytest

from api.http.errors import status_of
from api.http.routes.edit import parse_patch
from api.operations.callers import Caller
from api.operations.items import (
    ItemLocks,
    apply_patch,
    check_if_match,
    merge_patch,
    record_etag,
)
from schemas.errors import HeritageError, PreconditionFailed, PreconditionRequired
from search.screening import screen_for
from tests.unit.support.records import minimal_record

MERGE = "application/merge-patch+json"


# RFC 7396 Appendix A, every example
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: object, patch: object, result: object) -> None:
    original = json.dumps(target)
    assert merge_patch(target, patch) == result
    assert json.dumps(target) == original  # the target is not changed in place


@pytest.mark.parametrize(
    "field",
    ["id", "collection", "files", "events", "created", "status", "institution", "text_pages"],
)
def test_repository_fields_cannot_be_patched(field: str) -> None:
    with pytest.raises(HeritageError) as raised:
        parse_patch(json.dumps({"title": {"zh": "x"}, field: None}).encode(), MERGE)
    assert status_of(raised.value) == 422
    assert f"field '{field}' ($.{field}) cannot be patched" in str(raised.value)


def test_editing_the_text_drops_its_page_starts_and_other_edits_keep_them() -> None:
    caller = Caller(None, "local", "curator", user="wang")
    screen = screen_for(None)
    record = minimal_record(text="one\n\ntwo", text_pages=[0, 5])

    apply_patch(record, {"title": {"zh": "新标题"}}, caller, screen)
    assert record["text_pages"] == [0, 5]
    apply_patch(record, {"text": "one page now"}, caller, screen)
    assert "text_pages" not in record and record["text"] == "one page now"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b'{"a": 1}', "application/json", 415, "application/merge-patch+json"),
        (b'{"a": 1}', None, 415, "got none"),
        (b"{nope", MERGE, 422, "not valid JSON"),
        (b"[1]", MERGE, 422, "must be a JSON object"),
    ],
)
def test_bad_patch_documents(body: bytes, content_type: str | None, status: int, message: str):
    with pytest.raises(HeritageError) as raised:
        parse_patch(body, content_type)
    assert status_of(raised.value) == status and message in str(raised.value)


def test_a_patch_with_a_charset_parameter_is_accepted() -> None:
    assert parse_patch(b'{"title": {"en": "x"}}', f"{MERGE}; charset=utf-8") == {
        "title": {"en": "x"}
    }


def test_if_match() -> None:
    etag = '"abc"'
    check_if_match(etag, etag, required=True)
    check_if_match(f'"zzz", {etag}', etag, required=True)
    check_if_match(None, etag, required=False)
    for missing in (None, "", "*"):
        with pytest.raises(PreconditionRequired) as required:
            check_if_match(missing, etag, required=True)
        assert status_of(required.value) == 428
    for stale in ('"abd"', 'W/"abc"', "abc"):
        with pytest.raises(PreconditionFailed) as failed:
            check_if_match(stale, etag, required=False)
        assert status_of(failed.value) == 412
        assert failed.value.current_etag == etag


def test_the_etag_follows_the_record() -> None:
    record = minimal_record()
    assert record_etag(record) == record_etag(minimal_record())
    assert record_etag(record) != record_etag(minimal_record(access="restricted"))
    assert record_etag(record).startswith('"') and record_etag(record).endswith('"')


def test_an_item_lock_lets_one_writer_in_at_a_time_and_cleans_up() -> None:
    locks = ItemLocks()
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []

    def writer(name: str) -> None:
        with locks.hold("item-1"):
            inside.append(name)
            overlaps.append(tuple(inside))
            time.sleep(0.01)
            inside.remove(name)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(seen) == 1 for seen in overlaps) and len(overlaps) == 6
    assert locks._locks == {}
    with locks.hold("item-1"), locks.hold("item-2"):  # other items are not held up
        assert set(locks._locks) == {"item-1", "item-2"}


def test_a_tombstone_without_an_owner_is_not_told_to_the_public(tmp_path) -> None:
    """The public's audience has no institution; a tombstone with none must not match it and
    reveal that a never-public item existed."""
    from types import SimpleNamespace

    from api.operations.items import missing
    from repository import LocalStore, RecordStore
    from schemas.errors import Gone
    from search.base import Audience

    records = RecordStore(LocalStore(tmp_path))
    item_id = "c-0123456789ab"
    records.save_tombstone(
        {"id": item_id, "collection": "c", "deleted": "2026-01-01T00:00:00Z", "public": False}
    )
    services = SimpleNamespace(records=records)
    assert not isinstance(missing(services, item_id, Audience.public()), Gone)  # type: ignore[arg-type]
    assert isinstance(missing(services, item_id, Audience.all()), Gone)  # type: ignore[arg-type]
