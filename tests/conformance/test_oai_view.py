"""The ordered OAI-PMH view every search backend keeps (`SearchIndex.oai_headers`, `oai_count`,
`oai_collections`): the same headers, in the same (datestamp, id) order, from any cursor, on
SQLite, Elasticsearch and OpenSearch; only what the public may see, or could see before a
withdrawal; kept current by every write."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from search.base import OaiHeader, OaiSlice, SearchIndex
from tests.unit.support.records import minimal_record

TODAY = date(2026, 6, 1)


def item(n: int, **changes: Any) -> dict[str, Any]:
    changes.setdefault("modified", f"2026-01-{n:02d}T08:00:00+08:00")
    return minimal_record(id=f"test-{n:012x}", **changes)


RECORDS = [
    item(1, category="quyi"),
    item(2, collection="songs"),
    item(3, status="withdrawn"),  # was public: a deleted header
    item(4, access="restricted"),
    item(5, status="draft"),
    item(6, status="withdrawn", access="restricted"),  # never public: nothing
    item(7, embargo_until="2027-01-01"),  # not yet
    item(8, embargo_until="2026-03-01", category="quyi"),  # ended: dated the day it ended
    item(9, access="institution", institution="museum-a"),
    item(10, collection="songs", category="chuantong-yinyue"),
]


@pytest.fixture
def oai_index(empty_index: SearchIndex) -> SearchIndex:
    empty_index.index(RECORDS)
    return empty_index


def headers(index: SearchIndex, where: OaiSlice, limit: int = 2) -> list[OaiHeader]:
    """Every header, read page by page from the cursor as a harvester would."""
    found: list[OaiHeader] = []
    after = None
    while page := index.oai_headers(where, after, limit):
        found += page
        after = (page[-1].datestamp, page[-1].id)
    return found


def ids(found: list[OaiHeader]) -> list[str]:
    return [h.id.removeprefix("test-").lstrip("0") for h in found]


def test_lists_what_the_public_sees_and_withdrawals_in_order(oai_index: SearchIndex) -> None:
    found = headers(oai_index, OaiSlice(today=TODAY))
    assert ids(found) == ["1", "2", "3", "a", "8"]
    first = found[0]
    assert first == OaiHeader("2026-01-01T00:00:00Z", "test-000000000001", "test", "quyi", False)
    assert [h.deleted for h in found] == [False, False, True, False, False]
    assert found[-1].datestamp == "2026-03-01T00:00:00Z"  # the embargo's end, not the change
    assert oai_index.oai_count(OaiSlice(today=TODAY)) == 5


def test_an_embargo_ends_on_its_day(oai_index: SearchIndex) -> None:
    later = OaiSlice(today=date(2027, 1, 1))
    assert ids(headers(oai_index, later)) == ["1", "2", "3", "a", "8", "7"]
    assert oai_index.oai_count(later) == 6


def test_bounds_and_sets(oai_index: SearchIndex) -> None:
    window = OaiSlice(start="2026-01-02T00:00:00Z", end="2026-01-10T00:00:00Z", today=TODAY)
    assert ids(headers(oai_index, window)) == ["2", "3", "a"]
    assert oai_index.oai_count(window) == 3
    songs = OaiSlice(set_field="collection", set_value="songs", today=TODAY)
    assert ids(headers(oai_index, songs)) == ["2", "a"]
    assert oai_index.oai_count(songs) == 2
    quyi = OaiSlice(set_field="category", set_value="quyi", today=TODAY)
    assert ids(headers(oai_index, quyi)) == ["1", "8"]
    categorised = OaiSlice(set_field="category", today=TODAY)
    assert ids(headers(oai_index, categorised)) == ["1", "a", "8"]
    assert oai_index.oai_headers(OaiSlice(set_field="collection", set_value="x"), None, 5) == []
    assert oai_index.oai_collections(TODAY) == ["songs", "test"]


def test_the_view_follows_every_write(oai_index: SearchIndex) -> None:
    oai_index.index(
        [
            item(1, access="restricted"),  # hidden now: gone from the list
            item(5),  # published now
            item(2, collection="songs", status="withdrawn", modified="2026-05-05T00:00:00Z"),
        ]
    )
    oai_index.delete(["test-00000000000a"])
    found = headers(oai_index, OaiSlice(today=TODAY), limit=3)
    assert ids(found) == ["3", "5", "8", "2"]
    assert found[-1].deleted and found[-1].datestamp == "2026-05-05T00:00:00Z"
    assert oai_index.oai_count(OaiSlice(today=TODAY)) == 4  # kept by every write
    assert oai_index.oai_count(OaiSlice(set_field="category", today=TODAY)) == 1
    assert oai_index.oai_collections(TODAY) == ["songs", "test"]
    oai_index.rebuild(RECORDS[:1])
    assert ids(headers(oai_index, OaiSlice(today=TODAY))) == ["1"]
    assert oai_index.oai_count(OaiSlice(today=TODAY)) == 1
    assert oai_index.oai_collections(TODAY) == ["test"]


def test_a_cursor_inside_one_datestamp_goes_on_by_id(empty_index: SearchIndex) -> None:
    """Pages of 2 over five records changed in the same second: the cursor falls between
    records of one datestamp, and the next page goes on from it by id."""
    same = [item(n, modified="2026-02-02T10:00:00Z") for n in (12, 11, 14, 13, 15)]
    empty_index.index([*same, *RECORDS[:2]])
    assert ids(headers(empty_index, OaiSlice(today=TODAY))) == ["1", "2", "b", "c", "d", "e", "f"]
