"""Search benchmark across backends: SQLite, Elasticsearch and OpenSearch side by side.

    . /tmp/heritage-services/env
    .venv/bin/python bench/bench_search_cluster.py --n 100000
    .venv/bin/python bench/bench_search_cluster.py --n 100000 --keep   # then --reuse next time

Loads the same N synthetic records as bench_search.py (its `generate`, same seed) into each
backend through `rebuild()` and times bench_search.py's query mix (`QUERIES`: word, two, phrase,
filtered; every query with the standard facet counts), plus `deep`, `deep-ttl` and `deep-mod`:
page 120 of 100 hits of the empty query in date, title and modified order, past the 10 000-hit
result window (see search.cluster on deep pages), and `past-end`: the same pages of a query
with fewer hits, which hold none. SQLite runs with its result cache off (`cache_size=0`). The
engines' shard request cache keeps the answers of requests for no hits (a deep page's counts);
it stays on, as in production, unless `--no-request-cache`, with which every backend computes
every query in full. The baseline is SQLite measured in the same run, the backends taking
turns query by query; ratios are cluster/SQLite p50. A `totals` column says whether all
backends counted the same matches for every query of the row. Cluster URLs come from
HERITAGE_TEST_ELASTICSEARCH_URL / HERITAGE_TEST_OPENSEARCH_URL (scripts/services.sh).

`--titles FILE` gives the records titles nobody here made: one title a line (UTF-8), the i-th
record taking line i (cycling when the file has fewer lines), as its only (Chinese) title. The
indexes are then named apart (`bench-titles-N`), so they never pass for the synthetic ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import QUERIES, _pct, generate  # noqa: E402

from search.base import FACET_FIELDS, SearchIndex, SearchQuery  # noqa: E402
from search.cluster import ClusterIndex  # noqa: E402
from search.sqlite import SqliteIndex  # noqa: E402

SORTS = {"deep": "date", "deep-ttl": "title", "deep-mod": "modified"}
MIX: dict[str, list[SearchQuery]] = {
    **{label: queries for label, queries in QUERIES.items() if label != "deep"},
    # a deep page of the empty query (25 295 hits at N = 30 017) in each sort
    **{label: [SearchQuery(sort=sort, page=120, size=100)] for label, sort in SORTS.items()},
    # the same page of a query with 1 099 hits: past the end, only the total and the facets
    "past-end": [SearchQuery(q="剪纸", sort=sort, page=120, size=100) for sort in SORTS.values()],
}
"""bench_search.py's query mix with its `deep` split in two: that row mixes a deep page with an
empty one past the end, and a median of two such groups is the midpoint between them."""
URLS = {
    "elasticsearch": "HERITAGE_TEST_ELASTICSEARCH_URL",
    "opensearch": "HERITAGE_TEST_OPENSEARCH_URL",
}


def _records(n: int, titles: list[str] | None) -> Iterator[dict[str, Any]]:
    """bench_search.py's N records, with the titles of `--titles` when given."""
    for i, record in enumerate(generate(n)):
        if titles:
            record["title"] = {"zh": titles[i % len(titles)]}
        yield record


def _open(name: str, n: int, directory: Path, titled: bool) -> SearchIndex:
    tag = f"titles-{n}" if titled else str(n)
    if name == "sqlite":
        return SqliteIndex(directory / f"sqlite-cluster-bench-{tag}.db", cache_size=0)
    url = os.environ.get(URLS[name])
    if not url:
        raise SystemExit(f"{name}: {URLS[name]} is unset; source /tmp/heritage-services/env")
    if name == "elasticsearch":
        from search.elasticsearch import ElasticsearchIndex

        return ElasticsearchIndex(url, f"bench-{tag}")
    from search.opensearch import OpenSearchIndex

    return OpenSearchIndex(url, f"bench-{tag}")


def _size_mib(index: SearchIndex) -> float:
    if isinstance(index, SqliteIndex):
        return index.path.stat().st_size / 2**20
    assert isinstance(index, ClusterIndex)
    stats = index.client.indices.stats(index=index.alias, metric="store")
    return stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20


def _load(name: str, index: SearchIndex, n: int, reuse: bool, titles: list[str] | None) -> str:
    if reuse and index.count() == n:
        return f"{name}: reused {n} records, {_size_mib(index):.0f} MiB"
    start = time.perf_counter()
    loaded = index.rebuild(_records(n, titles))
    seconds = time.perf_counter() - start
    return (
        f"{name}: indexed {loaded} records in {seconds:.0f} s ({loaded / seconds:.0f}/s), "
        f"{_size_mib(index):.0f} MiB"
    )


def _time(
    searches: list[Callable[[SearchQuery], Any]], queries: list[SearchQuery], rounds: int
) -> tuple[list[list[float]], list[list[int]]]:
    """Per backend, the times of `rounds` passes over `queries` and the totals found. The
    backends take turns query by query (the order reversed every other round), so a change of
    the machine's speed during the run falls on all of them alike."""
    timings: list[list[float]] = [[] for _ in searches]
    totals = [[search(query).total for query in queries] for search in searches]  # also warms
    for round_ in range(rounds):
        for query in queries:
            turns = list(enumerate(searches))
            for i, search in turns[:: -1 if round_ % 2 else 1]:
                start = time.perf_counter()
                search(query)
                timings[i].append((time.perf_counter() - start) * 1000)
    return timings, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records to load")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/heritage-bench"))
    parser.add_argument("--backends", default="sqlite,elasticsearch,opensearch")
    parser.add_argument("--rounds", type=int, default=10, help="repetitions of the query mix")
    parser.add_argument("--reuse", action="store_true", help="reuse indexes holding N records")
    parser.add_argument("--keep", action="store_true", help="keep the cluster indexes")
    parser.add_argument(
        "--no-request-cache", action="store_true", help="turn the engines' request cache off"
    )
    parser.add_argument("--titles", type=Path, help="a file of real titles, one a line")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    titles = None
    if args.titles:
        titles = [line.strip() for line in args.titles.read_text("utf-8").splitlines()]
        titles = [title for title in titles if title]
        if not titles:
            raise SystemExit(f"--titles {args.titles}: no title in the file")
    names = args.backends.split(",")
    indexes = {name: _open(name, args.n, args.dir, titles is not None) for name in names}
    try:
        for name, index in indexes.items():
            print(_load(name, index, args.n, args.reuse, titles), flush=True)
            if isinstance(index, ClusterIndex):
                cache = {"index.requests.cache.enable": not args.no_request_cache}
                index.client.indices.put_settings(index=index.alias, body=cache)
        cache = "off" if args.no_request_cache else "on"
        print(f"\nN = {args.n}, {args.rounds} rounds, facets {', '.join(FACET_FIELDS)}; ms")
        print(f"engines' request cache {cache}; load average {os.getloadavg()[0]:.1f}")
        header = " ".join(f"{name + ' p50':>18} {'p95':>7}" for name in names)
        ratios = " ".join(f"{name + '/' + names[0]:>24}" for name in names[1:])
        print(f"{'query':9} {'matches':>8} {'totals':>6} {header} {ratios}")
        for label, queries in MIX.items():
            searches = [index.search for index in indexes.values()]
            times, totals = _time(searches, queries, args.rounds)
            p50s = [_pct(timings, 50) for timings in times]
            cells = [
                f"{p50:18.1f} {_pct(timings, 95):7.1f}"
                for p50, timings in zip(p50s, times, strict=True)
            ]
            same = "yes" if all(t == totals[0] for t in totals) else "NO"
            factors = " ".join(f"{p / p50s[0]:24.2f}" for p in p50s[1:])
            print(
                f"{label:9} {max(totals[0]):8d} {same:>6} {' '.join(cells)} {factors}", flush=True
            )
    finally:
        for index in indexes.values():
            if isinstance(index, ClusterIndex) and not args.keep:
                index.drop()
            index.close()


if __name__ == "__main__":
    main()
