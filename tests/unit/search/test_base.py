"""The query check every backend runs first (search.base.check_query)."""

from __future__ import annotations

import pytest

from search.base import SearchQuery, check_query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (SearchQuery(sort="price"), "sort"),  # type: ignore[arg-type]
        (SearchQuery(size=0), "size"),
        (SearchQuery(size=101), "size"),
        (SearchQuery(page=0), "page"),
        (SearchQuery(page=10**20), "page"),  # SQLite's OFFSET overflows; a cluster walks forever
        (SearchQuery(year_from=10**20), "year_from"),  # overflows SQLite's and ES's integers
        (SearchQuery(year_to=-(10**400)), "year_to"),
        (SearchQuery(facets=("colour",)), "colour"),
        (SearchQuery(filters={"colour": ("red",)}), "colour"),
    ],
)
def test_bad_queries_are_refused_with_the_offending_field(query: SearchQuery, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_query(query)


def test_filters_become_text_and_empty_filters_are_dropped() -> None:
    query = SearchQuery(filters={"decade": (1950,), "region": ()})  # type: ignore[dict-item]
    assert check_query(query) == {"decade": ["1950"]}
