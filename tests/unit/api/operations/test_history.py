"""History operations on records alone: the field-level diff, and what a restore brings back
(the description) and what it leaves (the repository's fields and the curators' decisions)."""

from __future__ import annotations

import copy

from api.operations.callers import Caller
from api.operations.history import changed_fields, describe, diff_records, restore_into
from ingest.record import edited_fields
from schemas import validate_record
from search.screening import Screen
from tests.unit.support.records import minimal_record

CURATOR = Caller("k1", "museum-a", "curator")
NO_SCREEN = Screen([], "none")


def test_diff_names_added_removed_and_changed_fields_with_values() -> None:
    before = minimal_record(subjects=["剪纸"], people=[{"name": "王老汉"}])
    after = minimal_record(title={"zh": "剪纸《喜鹊》"}, subjects=["剪纸"], language=["zh"])
    assert diff_records(before, after) == {
        "added": {"language": ["zh"]},
        "removed": {"people": [{"name": "王老汉"}]},
        "changed": {"title": {"before": before["title"], "after": {"zh": "剪纸《喜鹊》"}}},
    }
    assert diff_records(after, after) == {"added": {}, "removed": {}, "changed": {}}


def test_restore_brings_back_the_description_not_the_decisions() -> None:
    old = minimal_record(subjects=["剪纸"], status="draft", access="restricted")
    current = minimal_record(
        title={"zh": "新标题"},
        status="published",
        access="public",
        embargo_until="2030-01-01",
        tags=[{"value": "后加", "source": "given"}],
    )
    current["files"] = []
    record = copy.deepcopy(current)
    summary = restore_into(record, old, 1, CURATOR, NO_SCREEN)
    assert summary == "restored version 1: changed subjects, tags, title"
    assert record["title"] == old["title"] and record["subjects"] == ["剪纸"]
    assert "tags" not in record
    # decisions and what the repository keeps stay as they are now
    assert (record["status"], record["access"], record["embargo_until"]) == (
        "published",
        "public",
        "2030-01-01",
    )
    assert record["files"] == []
    assert record["events"][:-1] == current["events"]
    event = record["events"][-1]
    assert event["type"] == "metadata-modification" and event["agent"] == CURATOR.agent
    validate_record(record)
    # a re-ingest keeps restored fields, as it keeps any person's edit
    assert edited_fields(record["events"]) == {"subjects", "tags", "title"}
    assert describe(2, record, current=True).change == (
        "metadata-modification: restored version 1: changed subjects, tags, title"
    )


def test_restoring_the_same_description_changes_nothing() -> None:
    record = minimal_record(status="published")
    assert restore_into(record, minimal_record(status="draft"), 1, CURATOR, NO_SCREEN) is None
    assert record == minimal_record(status="published")


def test_changed_fields_name_what_a_version_changed_not_its_bookkeeping() -> None:
    before = minimal_record(subjects=["剪纸"], people=[{"name": "王老汉"}])
    after = copy.deepcopy(before)
    after.update(title={"zh": "新标题"}, language=["zh"], modified="2030-01-01T00:00:00Z")
    del after["people"]
    after["events"] = [*after["events"], {**after["events"][-1], "detail": "edited"}]
    assert changed_fields(before, after) == ("language", "people", "title")
    assert changed_fields(before, copy.deepcopy(before)) == ()
