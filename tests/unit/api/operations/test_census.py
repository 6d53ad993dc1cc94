"""The census: the search index compared with storage, cheaply, with room for writes in flight."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.operations.census import IN_FLIGHT, IndexCensus, IndexEmpty, check_not_empty
from repository import LocalStore, RecordStore
from search.sqlite import SqliteIndex
from tests.unit.support.records import minimal_record


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[RecordStore, SqliteIndex, list[dict]]]:
    records = RecordStore(LocalStore(tmp_path / "store"))
    saved = [minimal_record(id=f"test-{n:012x}") for n in range(IN_FLIGHT + 4)]
    for record in saved:
        records.save(record)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    yield records, index, saved
    index.close()


def test_an_index_that_agrees_with_storage_has_no_problems(stored) -> None:
    records, index, saved = stored
    index.rebuild(saved)
    report = IndexCensus(records, index).check(len(saved))
    assert report["problems"] == [] and report["stored"] == len(saved)


def test_records_in_flight_are_not_a_problem(stored) -> None:
    records, index, saved = stored
    index.rebuild(saved[:-IN_FLIGHT])  # each writer stores, then indexes at once
    assert IndexCensus(records, index).check(len(saved) - IN_FLIGHT)["problems"] == []


def test_records_missing_from_the_index_are_counted(stored) -> None:
    records, index, saved = stored
    index.rebuild(saved[:2])
    missing = len(saved) - 2
    problems = IndexCensus(records, index).check(2)["problems"]
    assert problems == [
        f"{missing} stored records are not in the search index: run `heritage reindex`"
    ]


def test_an_empty_index_over_stored_records_is_named(stored) -> None:
    records, index, saved = stored
    problems = IndexCensus(records, index).check(0)["problems"]
    assert problems == [
        f"the search index is empty but storage holds {len(saved)} records: run `heritage reindex`"
    ]
    with pytest.raises(IndexEmpty):
        check_not_empty(index, records)
    index.rebuild(saved[:1])
    check_not_empty(index, records)  # not empty: an empty result is just an empty result


def test_an_index_with_items_storage_lacks_is_named(stored, tmp_path: Path) -> None:
    _, index, saved = stored
    index.rebuild(saved)
    fewer = RecordStore(LocalStore(tmp_path / "older"))  # storage restored from an older copy
    fewer.save(saved[0])
    problems = IndexCensus(fewer, index).check(len(saved))["problems"]
    extra = len(saved) - 1
    assert problems == [
        f"the search index holds {extra} items more than storage has records: "
        "run `heritage reindex`"
    ]


def test_the_census_is_kept_for_max_age_seconds(stored) -> None:
    records, index, saved = stored
    index.rebuild(saved)
    kept = IndexCensus(records, index, max_age=3600)
    fresh = IndexCensus(records, index, max_age=0)
    assert kept.check(len(saved))["stored"] == fresh.check(len(saved))["stored"] == len(saved)
    records.save(minimal_record(id="test-added000000"))
    assert kept.check(len(saved))["stored"] == len(saved)  # no second listing
    assert fresh.check(len(saved))["stored"] == len(saved) + 1


def test_an_empty_repository_is_healthy(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    try:
        records = RecordStore(LocalStore(tmp_path / "store"))
        assert IndexCensus(records, index).check(0)["problems"] == []
        check_not_empty(index, records)
    finally:
        index.close()
