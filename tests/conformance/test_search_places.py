"""The `place` facet (where an item goes on the map) on every backend: counted under the
caller's audience, filtered like any facet, a sensitive place only ever its county."""

from __future__ import annotations

from typing import Any

import pytest

from search.base import Audience, SearchIndex, SearchQuery, SearchResult
from tests.conformance.conftest import make_record

SHAANXI = "shaanxi-library"


def _item(id_: str, region: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    extra = {"region": region} if region else {}
    return make_record(id_, "places", {"zh": f"条目{id_}"}, institution=SHAANXI, **extra, **fields)


RECORDS = [
    _item("pl-1", {"name": "延安市", "code": "610600"}, category="traditional-art"),
    _item("pl-2", {"name": "蔚县"}, category="traditional-art"),  # by its name
    _item(  # a bearer's home: its county only
        "pl-3",
        {"name": "某村", "code": "130726", "lat": 39.91234, "lon": 114.71234, "sensitive": True},
        category="folk-customs",
    ),
    _item("pl-4", {"name": "某地", "lat": 36.12345, "lon": 109.3}, category="folk-customs"),
    _item("pl-5", {"name": "苏州市", "code": "320500"}, access="restricted"),
    _item("pl-6", {"name": "苏州市", "code": "320500"}, status="draft"),
    _item("pl-7", None),
    _item("pl-8", {"name": "华县"}),  # not in the gazetteer: no place
]


@pytest.fixture
def places_index(empty_index: SearchIndex) -> SearchIndex:
    assert empty_index.index(RECORDS) == len(RECORDS)
    return empty_index


def places(result: SearchResult) -> dict[str, int]:
    return {v.value: v.count for v in result.facets["place"]}


def test_places_are_counted_for_what_the_public_may_see(places_index: SearchIndex) -> None:
    result = places_index.search(SearchQuery(facets=("place",), size=100))
    assert places(result) == {"130726": 2, "610600": 1, "@36.12,109.30": 1}
    assert result.total == 6  # p7 and p8 are found, just not placed
    shown = {hit.id: hit.summary["place"] for hit in result.hits}
    assert shown["pl-3"] == "130726"  # never the bearer's home
    assert shown["pl-7"] is None and shown["pl-8"] is None


def test_an_institution_sees_its_restricted_and_draft_places(places_index: SearchIndex) -> None:
    curator = Audience.member(SHAANXI, restricted=True)
    assert (
        places(places_index.search(SearchQuery(facets=("place",), audience=curator)))["320500"] == 2
    )
    archivist = Audience.member(SHAANXI, restricted=False)
    assert (
        places(places_index.search(SearchQuery(facets=("place",), audience=archivist)))["320500"]
        == 1
    )  # the draft, not the restricted one


def test_filter_by_place_and_drill_sideways(places_index: SearchIndex) -> None:
    result = places_index.search(
        SearchQuery(filters={"place": ("130726",)}, facets=("place", "category"))
    )
    assert sorted(hit.id for hit in result.hits) == ["pl-2", "pl-3"]
    assert places(result)["610600"] == 1  # its own filter left out of its counts
    by_category = places_index.search(
        SearchQuery(filters={"category": ("folk-customs",)}, facets=("place",))
    )
    assert places(by_category) == {"130726": 1, "@36.12,109.30": 1}
