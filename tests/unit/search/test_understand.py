"""Dates in the search box -> year conditions plus the words left (search/understand.py)."""

from __future__ import annotations

import pytest

from search.analysis import MAX_QUERY_CHARS
from search.base import SearchQuery, YearSpan
from search.understand import resolve_dates, understand_query


@pytest.mark.parametrize(
    ("query", "text", "dates"),
    [
        ("清代 剪纸", "剪纸", [("清代", 1644, 1912, True)]),
        ("民国 长调", "长调", [("民国", 1912, 1949, True)]),
        ("1950年代", "", [("1950年代", 1950, 1959, False)]),
        ("乾隆", "", [("乾隆", 1736, 1795, True)]),
        ("光绪二十六年 照片", "照片", [("光绪二十六年", 1900, 1900, True)]),
        ("20世纪 50年代 民歌", "民歌", [("20世纪 50年代", 1950, 1959, False)]),
        ("kunqu 1950s", "kunqu", [("1950s", 1950, 1959, False)]),
        ("Qing dynasty paper cut", "paper cut", [("Qing dynasty", 1644, 1912, True)]),
        ("明末清初 家具", "家具", [("明末清初", 1575, 1711, True)]),
        ("剪纸 清代 民国", "剪纸", [("清代", 1644, 1912, True), ("民国", 1912, 1949, True)]),
        # within a longer word, a start or end that ends like a date
        ("清代剪纸", "剪纸", [("清代", 1644, 1912, True)]),
        ("乾隆年间剪纸", "剪纸", [("乾隆年间", 1736, 1795, True)]),
        ("三国时期 评书", "评书", [("三国时期", 220, 280, True)]),
        # words that stay words
        ("清 剪纸", "清 剪纸", []),  # one character: also a surname, 清明, …
        ("song", "song", []),
        ("1956", "1956", []),
        ("永乐宫 壁画", "永乐宫 壁画", []),  # a bare reign name is never cut out of a word
        ("开元寺", "开元寺", []),
        ("千年古镇", "千年古镇", []),
        ("三国 评书", "三国 评书", []),  # the story, not the period
        ("太和 殿", "太和 殿", []),  # an era name four reigns used: not a date alone
        ("五十年代 老歌", "五十年代 老歌", []),  # which century? unread, so searched as words
        ('"清代" 剪纸', '"清代" 剪纸', []),  # quoted: the words as written
    ],
)
def test_understand_query(
    query: str, text: str, dates: list[tuple[str, int, int | None, bool]]
) -> None:
    understood = understand_query(query)
    assert understood.text == text
    found = [(d.label, d.year_from, d.year_to, d.named) for d in understood.dates]
    assert found == dates


def test_removing_a_date_keeps_the_rest_of_the_query_as_typed() -> None:
    understood = understand_query("清代 剪纸 民国")
    qing, republic = understood.dates
    assert understood.without(qing) == "剪纸 民国"
    assert understood.without(republic) == "清代 剪纸"
    assert understand_query("清代剪纸").without(understand_query("清代剪纸").dates[0]) == "剪纸"


def test_resolve_dates_moves_dates_from_the_words_into_periods() -> None:
    query = SearchQuery(q="清代 剪纸 1950年代", periods=(YearSpan(1600, None, era=True),))
    resolved, understood = resolve_dates(query)
    assert understood is not None
    assert resolved.q == "剪纸"
    assert resolved.periods == (
        YearSpan(1600, None, era=True),
        YearSpan(1644, 1912, era=True),
        YearSpan(1950, 1959, era=False),
    )
    plain = SearchQuery(q="剪纸")
    assert resolve_dates(plain) == (plain, None)


@pytest.mark.parametrize(
    "query",
    ["", " ", '"', '"清代', "清代" * 400, "乾隆" + "年" * 600, "至" * 300, "-" * 200, None],
)
def test_never_raises(query: str) -> None:
    understood = understand_query(query)  # type: ignore[arg-type]
    assert len(understood.text) <= MAX_QUERY_CHARS
