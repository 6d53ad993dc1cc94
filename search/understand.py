"""Dates in the search box: 清代 剪纸, 民国 长调, 1950年代 and 乾隆 become year conditions plus
the words left, read by the one date parser (schemas.dates) that manifests and forms use.

Every backend calls `resolve_dates` first, so all apply the same conditions, and returns what it
understood in `SearchResult.understood` for the interface to show (and to offer removing: a
date's chip links to `UnderstoodQuery.without(date)`).

Which words are read as a date, so that ordinary words stay words:
- a word, or two or three words together (20世纪 50年代, Qing dynasty), that the parser reads and
  that has at least two Han characters, is a decade (1950s) or is several Latin words;
  a single character (清, 元, 宋) or word (song, ming) stays a word, and so do plain numbers
  (1956) and the story-cycle names listed in `TOPICAL` (三国);
- within a longer word, its start or end when that ends in a date word (代, 朝, 年, 年代, 年间,
  时期, 世纪, …): 清代剪纸 → 清代 + 剪纸; a bare reign name (永乐宫, 开元寺) is never cut out;
- nothing inside double quotes: "清代" 剪纸 searches the words as written.

The condition a date puts on items is `search.base.YearSpan`: for named periods (dynasties,
reign eras, 民国) the boundary rule there, so that 清代 (1644–1912) does not take in items dated
民国 (1912–1949) through the year both name; for plain years and decades, overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from schemas.dates import DateError, DateReading, read_date
from search.analysis import MAX_QUERY_CHARS, QUOTED_RE
from search.base import SearchQuery, YearSpan

TOPICAL = frozenset({"三国", "五代"})
"""Era names that in a heritage catalogue name stories (三国 评书) or generations (五代同堂)
more often than periods: searched as words unless written with 时期 (三国时期)."""

_HAN_RE = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DECADE_RE = re.compile(r"\d{3}0'?s", re.I)
_DATE_END_RE = re.compile(
    "(?:代|朝|年|年代|年间|时期|世纪|初年|末年|初期|末期|中叶|中期|早期|晚期|左右)$"
)
MAX_WORDS = 3  # the most words read together as one date


@dataclass(frozen=True)
class QueryDate:
    """One date understood in a query: the words as typed and what they mean."""

    label: str  # the words as typed, to show (清代, 1950年代)
    year_from: int | None  # historical years; None = open
    year_to: int | None
    era: str | None  # eras.json code when the words name an era or lie in one
    named: bool  # a named period: the boundary rule applies (see search.base.YearSpan)
    start: int  # where the words are in the query text
    end: int

    @property
    def span(self) -> YearSpan:
        return YearSpan(self.year_from, self.year_to, era=self.named)


@dataclass(frozen=True)
class UnderstoodQuery:
    """A query split into the words searched as text and the dates filtered on."""

    query: str  # as typed
    text: str  # the words left: what is searched as text
    dates: tuple[QueryDate, ...]

    def without(self, found: QueryDate) -> str:
        """The query with one date's words taken out: where its removable chip links to."""
        return " ".join(f"{self.query[: found.start]} {self.query[found.end :]}".split())


def understand_query(text: str) -> UnderstoodQuery:
    """Find the dates in a query; never raises (an unreadable date stays words)."""
    text = text[:MAX_QUERY_CHARS] if isinstance(text, str) else ""
    quoted = [m.span() for m in QUOTED_RE.finditer(text)]
    words = [
        m.span()
        for m in re.finditer(r"\S+", text)
        if not any(a < m.end() and m.start() < b for a, b in quoted)
    ]
    found: list[QueryDate] = []
    i = 0
    while i < len(words):
        date, used = _date_at(text, words, i)
        if date is not None:
            found.append(date)
        i += used
    left, position = [], 0
    for date in found:
        left.append(text[position : date.start])
        position = date.end
    left.append(text[position:])
    return UnderstoodQuery(text, " ".join(" ".join(left).split()), tuple(found))


def resolve_dates(query: SearchQuery) -> tuple[SearchQuery, UnderstoodQuery | None]:
    """The query with the dates in its words turned into year conditions (`periods`), and what
    was understood (None when nothing was). Every backend searches with the first."""
    understood = understand_query(query.q)
    if not understood.dates:
        return query, None
    periods = (*query.periods, *(date.span for date in understood.dates))
    return replace(query, q=understood.text, periods=periods), understood


def _date_at(text: str, words: list[tuple[int, int]], i: int) -> tuple[QueryDate | None, int]:
    """The date that starts at word i (of up to MAX_WORDS adjacent words) and how many words
    it takes; else a date cut from the start or end of word i, or none (one word)."""
    for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
        run = words[i : i + n]
        gaps = (text[a:b] for (_, a), (b, _) in zip(run, run[1:], strict=False))
        if not all(gap.isspace() for gap in gaps):
            continue  # a quoted part sits between these words
        date = _read(text, run[0][0], run[-1][1], whole=True)
        if date is not None:
            return date, n
    start, end = words[i]
    for cut in range(end - 1, start + 1, -1):  # the longest start of the word first
        date = _read(text, start, cut, whole=False)
        if date is not None:
            return date, 1
    for cut in range(start + 1, end - 1):  # then the longest end
        date = _read(text, cut, end, whole=False)
        if date is not None:
            return date, 1
    return None, 1


def _read(text: str, start: int, end: int, *, whole: bool) -> QueryDate | None:
    words = text[start:end]
    if not _plausible(words, whole=whole):
        return None
    try:
        reading: DateReading = read_date(words)
    except DateError:
        return None
    return QueryDate(
        words, reading.earliest, reading.latest, reading.era, reading.named, start, end
    )


def _plausible(words: str, *, whole: bool) -> bool:
    """Is it worth asking the parser, and would a date here be what the person meant?"""
    if words in TOPICAL:
        return False
    han = len(_HAN_RE.findall(words))
    chinese = han >= 2 or (han == 1 and any(c.isdigit() for c in words))  # 清代, 1956年
    if not whole:  # a piece of a longer word: only one that ends like a date
        return chinese and bool(_DATE_END_RE.search(words))
    if chinese or _DECADE_RE.fullmatch(words):
        return True
    return " " in words and any(c.isalpha() for c in words) and not _HAN_RE.search(words)
