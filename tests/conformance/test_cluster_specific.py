"""What only the cluster backends (Elasticsearch, OpenSearch) must do, on the real servers.

Alias swap without a moment of empty results, deep pages past 10 000 hits (search_after),
health through `cluster.health`, query text full of DSL syntax treated as text, and a clear
error naming the URL when the server is down. The shared behaviour is in test_search_index.py.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from search import cluster as cluster_module
from search.base import Audience, OaiSlice, SearchQuery
from search.cluster import (
    DATESTAMP_SECONDS,
    MODIFIED_KEY,
    RANK_AGG,
    RESULT_WINDOW,
    TITLE_CODE,
    ClusterError,
    ClusterIndex,
    index_body,
    rank_aggregations,
    sort_key_field,
    sort_spec,
    to_source,
)
from search.documents import to_document
from search.elasticsearch import ElasticsearchIndex
from search.opensearch import OpenSearchIndex
from search.sqlite import SqliteIndex
from tests.conformance.conftest import CORPUS, SEARCH_BACKENDS, make_record
from tests.unit.support.records import minimal_record

pytestmark = pytest.mark.services

ENGINES: dict[str, tuple[type[ClusterIndex], str]] = {
    "elasticsearch": (ElasticsearchIndex, "Elasticsearch"),
    "opensearch": (OpenSearchIndex, "OpenSearch"),
}
EVERYTHING = SearchQuery(audience=Audience.all(), facets=())


@contextmanager
def _open(kind: str, directory: Path) -> Iterator[ClusterIndex]:
    """An empty index from the conformance registry (a real server; dropped on exit)."""
    with SEARCH_BACKENDS[kind](directory) as index:
        assert isinstance(index, ClusterIndex)
        yield index


@pytest.fixture(params=sorted(ENGINES))
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClusterIndex]:
    with _open(request.param, tmp_path) as index:
        yield index


def _extra(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        minimal_record(id=f"bulk-{i:06d}", title={"zh": f"长调 第{i}首", "en": f"long song {i}"})
        for i in range(start, start + count)
    ]


def _versions(index: ClusterIndex) -> set[str]:
    """Every versioned index of this alias that exists on the server."""
    return set(index.client.indices.get(index=f"{index.alias}-v*"))


# ---------------------------------------------------------------------------------- alias


def test_the_alias_points_at_one_versioned_index(cluster: ClusterIndex) -> None:
    cluster.index(copy.deepcopy(CORPUS))
    (name,) = cluster.health()["indices"]
    assert re.fullmatch(re.escape(cluster.alias) + r"-v\d{20}", name)
    assert cluster.search(EVERYTHING).total == len(CORPUS)


def test_rebuild_swaps_the_alias_with_no_moment_of_empty_results(cluster: ClusterIndex) -> None:
    cluster.index(copy.deepcopy(CORPUS))
    (before,) = cluster.health()["indices"]
    records = copy.deepcopy(CORPUS) + _extra(3000)
    totals: list[int] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            totals.append(cluster.search(EVERYTHING).total)

    reader = threading.Thread(target=keep_searching)
    reader.start()
    try:
        assert cluster.rebuild(iter(records)) == len(records)
    finally:
        stop.set()
        reader.join()
    assert totals, "the reader never got an answer"
    assert set(totals) <= {len(CORPUS), len(records)}
    assert cluster.search(EVERYTHING).total == len(records)
    (after,) = cluster.health()["indices"]
    assert after != before
    assert _versions(cluster) == {after}  # the old index is gone


def test_a_failed_rebuild_leaves_the_old_index_serving(cluster: ClusterIndex) -> None:
    cluster.index(copy.deepcopy(CORPUS))
    (before,) = cluster.health()["indices"]

    def broken() -> Iterator[dict[str, Any]]:
        yield from _extra(600)
        raise RuntimeError("storage went away")

    with pytest.raises(RuntimeError, match="storage went away"):
        cluster.rebuild(broken())
    assert cluster.health()["indices"] == [before]
    assert _versions(cluster) == {before}
    assert cluster.search(EVERYTHING).total == len(CORPUS)


def test_writes_after_a_rebuild_go_through_the_alias(cluster: ClusterIndex) -> None:
    cluster.rebuild(copy.deepcopy(CORPUS))
    changed = copy.deepcopy(CORPUS[0])
    changed["title"] = {"zh": "新标题", "en": "A brand new title"}
    assert cluster.index([changed, *_extra(2)]) == 3
    found = cluster.search(SearchQuery(q="brand new", audience=Audience.all()))
    assert [h.id for h in found.hits] == [changed["id"]]
    cluster.delete(["bulk-000000", "never-indexed"])
    assert cluster.count() == len(CORPUS) + 1


def test_an_index_from_before_the_oai_order_lists_every_record_until_reindexed(
    cluster: ClusterIndex,
) -> None:
    """An index made before `index.sort` and `DATESTAMP_SECONDS`: its documents lack the
    field, new writes have it, and OAI pages from a cursor list both, in order."""
    old = index_body()
    del old["settings"]["index"]["sort"]
    del old["mappings"]["properties"][DATESTAMP_SECONDS]
    old["aliases"] = {cluster.alias: {}}
    cluster.client.indices.create(index=f"{cluster.alias}-v1", body=old)
    records = [
        minimal_record(id=f"old-{i}", modified=f"2024-01-0{i}T00:00:00Z") for i in range(1, 7)
    ]
    for record in records[::2]:  # written by the earlier version
        source = {k: v for k, v in to_source(record).items() if k != DATESTAMP_SECONDS}
        cluster.client.index(index=cluster.alias, id=record["id"], body=source, refresh=True)
    cluster.index(records[1::2])
    found, after = [], None
    while page := cluster.oai_headers(OaiSlice(), after, 2):
        found += [header.id for header in page]
        after = (page[-1].datestamp, page[-1].id)
    assert found == [record["id"] for record in records]


@pytest.mark.parametrize("sort", ["title", "modified"])
def test_an_index_from_before_the_sort_keys_pages_as_sqlite_until_reindexed(
    cluster: ClusterIndex, tmp_path: Path, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents written before `TITLE_CODE` and `MODIFIED_KEY` lack them: deep pages cannot
    count per key, so they jump, with the same hits as SQLite's."""
    old = index_body()
    for name in (TITLE_CODE, MODIFIED_KEY):
        del old["mappings"]["properties"][name]
    old["aliases"] = {cluster.alias: {}}
    cluster.client.indices.create(index=f"{cluster.alias}-v1", body=old)
    records = [
        minimal_record(
            id=f"old-{i:02d}",
            title={"en": f"{'ab'[i % 2]}{i % 5} song"},
            modified=f"2024-01-{1 + i % 4:02d}T00:00:00Z",
        )
        for i in range(30)
    ]
    for record in records[::3]:  # written by the earlier version
        source = {k: v for k, v in to_source(record).items() if k not in (TITLE_CODE, MODIFIED_KEY)}
        cluster.client.index(index=cluster.alias, id=record["id"], body=source, refresh=True)
    cluster.index([r for i, r in enumerate(records) if i % 3])
    sqlite = SqliteIndex(tmp_path / "search.sqlite")
    sqlite.rebuild(copy.deepcopy(records))
    monkeypatch.setattr(cluster_module, "RESULT_WINDOW", 6)
    for page in range(1, 9):
        query = SearchQuery(audience=Audience.all(), sort=sort, page=page, size=4, facets=())
        assert [h.id for h in cluster.search(query).hits] == [
            h.id for h in sqlite.search(query).hits
        ]
    sqlite.close()


# ---------------------------------------------------------------------------------- deep pages

DEEP = RESULT_WINDOW + 150


def _deep_title(i: int) -> dict[str, str]:
    """Sort titles: "mm jian zhi …" for a third (one title code, as "mm" is no syllable: a
    range past any lowered window), 60 other two-letter starts, a run of equal titles and some
    empty ones (first)."""
    if i % 97 == 0:
        return {"en": ""}
    if i % 50 == 0:
        return {"zh": "剪纸", "en": "paper"}
    code = "mm" if i % 3 == 0 else chr(97 + i % 20) + chr(97 + i % 3)
    return {"zh": f"{code}剪纸第{i}号", "en": f"paper {i}"}


def _deep_modified(i: int) -> str:
    """About 30 hits a day over 336 days, ties at each hour; a fifth on one day long ago (a day
    bucket past any lowered window); some written with an offset or a lowercase t, which sort
    by their text as SQLite sorts them."""
    if i % 5 == 0:
        return "2023-06-01T00:00:00Z"
    stamp = f"2024-{1 + i % 12:02d}-{1 + (i // 12) % 28:02d}T{(i // 336) % 3:02d}:00:00"
    if i % 7 == 0:
        return stamp + "+08:00"
    return stamp.replace("T", "t") + "Z" if i % 13 == 0 else stamp + "Z"


def _deep_records() -> list[dict[str, Any]]:
    records = []
    for i in range(DEEP):
        year = 1900 + (i * 37) % 120
        record = minimal_record(
            id=f"deep-{i:06d}",
            title=_deep_title(i),
            subjects=["剪纸", "paper"],
            modified=_deep_modified(i),
        )
        if i % 11:  # some undated: they sort last
            record["date"] = {"edtf": str(year), "earliest": year, "latest": year}
        records.append(record)
    return records


@pytest.fixture(scope="module", params=sorted(ENGINES))
def deep_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClusterIndex]:
    with _open(request.param, tmp_path_factory.mktemp("deep")) as index:
        assert index.rebuild(_deep_records()) == DEEP
        yield index


def _page(index: ClusterIndex, page: int, **fields: Any) -> list[str]:
    query = SearchQuery(page=page, size=100, facets=(), **fields)
    return [hit.id for hit in index.search(query).hits]


def test_date_pages_past_the_result_window_continue_the_order(deep_index: ClusterIndex) -> None:
    def year(record: dict[str, Any]) -> float:
        return record["date"]["earliest"] if "date" in record else float("inf")

    expected = [r["id"] for r in sorted(_deep_records(), key=lambda r: (year(r), r["id"]))]
    pages = [_page(deep_index, page, sort="date") for page in (99, 100, 101, 102)]
    assert sum(pages, []) == expected[9800:DEEP]
    assert len(pages[-1]) == 50


def _expected_order(sort: str) -> list[str]:
    """Every deep record's id in `sort` order, as search.documents defines the sorts."""
    docs = [to_document(record) for record in _deep_records()]
    keys: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
        "date": lambda d: (d["date_sort"] is None, d["date_sort"] or 0, d["id"]),
        "-date": lambda d: (d["date_sort"] is None, -(d["date_sort"] or 0), d["id"]),
        "title": lambda d: (d["title_sort"] is not None, d["title_sort"] or "", d["id"]),
        "modified": lambda d: (tuple(-ord(c) for c in d["modified"]), d["id"]),
    }
    return [d["id"] for d in sorted(docs, key=keys[sort])]


@pytest.mark.parametrize("sort", ["date", "-date", "title", "modified"])
def test_field_sorts_past_the_result_window_jump_without_reading_the_window(
    deep_index: ClusterIndex, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 10 000 hits a field sort counts or jumps: no request asks for more hits than a page."""
    sizes: list[int] = []
    real = deep_index.client.search

    def recording(*args: Any, **kwargs: Any) -> Any:
        sizes.append(kwargs["body"].get("size", 10))
        return real(*args, **kwargs)

    monkeypatch.setattr(deep_index.client, "search", recording)
    pages = [_page(deep_index, page, sort=sort) for page in (100, 101, 102)]
    assert sum(pages, []) == _expected_order(sort)[9900:DEEP]
    assert max(sizes) == 100


def test_several_jumps_reach_the_same_page(
    deep_index: ClusterIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the counts per day, page 70 takes two jumps, then from 900."""
    monkeypatch.setattr(cluster_module, "RANKINGS", {})
    monkeypatch.setattr(cluster_module, "RESULT_WINDOW", 3_000)
    assert _page(deep_index, 70, sort="modified") == _expected_order("modified")[6900:7000]
    assert _page(deep_index, 150, sort="modified") == []


@pytest.fixture(scope="module")
def deep_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteIndex]:
    index = SqliteIndex(tmp_path_factory.mktemp("deep-sqlite") / "search.sqlite")
    index.rebuild(_deep_records())
    yield index
    index.close()


FIRST_DECADES = {"decade": ("1900", "1910", "1920", "1930", "1940", "1950")}


@pytest.mark.parametrize("sort", ["date", "-date"])
@pytest.mark.parametrize(
    ("page", "filters"),
    [(50, {}), (95, {}), (100, {}), (102, {}), (40, FIRST_DECADES), (47, FIRST_DECADES)],
)
def test_date_pages_past_the_window_start_at_their_year_as_sqlite_pages(
    deep_index: ClusterIndex,
    deep_sqlite: SqliteIndex,
    sort: str,
    page: int,
    filters: dict[str, tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hits, total and facet counts as SQLite's. With the window lowered to 300, a dated page
    starts at its year (~85 hits a year); the undated tail (hits 9 228 to 10 150) is longer
    than the window, so a page there jumps within the tail; page 102 is past the end."""
    monkeypatch.setattr(cluster_module, "RESULT_WINDOW", 300)
    query = SearchQuery(sort=sort, page=page, size=100, filters=filters, facets=("decade",))
    mine, theirs = deep_index.search(query), deep_sqlite.search(query)
    assert [hit.id for hit in mine.hits] == [hit.id for hit in theirs.hits]
    assert (mine.total, mine.facets) == (theirs.total, theirs.facets)
    assert mine.hits or page == 102


@pytest.mark.parametrize("sort", ["title", "modified"])
@pytest.mark.parametrize("filters", [{}, FIRST_DECADES])
def test_title_and_modified_pages_past_the_window_start_at_their_bucket_as_sqlite_pages(
    deep_index: ClusterIndex,
    deep_sqlite: SqliteIndex,
    sort: str,
    filters: dict[str, tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every page past a window lowered to 300 (`_deep_title`, `_deep_modified`): pages within
    a title range or a day, across bucket boundaries, among equal values, in the empty titles
    (first) and in the one bucket longer than the window (it jumps), and past the end; pages
    of 70 hits, so they start anywhere in a bucket. Hits, totals and facets as SQLite's."""
    monkeypatch.setattr(cluster_module, "RESULT_WINDOW", 300)
    query = SearchQuery(sort=sort, size=70, filters=filters, facets=("decade",))
    total = deep_sqlite.search(query).total
    for page in range(5, total // 70 + 3):
        paged = dataclasses.replace(query, page=page)
        mine, theirs = deep_index.search(paged), deep_sqlite.search(paged)
        assert [hit.id for hit in mine.hits] == [hit.id for hit in theirs.hits], page
        assert (mine.total, mine.facets) == (theirs.total, theirs.facets)
    assert not mine.hits and theirs.total == total


def test_a_title_page_past_the_clusters_bucket_limit_jumps_to_the_same_hits(
    deep_index: ClusterIndex, deep_sqlite: SqliteIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster may allow fewer buckets than a title sort's ranges (`search.max_buckets`):
    the counts are refused, and the page is reached by jumping, with the same hits."""
    monkeypatch.setattr(cluster_module, "RESULT_WINDOW", 300)
    monkeypatch.setattr(cluster_module, "RANGE_DEPTH", 100)
    deep_index._kept_quantiles.clear()
    ranges = len(deep_index._quantiles(TITLE_CODE)) + 1
    assert ranges > 20  # more than the limit below; the decade facet's 12 buckets fit in it
    refused: list[str] = []
    real = deep_index.client.search

    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, **kwargs)
        except Exception as error:
            refused.append(str(getattr(error, "info", error)))
            raise

    monkeypatch.setattr(deep_index.client, "search", recording)
    settings = deep_index.client.cluster
    settings.put_settings(body={"transient": {"search.max_buckets": 20}})
    try:
        query = SearchQuery(sort="title", size=70, page=9, facets=("decade",))
        mine, theirs = deep_index.search(query), deep_sqlite.search(query)
    finally:
        settings.put_settings(body={"transient": {"search.max_buckets": None}})
        deep_index._kept_quantiles.clear()
    assert len(refused) == 1 and "too_many_buckets" in refused[0]
    assert [hit.id for hit in mine.hits] == [hit.id for hit in theirs.hits]
    assert mine.hits and (mine.total, mine.facets) == (theirs.total, theirs.facets)


HAN = "长调民歌剪纸刺绣皮影端午苗绣鄂尔多斯呼和浩特南京苏州传统音乐舞蹈戏曲杂技美术技艺医药"


def _titled(prefix: str, count: int, seed: int) -> list[dict[str, Any]]:
    """Records with random titles of 3 to 8 of the characters above (a few titles repeat)."""
    rng = random.Random(seed)
    return [
        minimal_record(
            id=f"{prefix}-{i:05d}",
            title={"zh": "".join(rng.choices(HAN, k=rng.randrange(3, 9)))},
        )
        for i in range(count)
    ]


def _range_counts(index: ClusterIndex) -> list[int]:
    """Documents per title range, as a deep title page counts them."""
    key = sort_key_field(sort_spec("title", relevance=False))
    assert key is not None
    ranking = cluster_module.RANKINGS["title_sort"]
    bounds = index._quantiles(ranking.key)
    body = {"size": 0, "aggs": rank_aggregations({}, key, ranking, bounds)}
    answer = index.client.search(index=index.alias, body=body)
    return [bucket["doc_count"] for bucket in answer["aggregations"][RANK_AGG]["buckets"]]


def test_title_ranges_hold_about_equal_numbers_of_documents_and_follow_the_index(
    cluster: ClusterIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each range between the index's quantiles holds about `RANGE_DEPTH` documents; a
    rebuild forgets the bounds at once, new documents after `QUANTILES_SECONDS`."""
    monkeypatch.setattr(cluster_module, "RANGE_DEPTH", 60)
    cluster.rebuild(_titled("first", 1_200, seed=1))
    counts = _range_counts(cluster)
    assert sum(counts) == 1_200
    assert 12 <= len(counts) <= 30  # 1 200 / 60 = 20
    assert max(counts) <= 3 * 60

    def starting(han: str, prefix: str, seed: int) -> list[dict[str, Any]]:
        return [r | {"title": {"zh": han + r["title"]["zh"]}} for r in _titled(prefix, 600, seed)]

    first = cluster._quantiles(TITLE_CODE)
    cluster.index(starting("端", "later", seed=2))  # all in the range or two of 端 (duan)
    assert cluster._quantiles(TITLE_CODE) == first  # kept: that range now holds ~600
    assert max(_range_counts(cluster)) > 3 * 60
    monkeypatch.setattr(cluster_module, "QUANTILES_SECONDS", 0.0)
    grown = _range_counts(cluster)
    assert sum(grown) == 1_800 and max(grown) <= 3 * 60
    monkeypatch.setattr(cluster_module, "QUANTILES_SECONDS", 600.0)
    cluster.rebuild(starting("长", "third", seed=3))  # all in a range or two of chang
    assert sum(counts := _range_counts(cluster)) == 600 and max(counts) <= 3 * 60


def test_relevance_pages_cover_every_hit_exactly_once(deep_index: ClusterIndex) -> None:
    seen: list[str] = []
    page = 1
    while ids := _page(deep_index, page, q="剪纸"):
        seen += ids
        page += 1
    assert page - 1 == 102
    assert len(seen) == len(set(seen)) == DEEP


def test_a_page_beyond_the_end_is_empty_with_the_true_total(deep_index: ClusterIndex) -> None:
    result = deep_index.search(SearchQuery(q="paper", page=150, size=100))
    assert result.hits == []
    assert result.total == DEEP
    assert sum(v.count for v in result.facets["media_type"]) == DEEP


# ---------------------------------------------------------------------------------- health


def test_health_comes_from_cluster_health(cluster: ClusterIndex) -> None:
    """The test Elasticsearch lacks rest-root (GET / answers 405): ok here means no GET /."""
    report = cluster.health()
    assert report["ok"] is True
    assert report["status"] in ("green", "yellow")
    assert report["backend"] in ENGINES
    cluster.index(copy.deepcopy(CORPUS))
    assert cluster.health()["documents"] == len(CORPUS)


# ---------------------------------------------------------------------------------- DSL as text

DSL_TITLE = 'title:foo AND {"query": {"match_all": {}}} OR *'
# 143 pinyin readings to try: past the engines' clause limits if scored per field and tier.
LONG_PINYIN = (
    "nengdiuniaoma miaorucuntian zayanpiao zhendian chuiziqiang wenpingzaiheng tiechaowaima "
    "miekongdiaocu tuntiaolao ruanaopai luezhuai chongnanao qinzenfangjiao chennuogairui "
    "gaoentai quduanchunpou neiqing dianhaliesha jinjuan nialongniabi jiangguizhailian poulin "
    "zuanruao fanzailaoquan ganwenfendan cuotoulia xieping yongzan pangkaonian dupiao "
    "niekuntouqian fiaoweixiao wangqincengqian bienia casouroubeng zenruancangcun "
    "zhuaipianshaiceng xixi hanpuqiu"
)


@pytest.mark.parametrize(
    "q",
    [
        '{"query": {"match_all": {}}}',
        "title:foo",
        "*",
        '" OR 1=1 --',
        "match_all AND NOT title:bar~2^5",
        '{"script": {"source": "ctx._source.title = 1"}}',
        "(((((",
        LONG_PINYIN,
        "kunqu " + LONG_PINYIN[:200],
    ],
)
def test_dsl_looking_query_text_is_just_text(cluster: ClusterIndex, tmp_path: Path, q: str) -> None:
    records = [
        *copy.deepcopy(CORPUS),
        make_record("dsl-001", "folk-tales", {"en": DSL_TITLE}, media_type="text"),
    ]
    cluster.index(copy.deepcopy(records))
    sqlite = SqliteIndex(tmp_path / "search.sqlite")
    try:
        sqlite.index(records)
        expected = sqlite.search(SearchQuery(q=q))
    finally:
        sqlite.close()
    found = cluster.search(SearchQuery(q=q))
    assert {h.id for h in found.hits} == {h.id for h in expected.hits}
    assert found.total == expected.total


def test_a_match_all_query_matches_only_the_text_match_all(cluster: ClusterIndex) -> None:
    cluster.index([*copy.deepcopy(CORPUS), make_record("dsl-001", "folk-tales", {"en": DSL_TITLE})])
    found = cluster.search(SearchQuery(q='{"query": {"match_all": {}}}'))
    assert [h.id for h in found.hits] == ["dsl-001"]
    assert "<mark>" in found.hits[0].highlights["title"]


# ---------------------------------------------------------------------------------- server down


def _dead_url() -> str:
    """A URL on which nothing listens (a port just released by the OS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", sorted(ENGINES))
def test_an_unreachable_server_gives_a_clear_error_naming_the_url(kind: str) -> None:
    url = _dead_url()
    cls, what = ENGINES[kind]
    index = cls(url, "heritage")
    try:
        report = index.health()
        assert report["ok"] is False and url in report["error"]
        for call in (
            lambda: index.search(SearchQuery(q="kunqu")),
            lambda: index.index(copy.deepcopy(CORPUS[:1])),
            lambda: index.count(),
        ):
            with pytest.raises(ClusterError, match=f"{what} at {re.escape(url)} is unreachable"):
                call()
    finally:
        index.close()
