"""search.base: the query check every backend runs first (check_query), and the one visibility
rule (is_visible) that every backend applies exactly: for every audience, the hits, the count and
the facet counts are the records the rule admits — no more, no fewer."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from search.base import Audience, SearchIndex, SearchQuery, check_query, is_visible
from search.sqlite import SqliteIndex
from tests.conftest import require_service
from tests.unit.support.records import minimal_record


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


TODAY = date(2026, 6, 1)
AUDIENCES = {
    "public": Audience.public(),
    "archivist-a": Audience.member("museum-a", restricted=False),
    "curator-a": Audience.member("museum-a", restricted=True),
    "curator-b": Audience.member("museum-b", restricted=True),
    "admin": Audience.all(),
}


def corpus() -> list[dict]:
    records = []
    combos = itertools.product(
        ("museum-a", "museum-b"),
        ("public", "institution", "restricted"),
        ("draft", "review", "published", "withdrawn"),
        (None, "2026-06-01", "2999-01-01"),
    )
    for n, (institution, access, status, embargo) in enumerate(combos):
        record = minimal_record(
            id=f"vis-{n:04d}",
            collection=f"vis-{institution}",
            institution=institution,
            access=access,
            status=status,
        )
        if embargo:
            record["embargo_until"] = embargo
        records.append(record)
    return records


@pytest.fixture(params=["sqlite", "elasticsearch", "opensearch"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "sqlite":
        index: SearchIndex = SqliteIndex(tmp_path / "index.sqlite3")
    elif request.param == "elasticsearch":
        from search.elasticsearch import ElasticsearchIndex

        url = require_service("HERITAGE_TEST_ELASTICSEARCH_URL", "Elasticsearch")
        index = ElasticsearchIndex(url, f"visibility-{uuid.uuid4().hex[:12]}")
    else:
        from search.opensearch import OpenSearchIndex

        url = require_service("HERITAGE_TEST_OPENSEARCH_URL", "OpenSearch")
        index = OpenSearchIndex(url, f"visibility-{uuid.uuid4().hex[:12]}")
    try:
        index.rebuild(corpus())
        yield index
    finally:
        if request.param != "sqlite":
            index.drop()  # type: ignore[attr-defined]
        index.close()


@pytest.mark.parametrize("who", sorted(AUDIENCES))
def test_the_backend_admits_exactly_what_the_rule_admits(index: SearchIndex, who: str) -> None:
    audience = AUDIENCES[who]
    wanted = {r["id"] for r in corpus() if is_visible(r, audience, TODAY)}
    result = index.search(
        SearchQuery(size=100, audience=audience, today=TODAY, facets=("collection", "access"))
    )
    assert {hit.id for hit in result.hits} == wanted
    assert result.total == len(wanted)
    assert index.count(audience) == len(wanted)  # its own today: the embargo dates agree
    assert sum(v.count for v in result.facets["access"]) == len(wanted)
    restricted = sum(v.count for v in result.facets["access"] if v.value == "restricted")
    assert restricted == sum(
        1 for r in corpus() if r["id"] in wanted and r["access"] == "restricted"
    )
