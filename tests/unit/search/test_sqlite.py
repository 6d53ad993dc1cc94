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

import search.sqlite
from repository import StorageError
from search import open_index
from search.analysis import AllOf, analyze_query
from search.base import Audience, SearchQuery
from search.sqlite import SqliteIndex, fts_match
from tests.conformance.conftest import make_record
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


def test_a_large_tier_is_scored_in_a_window_and_pages_stay_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search.sqlite, "RANK_WINDOW", 4)
    index = SqliteIndex(tmp_path / "s.sqlite")
    index.index(paper_cuts(30))
    seen: list[str] = []
    for page in range(1, 5):
        result = index.search(SearchQuery(q="剪纸", size=8, page=page))
        assert result.total == 30
        seen.extend(hit.id for hit in result.hits)
    assert len(seen) == len(set(seen)) == 30
    title_matches = {f"pc-{i:04d}" for i in range(30) if i % 2}
    assert set(seen[:15]) == title_matches  # the title tier comes first, window or not
    scores = [hit.score for hit in index.search(SearchQuery(q="剪纸", size=30)).hits]
    assert scores == sorted(scores, reverse=True)


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
