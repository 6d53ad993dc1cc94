"""Every search backend applies exactly `search.base.is_visible`: for every audience, the hits,
the count and the facet counts are the records the rule admits — no more, no fewer."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from search.base import Audience, SearchIndex, SearchQuery, is_visible
from search.sqlite import SqliteIndex
from tests.conftest import require_service
from tests.unit.records import minimal_record

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
