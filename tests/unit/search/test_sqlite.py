"""SqliteIndex specifics: FTS5 syntax, generations, processes, caching, the ranking window; a
rebuild whose source fails midway leaves the old index answering, never an empty one."""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import search.sqlite as search_sqlite
from repository import StorageError
from search import open_index
from search.analysis import AllOf, analyze_query
from search.base import Audience, SearchQuery, is_visible
from search.sqlite import SqliteIndex, fts_match
from tests.conformance.conftest import make_record
from tests.conformance.test_search_index import lanterns
from tests.unit.support.records import minimal_record


def paper_cuts(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        make_record(
            f"pc-{i:04d}",
            "paper-cuts",
            {"zh": f"剪纸 {i}"} if i % 2 else {"zh": f"窗花 {i}"},
            description={"zh": "剪纸窗花"},
            category="traditional-art",
        )
        for i in range(start, start + count)
    ]


def test_plans_become_quoted_fts5_expressions() -> None:
    assert fts_match(analyze_query("剪纸艺术").must[0]) == '"剪纸 纸艺 艺术"'
    (clause,) = analyze_query("kun qu").must
    assert fts_match(clause) == '(("kun" AND "qu") OR "kunqu")'
    for query in ('NEAR("a" b) OR {t_title}: c*', "a AND NOT b", "^x + y", "col:(a OR b)"):
        plan = analyze_query(query)
        outside_quotes = re.sub(r'"[a-z0-9]+( [a-z0-9]+)*"', "", fts_match(AllOf(plan.must)))
        assert set(outside_quotes.replace("AND", "").replace("OR", "")) <= set("() ")


def test_the_fts_table_stores_no_copy_of_the_text(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.index(paper_cuts(3))
    index.close()
    names = [
        row[0]
        for row in sqlite3.connect(tmp_path / "s.sqlite").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    ]
    assert not [name for name in names if name.endswith("_content")]


def test_rebuild_swaps_generations_and_clears_leftovers(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.index(paper_cuts(4))
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:  # a rebuild that crashed half-way
        conn.execute("CREATE TABLE k_9 (rowid INTEGER PRIMARY KEY, id TEXT)")
    index.rebuild(paper_cuts(2, start=10))
    conn = sqlite3.connect(tmp_path / "s.sqlite")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"k_1", "k_9"}.isdisjoint(tables) and "k_2" in tables
    assert index.health()["generation"] == 2
    assert index.count() == 2


def _write(path: str, start: int) -> None:
    SqliteIndex(path).index(paper_cuts(50, start=start))


def _rebuild(path: str) -> None:
    SqliteIndex(path).rebuild(paper_cuts(7))


def test_readers_see_other_processes_writes_and_rebuilds(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    reader = SqliteIndex(path)  # with its cache on: it must notice writes it did not make
    assert reader.search(SearchQuery(q="剪纸")).total == 0
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(path, n * 100)) for n in range(2)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    assert reader.search(SearchQuery(q="剪纸")).total == 100
    assert reader.count() == 100
    rebuilder = context.Process(target=_rebuild, args=(path,))
    rebuilder.start()
    rebuilder.join(60)
    assert rebuilder.exitcode == 0
    assert reader.count() == 7
    assert reader.search(SearchQuery(q="剪纸")).total == 7


def test_a_large_tier_is_scored_in_a_window_and_pages_stay_consistent(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "s.sqlite", rank_window=4)
    index.index(paper_cuts(30))
    seen: list[str] = []
    for page in range(1, 5):
        result = index.search(SearchQuery(q="剪纸", size=8, page=page))
        assert result.total == 30
        assert result.ranked_window == 4  # the page says why the order is not all relevance
        seen.extend(hit.id for hit in result.hits)
    assert len(seen) == len(set(seen)) == 30
    title_matches = {f"pc-{i:04d}" for i in range(30) if i % 2}
    assert set(seen[:15]) == title_matches  # the title tier comes first, window or not
    scores = [hit.score for hit in index.search(SearchQuery(q="剪纸", size=30)).hits]
    assert scores == sorted(scores, reverse=True)
    assert index.search(SearchQuery(q="剪纸 1")).ranked_window is None  # few matches: all ranked


def test_past_the_window_the_rest_of_a_tier_follows_newest_first(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "s.sqlite", rank_window=50)
    records = lanterns(per_group=20, groups=6)  # the most relevant indexed first (oldest)
    index.index(records)
    result = index.search(SearchQuery(q="lantern", size=100, page=1))
    newest_50 = [r["id"] for r in records[-50:]]
    assert [hit.id for hit in result.hits[:50]] == newest_50  # ranked: their ids' order
    rest_newest_first = [r["id"] for r in reversed(records[:-50])]
    assert [hit.id for hit in result.hits[50:]] == rest_newest_first[:50]
    assert result.ranked_window == 50
    wide = SqliteIndex(tmp_path / "s.sqlite", rank_window=60)  # up to 2 × 60: ranked whole
    result = wide.search(SearchQuery(q="lantern", size=100))
    assert [h.id for h in result.hits] == [r["id"] for r in records[:100]]
    assert result.ranked_window is None


def _answers(index: SqliteIndex, words: list[str]) -> list[Any]:
    found = []
    for word in words:
        for page in (1, 2):
            result = index.search(SearchQuery(q=word, size=7, page=page, facet_size=100))
            found.append((word, result.total, [h.id for h in result.hits], result.facets))
    return found


def test_frequent_term_histograms_answer_exactly_as_counting_does(tmp_path: Path) -> None:
    """Terms in many documents get kept facet histograms; every write keeps them exact."""
    tracked = SqliteIndex(tmp_path / "tracked.sqlite", frequent_docs=5, rank_window=3)
    counted = SqliteIndex(tmp_path / "counted.sqlite", frequent_docs=10**9, rank_window=3)
    records = paper_cuts(24) + [
        make_record(
            f"song-{i}", f"songs-{i % 3}", {"zh": f"长调 {i}"}, category="traditional-music"
        )
        for i in range(12)
    ]
    words = ["剪纸", "窗花", "长调", "traditional", "剪纸 窗花"]
    for index in (tracked, counted):
        index.rebuild(records)
    conn = tracked._reader()
    assert {"剪纸", "窗花", "长调"} <= {t for (t,) in conn.execute("SELECT term FROM tt_2")}
    assert _answers(tracked, words) == _answers(counted, words)
    in_titles = {r["id"] for r in records[1:24:2]}
    assert {h.id for h in tracked.search(SearchQuery(q="剪纸", size=12)).hits} == in_titles
    changed = [dict(r, title={"zh": "窗花 新"}) for r in records[1:24:2]]  # 剪纸 leaves titles
    moved = [dict(r, collection="moved") for r in records[24:30]]
    for index in (tracked, counted):
        index.index(changed + moved)
        index.delete([r["id"] for r in records[:6]])
    assert _answers(tracked, words) == _answers(counted, words)
    assert conn.execute("SELECT count(*) FROM t_2 WHERE n < 0 OR n_title > n").fetchone() == (0,)


def test_opening_a_ready_index_writes_nothing(tmp_path: Path) -> None:
    """A write on open would bump the version and drop every other process's cached counts."""
    SqliteIndex(tmp_path / "s.sqlite").index(paper_cuts(3))
    before = (tmp_path / "s.sqlite").read_bytes(), _version(tmp_path / "s.sqlite")
    reopened = SqliteIndex(tmp_path / "s.sqlite")
    assert reopened.search(SearchQuery(q="剪纸")).total == 3
    reopened.close()
    assert ((tmp_path / "s.sqlite").read_bytes(), _version(tmp_path / "s.sqlite")) == before


def _loaded(index: SqliteIndex) -> int:
    return int((index._combos[1].visibility >= 0).sum())  # generation 1


def test_a_query_loads_only_the_facet_combinations_it_meets(tmp_path: Path) -> None:
    """An index holds tens of thousands of combinations; loading all made a first query slow.
    A combination made later by another process is read when a query first meets it."""
    writer = SqliteIndex(tmp_path / "s.sqlite")
    songs = [
        make_record(f"song-{i}", f"songs-{i}", {"zh": f"长调 {i}"}, category="traditional-music")
        for i in range(20)
    ]
    writer.index(paper_cuts(3) + songs)
    reader = SqliteIndex(tmp_path / "s.sqlite")
    assert reader.search(SearchQuery(q="剪纸")).total == 3
    assert _loaded(reader) == 1  # one collection, one combination
    writer.index(paper_cuts(2, start=3) + [dict(paper_cuts(1, start=5)[0], collection="new")])
    result = reader.search(SearchQuery(q="剪纸", facet_size=100))
    assert result.total == 6
    assert {v.value: v.count for v in result.facets["collection"]} == {"paper-cuts": 5, "new": 1}
    assert _loaded(reader) == 2
    assert reader.count(Audience.all()) == 26  # counting for an audience loads the rest
    assert _loaded(reader) == 22


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]


def test_open_index() -> None:
    with pytest.raises(ValueError, match="sqlite_path"):
        open_index("sqlite")
    with pytest.raises(ValueError, match="url"):
        open_index("elasticsearch")
    with pytest.raises(ValueError, match="unknown search backend"):
        open_index("lucene")


def test_open_index_sqlite(tmp_path: Path) -> None:
    index = open_index("sqlite", sqlite_path=tmp_path / "x" / "s.sqlite")
    assert isinstance(index, SqliteIndex)
    assert index.health()["ok"] is True
    index.close()


def test_health_reports_a_broken_file_without_raising(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.close()
    (tmp_path / "s.sqlite").write_bytes(b"not a database" * 100)
    for leftover in tmp_path.glob("s.sqlite-*"):
        leftover.unlink()
    health = index.health()
    assert health["ok"] is False and health["error"]


def test_a_file_from_another_layout_version_is_emptied_on_open(tmp_path: Path) -> None:
    SqliteIndex(tmp_path / "s.sqlite").index(paper_cuts(3))
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:
        conn.execute("UPDATE meta SET value = 999 WHERE key = 'schema'")
    index = SqliteIndex(tmp_path / "s.sqlite")
    assert index.count() == 0
    index.index(paper_cuts(2))
    assert index.count() == 2
    assert index.search(SearchQuery(q="剪纸")).total == 2


def test_a_rebuild_that_fails_midway_keeps_the_old_index(tmp_path: Path) -> None:
    old = [minimal_record(id=f"test-{n:012x}") for n in range(3)]
    index = SqliteIndex(tmp_path / "index.sqlite3")
    try:
        index.rebuild(old)

        def failing() -> Iterator[dict[str, Any]]:
            yield minimal_record(id="test-new000000000")
            raise StorageError("the store went away")

        with pytest.raises(StorageError):
            index.rebuild(failing())
        found = index.search(SearchQuery(q="", audience=Audience.all()))
        assert sorted(hit.id for hit in found.hits) == sorted(r["id"] for r in old)
        assert index.rebuild(old) == 3  # and the next rebuild clears what the failed one left
    finally:
        index.close()


def _scored(index: SqliteIndex, word: str, audience: Audience, **query: Any) -> list[Any]:
    found = []
    for page in (1, 2, 3, 4):
        result = index.search(SearchQuery(q=word, audience=audience, size=9, page=page, **query))
        hits = [(h.id, h.score) for h in result.hits]
        found.append((result.total, hits, result.facets, result.ranked_window))
    return found


def test_a_tracked_word_is_scored_to_the_bit_as_bm25_scores_it(tmp_path: Path) -> None:
    """A tracked word's scores are computed without FTS5's bm25() (which reads the word's whole
    doclist): the same numbers, so the same order, ties broken by id alike."""
    records = [
        make_record(
            f"r-{(i * 7) % 60:03d}",
            f"col-{i % 3}",
            {"zh": f"剪纸 {i}"} if i % 4 == 0 else {"zh": f"窗花 {i}"},
            description={"zh": "剪纸" * (1 + i % 3) + "窗花" * (i % 5)},
            subjects=["剪纸"] if i % 2 else ["年画"],
            access="restricted" if i % 9 == 0 else "public",
            status="draft" if i % 11 == 0 else "published",
            institution="inst-a" if i % 2 else "inst-b",
        )
        for i in range(60)
    ]
    tracked = SqliteIndex(tmp_path / "tracked.sqlite", frequent_docs=5, rank_window=8)
    counted = SqliteIndex(tmp_path / "counted.sqlite", frequent_docs=10**9, rank_window=8)
    for index in (tracked, counted):
        index.rebuild(records)
    assert "剪纸" in {t for (t,) in tracked._reader().execute("SELECT term FROM tt_2")}
    for audience in (Audience.public(), Audience.member("inst-a", restricted=True)):
        for word in ("剪纸", "窗花"):
            for query in ({}, {"year_from": 1900}):
                expected = _scored(counted, word, audience, **query)
                assert _scored(tracked, word, audience, **query) == expected
    restricted = {r["id"] for r in records if r["access"] == "restricted"}
    public_hits = _scored(tracked, "剪纸", Audience.public())
    assert not restricted & {hit for _, hits, _, _ in public_hits for hit, _ in hits}


def _dated_records(count: int) -> list[dict[str, Any]]:
    """Years across a century, ranges too wide for decades (清代, 明代), undated items; some
    restricted, drafts or embargoed; ids not in the order of indexing."""
    records = []
    for i in range(count):
        fields: dict[str, Any] = {"institution": "inst-a" if i % 2 else "inst-b"}
        if i % 5 == 3:
            low, high = (1644, 1912) if i % 2 else (1368, 1644)
            fields["date"] = {
                "edtf": f"{low}/{high}",
                "display": "",
                "earliest": low,
                "latest": high,
            }
        elif i % 5 != 4:
            year = 1930 + (i * 7) % 90
            fields["date"] = {
                "edtf": str(year),
                "display": str(year),
                "earliest": year,
                "latest": year,
            }
        if i % 17 == 0:
            fields["embargo_until"] = "2099-01-01"
        records.append(
            make_record(
                f"d-{(i * 37) % 1000:04d}",
                f"col-{i % 4}",
                {"zh": f"剪纸 {i}"},
                access="restricted" if i % 11 == 0 else "public",
                status="draft" if i % 13 == 0 else "published",
                **fields,
            )
        )
    return records


def test_date_pages_of_a_word_are_the_full_sort_sliced(tmp_path: Path) -> None:
    """Date-ordered pages of a text query look keys up only in the decades a page overlaps;
    every page must still be the slice of (date, id) order over what the audience may see."""
    records = _dated_records(150)
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.index(records)
    undated = 1 << 40
    member = Audience.member("inst-a", restricted=False)
    for audience in (Audience.public(), member):
        seen = [r for r in records if is_visible(r, audience)]
        for sort, sign in (("date", 1), ("-date", -1)):
            for query, keep in (
                ({}, lambda r: True),
                (
                    {"filters": {"collection": ("col-1", "col-2")}},
                    lambda r: r["collection"] in ("col-1", "col-2"),
                ),
                ({"year_from": 1950}, lambda r: "date" in r and r["date"]["latest"] >= 1950),
            ):
                expected = sorted(
                    (r for r in seen if keep(r)),
                    key=lambda r: (
                        sign * r["date"]["earliest"] if "date" in r else undated,
                        r["id"],
                    ),
                )
                pages = [
                    index.search(
                        SearchQuery(q="剪纸", sort=sort, page=p, size=7, audience=audience, **query)
                    )
                    for p in range(1, 25)
                ]
                assert [h.id for page in pages for h in page.hits] == [r["id"] for r in expected]
                assert pages[0].total == len(expected)


def test_date_pages_order_years_past_the_rowids_year_key_exactly(tmp_path: Path) -> None:
    """A match's year comes from its rowid; years beyond what the key holds (prehistory, a
    mistyped 99999) share the edge keys and are read from the table, so order stays exact."""
    years = [-50000, -32768, -32767, -32766, -1, 0, 1, 1950, 32765, 32766, 32767, 99999, None]
    records = []
    for i, year in enumerate(years * 3):
        date = {"edtf": str(year), "display": str(year), "earliest": year, "latest": year}
        records.append(
            make_record(
                f"y-{(i * 7) % 39:02d}",
                "col-1",
                {"zh": f"剪纸 {i}"},
                **({"date": date} if year is not None else {}),
            )
        )
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.index(records)
    for sort, sign in (("date", 1), ("-date", -1)):
        expected = sorted(
            records,
            key=lambda r: (sign * r["date"]["earliest"] if "date" in r else 1 << 40, r["id"]),
        )
        pages = [
            index.search(SearchQuery(q="剪纸", sort=sort, page=page, size=4))
            for page in range(1, 12)
        ]
        assert [h.id for page in pages for h in page.hits] == [r["id"] for r in expected]


def test_a_readers_first_query_reads_the_kept_combinations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild keeps the combinations as columns; a fresh reader loads them in one read and
    answers as one that parses them; index() keeps them again once many new ones were made."""
    records = _dated_records(60)
    writer = SqliteIndex(tmp_path / "s.sqlite")
    writer.rebuild(records)
    kept = SqliteIndex(tmp_path / "s.sqlite")
    query = SearchQuery(q="剪纸", facet_size=100, filters={"decade": ("1950", "1960")})
    result = kept.search(query)
    combos = writer._reader().execute("SELECT count(*) FROM c_2").fetchone()[0]
    assert int((kept._combos[2].visibility >= 0).sum()) == combos  # all, from cc_2
    parsed = SqliteIndex(tmp_path / "s.sqlite")
    parsed._combos[2] = search_sqlite._Columns.empty()  # as with no kept columns
    assert parsed.search(query) == result
    monkeypatch.setattr(search_sqlite, "COLUMNS_STALE", 3)
    added = [dict(r, id=f"new-{i}", collection=f"new-{i}") for i, r in enumerate(records[1:5], 1)]
    writer.index(added)
    upto = writer._reader().execute("SELECT max(upto) FROM cc_2").fetchone()[0]
    assert upto == combos + 4
    fresh = SqliteIndex(tmp_path / "s.sqlite").search(SearchQuery(q="剪纸", facet_size=100))
    assert {"new-1", "new-4"} <= {v.value for v in fresh.facets["collection"]}


class _InterruptAfter:
    """The writer's connection, with a Ctrl-C arriving just after one statement has run."""

    def __init__(self, conn: sqlite3.Connection, statement: str):
        self.conn, self.statement = conn, statement

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        cursor = self.conn.execute(sql, *args)
        if sql == self.statement:
            self.statement = ""  # once
            raise KeyboardInterrupt
        return cursor


@pytest.mark.parametrize(("statement", "kept"), [("BEGIN IMMEDIATE", 0), ("COMMIT", 1)])
def test_a_ctrl_c_just_after_begin_or_commit_propagates_and_leaves_no_transaction_open(
    tmp_path: Path, statement: str, kept: int
) -> None:
    """A ROLLBACK with no transaction open raised an error of its own in place of the
    KeyboardInterrupt: the ingest took it for an indexing failure and went on to the end."""
    index = SqliteIndex(tmp_path / "index.db")
    index.index(paper_cuts(1))
    writer = index._writer  # noqa: SLF001 (the one connection every write goes through)
    assert writer is not None
    index._writer = _InterruptAfter(writer, statement)  # type: ignore[assignment]  # noqa: SLF001
    with pytest.raises(KeyboardInterrupt):
        index.index(paper_cuts(1, start=1))
    assert not writer.in_transaction
    index._writer = writer  # noqa: SLF001
    index.index(paper_cuts(1, start=2))  # the next write starts its own transaction
    found = index.search(SearchQuery(q="", audience=Audience.all(), size=10))
    assert found.total == 2 + kept
