"""OAI-PMH list pages from the search index's ordered view: does a page cost the same at 10 000
and at N records? (issue 16)

    .venv/bin/python bench/bench_oai.py                 # SQLite, 10 000 and 200 000 records
    .venv/bin/python bench/bench_oai.py --n 1000000 --dir /tmp/heritage-bench-oai --reuse
    .venv/bin/python bench/bench_oai.py --backend opensearch --url http://127.0.0.1:19401

Loads bench_search.py's synthetic corpus into the backend at each size (the small one is the
baseline, measured in the same run), stores in a record store the records the measured pages
list (ListRecords reads each from the store, as on a real repository), then times through
`OaiRepository.handle` (the verb as the HTTP route runs it, XML included) ListIdentifiers and
ListRecords pages of 100: the first page (which also counts completeListSize), a page from a
cursor in the middle, the last page, and the first page of the largest collection's set.
Prints the median and p95 of each and the ratio large/small.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import generate  # noqa: E402

from api.protocols.oai import OaiRepository  # noqa: E402
from repository import LocalStore, RecordStore  # noqa: E402
from search.base import OaiHeader, OaiSlice, SearchIndex  # noqa: E402
from search.elasticsearch import ElasticsearchIndex  # noqa: E402
from search.opensearch import OpenSearchIndex  # noqa: E402
from search.sqlite import SqliteIndex  # noqa: E402

PAGE = 100
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def open_index(backend: str, url: str, directory: Path, n: int) -> SearchIndex:
    if backend == "sqlite":
        return SqliteIndex(directory / f"oai-{n}.sqlite")
    cluster = {"elasticsearch": ElasticsearchIndex, "opensearch": OpenSearchIndex}[backend]
    return cluster(url, f"bench-oai-{n}")


def load(index: SearchIndex, n: int, reuse: bool) -> SearchIndex:
    if not (reuse and index.count() == n):
        started = time.perf_counter()
        index.rebuild(generate(n))
        print(f"loaded {n:>9,} records in {time.perf_counter() - started:7.1f} s", flush=True)
    return index


def timed(repository: OaiRepository, pairs: list[tuple[str, str]], repeat: int) -> list[float]:
    repository.handle(pairs, NOW)  # warm-up: pages and statements cached as for a harvester
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        body = repository.handle(pairs, NOW)
        times.append((time.perf_counter() - started) * 1000)
    assert b"<header" in body, body[:500]
    return times


def shapes(
    repository: OaiRepository, index: SearchIndex, verb: str
) -> dict[str, list[tuple[str, str]]]:
    """The requests measured; the cursors are found by walking the list as a harvester would."""
    every = OaiSlice(today=NOW.date())
    count = index.oai_count(every)
    marks: dict[int, OaiHeader] = {}
    seen, after = 0, None
    while page := index.oai_headers(every, after, 5000):
        for position in (count // 2, count - PAGE - 1):
            if seen <= position < seen + len(page):
                marks[position] = page[position - seen]
        seen, after = seen + len(page), (page[-1].datestamp, page[-1].id)
    query = {"verb": verb, "prefix": "oai_dc", "from": None, "until": None}
    query |= {"set": None, "size": count}

    def resume(position: int) -> list[tuple[str, str]]:
        mark = marks[position]
        state = {**query, "after": [mark.datestamp, mark.id], "cursor": position + 1}
        return [("verb", verb), ("resumptionToken", repository.tokens.dumps(state))]

    listing = [("verb", verb), ("metadataPrefix", "oai_dc")]
    collection = max(  # the largest set: a full page at either size
        index.oai_collections(NOW.date()),
        key=lambda c: index.oai_count(
            OaiSlice(set_field="collection", set_value=c, today=NOW.date())
        ),
    )
    return {
        "first page": listing,
        "middle page": resume(count // 2),
        "last page": resume(count - PAGE - 1),
        "set, first page": [*listing, ("set", f"collection:{collection}")],
    }


def listed_ids(repository: OaiRepository, pairs: list[tuple[str, str]]) -> set[str]:
    body = repository.handle(pairs, NOW).decode()
    prefix = f"<identifier>oai:{repository.host}:"
    return {part.split("<", 1)[0] for part in body.split(prefix)[1:]}


def store_listed(records: RecordStore, n: int, wanted: set[str]) -> None:
    """Save the generated records the measured pages list (the corpus is made again: it is
    the same for the same seed)."""
    for record in generate(n):
        if record["id"] in wanted:
            records.save(record)
            wanted.discard(record["id"])
            if not wanted:
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "opensearch", "elasticsearch"],
                        default="sqlite")  # fmt: skip
    parser.add_argument("--url", default="", help="the cluster's URL")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="keep an index of the right size")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="heritage-bench-oai-"))
    directory.mkdir(parents=True, exist_ok=True)
    verbs = ("ListIdentifiers", "ListRecords")
    results: dict[int, dict[str, list[float]]] = {}
    for n in (args.small, args.n):
        index = load(open_index(args.backend, args.url, directory, n), n, args.reuse)
        records = RecordStore(LocalStore(directory / f"store-{n}"))
        repository = OaiRepository(
            records, index, base_url="https://heritage.example.org", secret="bench", page_size=PAGE
        )
        asked = {verb: shapes(repository, index, verb) for verb in verbs}
        wanted = set().union(
            *(listed_ids(repository, p) for p in asked["ListIdentifiers"].values())
        )
        store_listed(records, n, wanted)
        results[n] = {
            f"{verb}, {name}": timed(repository, pairs, args.repeat)
            for verb in verbs
            for name, pairs in asked[verb].items()
        }
        index.close()
    small, large = results[args.small], results[args.n]
    print(f"\n{args.backend}: {PAGE} a page, ms (median / p95), {args.repeat} runs each")
    print(f"{'page':<34}{args.small:>12,}{args.n:>16,}{'ratio (median)':>18}")
    for name in small:
        a, b = small[name], large[name]
        ma, mb = statistics.median(a), statistics.median(b)
        pa, pb = (sorted(x)[int(len(x) * 0.95) - 1] for x in (a, b))
        print(f"{name:<34}{ma:6.1f} / {pa:5.1f}{mb:9.1f} / {pb:5.1f}{mb / ma:14.2f}×")


if __name__ == "__main__":
    main()
