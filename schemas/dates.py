"""One reading of the dates people write, shared by manifests, the workspace form, PATCH and the
search box: EDTF plus earliest/latest years, with the text kept as typed for display.

Read, after NFKC, traditional → simplified characters and Chinese numerals → digits:
- EDTF, levels 0–2: 2019-05-01, 2019-05~, 195X, 1950/1959, 1956?, 15XX-01-3X
- Gregorian dates: 1956年, 1956年5月3日, 二〇一九年, 2019/5/1, 2019.05.01, 2019年春 (an EDTF
  season), 公元前221年, 公元8年
- decades and centuries: 1950s, 1950年代, 20世纪50年代, 上世纪80年代, 20世纪, 20th century,
  公元前3世纪
- named periods: the eras vocabulary (清代, 民国, Qing dynasty), the dynasties of the reign-era
  table (北宋, 东晋), two dynasties together (明清), and reign eras (年号): 光绪, 光绪年间
  (1875–1908), 乾隆五十年 (1785), 唐贞观三年, 民国三十年 (1941). A reign year's months are
  lunar: its 11th and 12th month may fall in the next Gregorian year.
- parts of a period: 初/早期, 中叶/中期, 末/晚期, 上半叶/下半叶 after it (清末, 20世纪初,
  乾隆末年), 初/中/晚 before it (初唐, 晚清), and 明末清初
- ranges (1950年至1959年, 乾隆至嘉庆) and approximations (约…, …左右, circa …: EDTF ~)

Anything else is a DateError saying what to write: a date is never guessed.

Years in `earliest`/`latest` are historical (-221 = 221 BCE, there is no year 0); EDTF uses
astronomical numbering (year 0 = 1 BCE), as ISO 8601 does. Inside this module years are
astronomical, so that arithmetic across 1 BCE/1 CE needs no special case.

Parts of a period: 初 is its first quarter, 末 its last quarter and 中 the half between, in
whole years rounded up (上半叶/下半叶 are halves), so 20世纪初 = 1900–1924 and 清末 =
1845–1912. Where such a part cuts a period, the EDTF marks that end approximate (1900/1924~).
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

import opencc
from edtf import parse_edtf

from schemas.errors import InvalidInput
from schemas.loader import Dynasty, Reign, dynasties, eras, reigns

HELP = (
    "write EDTF (2019-05-01, 2019-05~, 195X, 1950/1959), a Chinese date (1956年5月, 二〇一九年), "
    "a decade (20世纪50年代), an era (清代, 民国) or a reign year (乾隆五十年)"
)
MAX_DISPLAY = 100  # record.schema.json's limit on date.display


class DateError(InvalidInput):
    """A date that cannot be read; the message quotes it and says what is wrong."""


@dataclass(frozen=True)
class DateReading:
    """What a written date means. `earliest`/`latest` are historical years; None = open."""

    edtf: str
    display: str
    earliest: int | None
    latest: int | None
    era: str | None = None  # code in vocabularies/eras.json when the date lies in one
    named: bool = False  # read from a named period, whose end years its neighbours share

    def record(self) -> dict[str, Any]:
        """The record's `date` field (schemas/record.schema.json)."""
        field: dict[str, Any] = {"edtf": self.edtf, "display": self.display}
        if self.earliest is not None:
            field["earliest"] = self.earliest
        if self.latest is not None:
            field["latest"] = self.latest
        if self.era is not None:
            field["era"] = self.era
        return field


def parse_date(text: str) -> dict[str, Any]:
    """The record's `date` for what an archivist wrote; DateError says what is wrong."""
    return read_date(text).record()


def record_date(value: object) -> dict[str, Any]:
    """A record's `date` from what a form or a PATCH sends: the text as typed (乾隆五十年), or a
    date object whose `edtf` (else `display`) is read again, so that its years always agree
    with it; a given `display` and a known `era` code are kept."""
    if isinstance(value, str):
        return parse_date(value)
    if not isinstance(value, dict):
        raise DateError(f"a date is text such as 1956年 or 乾隆五十年, not {type(value).__name__}")
    text = value.get("edtf") or value.get("display")
    if not isinstance(text, str):
        raise DateError("a date needs its text in 'display' or its EDTF in 'edtf'")
    field = parse_date(text)
    display = value.get("display")
    if isinstance(display, str) and display.strip():
        field["display"] = display.strip()
    if value.get("era") in {era.code for era in eras()}:
        field["era"] = value["era"]
    return field


def read_date(text: str) -> DateReading:
    """Read one written date; DateError (a ValueError) quotes it and says what is wrong."""
    display = text.strip()
    if not display:
        raise DateError("the date is empty")
    if len(display) > MAX_DISPLAY:
        raise DateError(f"a date is at most {MAX_DISPLAY} characters; this one has {len(display)}")
    value = _normalize(display)
    approximate, value = _approximation(value)
    try:
        span = _read(value)
    except _Unreadable as problem:
        raise DateError(f"{display!r}: {problem}") from None
    if span is None:
        raise DateError(f"{display!r} is not a date this repository can read; {HELP}")
    if approximate:
        span = span.approximate()
    if span.start is not None and span.end is not None and span.start > span.end:
        raise DateError(f"{display!r} ends before it starts")
    return DateReading(
        span.to_edtf(),
        display,
        _historical(span.start),
        _historical(span.end),
        span.era,
        span.named,
    )


# ---------------------------------------------------------------------------------- spans


class _Unreadable(Exception):
    """A form was recognised but cannot be a date; read_date quotes the text before it."""


@dataclass(frozen=True)
class _Span:
    start: int | None  # astronomical years; None = open
    end: int | None
    edtf: str = ""  # the form's own EDTF (1956-05, 195X, 2019-21); empty = built from the years
    era: str | None = None
    named: bool = False
    fuzzy: tuple[bool, bool] = (False, False)  # is the start / the end approximate?

    def to_edtf(self) -> str:
        if self.edtf:
            return self.edtf
        low = _end_edtf(self.start, self.fuzzy[0])
        if self.start == self.end and self.fuzzy[0] == self.fuzzy[1]:
            return low
        return f"{low}/{_end_edtf(self.end, self.fuzzy[1])}"

    def approximate(self) -> _Span:
        if re.fullmatch(r"-?[\dX]{4}(-[\dX]{2}){0,2}", self.edtf) and not _is_season(self.edtf):
            return replace(self, edtf=f"{self.edtf}~")
        if self.edtf and self.edtf[-1] in "~?%":
            return self
        return replace(self, edtf="", fuzzy=(True, True))


def _is_season(edtf: str) -> bool:
    return bool(re.fullmatch(r"-?\d{4}-(2[1-9]|3\d|4[01])", edtf))


def _end_edtf(year: int | None, fuzzy: bool) -> str:
    if year is None:
        return ".."
    return f"{'-' if year < 0 else ''}{abs(year):04d}{'~' if fuzzy else ''}"


def _astronomical(year: int) -> int:
    return year if year > 0 else year + 1


def _historical(year: int | None) -> int | None:
    if year is None:
        return None
    return year if year > 0 else year - 1


def _this_year() -> int:
    return date.today().year


# ---------------------------------------------------------------------------------- reading


def _read(value: str, ranges: bool = True) -> _Span | None:
    """The first reader that recognises the whole of `value`, tried from the most specific.
    The parts of a range are read without `ranges`: no range nests in another, which also
    keeps the work linear in the length of the text."""
    for reader in _READERS if ranges else _PLAIN_READERS:
        span = reader(value)
        if span is not None:
            return span
    return None


def _era_span(value: str) -> _Span | None:
    """An era of the vocabulary (清代, Qing dynasty) or a dynasty of the reign table (北宋)."""
    wanted = value.casefold().removeprefix("the ").strip()
    wanted = re.sub("(?:时期|时代)$", "", wanted) or wanted
    for era in eras():
        names = {era.code, era.zh, era.en.casefold(), *(a.casefold() for a in era.aliases)}
        if wanted in names:
            end = None if era.end is None else _astronomical(era.end)
            return _Span(_astronomical(era.start), end, era=era.code, named=True)
    dynasty = _dynasty_names().get(re.sub("(?<=.)(?:代|朝)$", "", wanted))
    if dynasty is not None and len(wanted) > 1:
        start, end = _astronomical(dynasty.start), _astronomical(dynasty.end)
        return _Span(start, end, era=dynasty.era, named=True)
    return None


@cache
def _dynasty_names() -> dict[str, Dynasty]:
    """Names that pick one dynasty when written alone: its own name, and prefixes no other
    dynasty shares (not 宋 or 魏, which are several, nor single characters other than its own)."""
    counts: dict[str, int] = {}
    for dynasty in dynasties():
        for name in dynasty.names:
            counts[name] = counts.get(name, 0) + 1
    found = {}
    for dynasty in dynasties():
        found[dynasty.zh] = dynasty
        for name in dynasty.names:
            if counts[name] == 1 and len(name) > 1:
                found[name] = dynasty
    return found


_LUNAR_MONTHS = {"正": 1, "冬": 11, "腊": 12}
_REIGN_REST = re.compile(
    r"(?:(?P<month>\d{1,2}|正|冬|腊)月(?:初?[\d一二三四五六七八九十廿卅]{1,3}日?)?)?"
    r"(?P<season>[春夏秋冬])?(?:季|天)?"
)


def _reign_span(value: str) -> _Span | None:
    """光绪, 光绪年间, 乾隆五十年, 唐贞观三年, 民国三十年二月."""
    match = _reign_pattern(False).fullmatch(value) or _reign_pattern(True).fullmatch(value)
    if match is None:
        return None
    prefix, name = match["dynasty"], match["name"]
    candidates = list(_reign_index()[name])
    if prefix:
        candidates = [r for r in candidates if prefix in _dynasty(r.dynasty).names]
        if not candidates:
            raise _Unreadable(f"{prefix} had no reign era {name}")
    if match["year"] is None:
        reign = _pick(candidates, name, lambda r: (r.start, r.end))
        return _Span(
            _astronomical(reign.start),
            _astronomical(reign.end),
            era=_dynasty(reign.dynasty).era,
            named=True,
        )
    rest = _REIGN_REST.fullmatch(match["rest"])
    if rest is None:
        return None
    number = 1 if match["year"] == "元" else int(match["year"])
    fitting = [r for r in candidates if number <= _length(r)]
    if not fitting:
        longest = max(candidates, key=_length)
        raise _Unreadable(
            f"the {name} era of {_who(longest)} lasted {_length(longest)} years, "
            f"{_years_text(longest)}; it had no year {number}"
        )
    reign = _pick(fitting, name, lambda r: _astronomical(r.start) + number - 1)
    year = _astronomical(reign.start) + number - 1
    era = _dynasty(reign.dynasty).era
    month = _LUNAR_MONTHS.get(rest["month"] or "") or int(rest["month"] or 0)
    if rest["month"] and not 1 <= month <= 12:
        raise _Unreadable(f"there is no month {rest['month']}")
    if month > 10:  # a lunar month that may fall in the next January
        return _Span(year, year + 1, era=era, named=True)
    season = _SEASONS.get(rest["season"] or "")
    edtf = f"{_end_edtf(year, False)}-{season}" if season else ""
    return _Span(year, year, edtf=edtf, era=era, named=True)


def _length(reign: Reign) -> int:
    return _astronomical(reign.end) - _astronomical(reign.start) + 1


def _who(reign: Reign) -> str:
    dynasty = _dynasty(reign.dynasty).zh
    return f"{reign.emperor} ({dynasty})" if reign.emperor else dynasty


def _years_text(reign: Reign) -> str:
    def one(year: int) -> str:
        return f"{-year} BCE" if year < 0 else str(year)

    return f"{one(reign.start)}–{one(reign.end)}"


def _pick(candidates: list[Reign], name: str, meaning: Callable[[Reign], Any]) -> Reign:
    """The reign a name means: the only one, all meaning the same years, or the preferred."""
    if len({meaning(r) for r in candidates}) == 1:
        return candidates[0]
    preferred = [r for r in candidates if r.preferred]
    if len(preferred) == 1:
        return preferred[0]
    options = "; ".join(f"{_who(r)} {_years_text(r)}" for r in candidates)
    named = dict.fromkeys(f"{_dynasty(r.dynasty).names[0]}{name}" for r in candidates)
    advice = "write the Gregorian year" if len(named) == 1 else f"write {' or '.join(named)}"
    raise _Unreadable(f"{name} was the era name of several reigns ({options}); {advice}")


@cache
def _reign_index() -> dict[str, tuple[Reign, ...]]:
    index: dict[str, list[Reign]] = {}
    for reign in reigns():
        for name in (reign.name, *reign.aliases):
            index.setdefault(_simplified(name), []).append(reign)
    return {name: tuple(found) for name, found in index.items()}


@cache
def _dynasty(code: str) -> Dynasty:
    return next(d for d in dynasties() if d.code == code)


@cache
def _reign_pattern(with_dynasty: bool) -> re.Pattern[str]:
    def alternatives(names: set[str]) -> str:
        return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))

    dynasty = ""
    if with_dynasty:
        prefixes = {_simplified(n) for d in dynasties() for n in d.names}
        dynasty = f"(?P<dynasty>{alternatives(prefixes)})(?:代|朝)?"
    else:
        dynasty = "(?P<dynasty>)"
    return re.compile(
        f"{dynasty}(?P<name>{alternatives(set(_reign_index()))})"
        r"(?:(?P<year>\d{1,3}|元)年(?P<rest>.*)|(?:年间|时期|年代|间|朝)?)"
    )


_PARTS = {
    "初": "early",
    "初年": "early",
    "初期": "early",
    "早期": "early",
    "前期": "early",
    "中": "middle",
    "中叶": "middle",
    "中期": "middle",
    "末": "late",
    "末年": "late",
    "末期": "late",
    "晚期": "late",
    "后期": "late",
    "上半叶": "first half",
    "上半期": "first half",
    "前半期": "first half",
    "下半叶": "second half",
    "下半期": "second half",
    "后半期": "second half",
}
_PART_SUFFIX = re.compile(
    "(?P<base>.+?)(?P<part>" + "|".join(sorted(_PARTS, key=len, reverse=True)) + ")"
)
_PART_PREFIX = {"初": "early", "早": "early", "中": "middle", "晚": "late"}
_SHORT = {"民": "民国"}  # 清末民初


def _part_span(value: str) -> _Span | None:
    """清末, 20世纪初, 乾隆末年, 民国初年, 20世纪50年代末, 晚清, 初唐."""
    match = _PART_SUFFIX.fullmatch(value)
    if match:
        base = _read(_SHORT.get(match["base"], match["base"]), ranges=False)
        if base is not None:
            return _part_of(base, _PARTS[match["part"]])
    if len(value) > 1 and value[0] in _PART_PREFIX:
        base = _era_span(value[1:])
        if base is not None:
            return _part_of(base, _PART_PREFIX[value[0]])
    return None


def _part_of(span: _Span, part: str) -> _Span | None:
    if span.start is None:
        return None
    start, end = span.start, span.end if span.end is not None else _this_year()
    length = end - start + 1
    if length < 4:  # a part of a year or two is that year or two
        return span
    quarter, half = math.ceil(length / 4), math.ceil(length / 2)
    first, last = span.fuzzy
    cuts = {
        "early": (start, start + quarter - 1, first, True),
        "late": (end - quarter + 1, end, True, last),
        "middle": (start + quarter, end - quarter, True, True),
        "first half": (start, start + half - 1, first, True),
        "second half": (end - half + 1, end, True, last),
    }
    low, high, fuzzy_low, fuzzy_high = cuts[part]
    return replace(span, start=low, end=high, edtf="", fuzzy=(fuzzy_low, fuzzy_high))


def _late_early_span(value: str) -> _Span | None:
    """明末清初, 清末民初: from the end of one period to the start of the next."""
    match = re.fullmatch("(.+?)(?:末年|末期|末)(.+?)(?:初年|初期|初)", value)
    if match is None:
        return None
    left, right = _read(f"{match[1]}末", ranges=False), _read(f"{match[2]}初", ranges=False)
    if left is None or right is None:
        return None
    return _joined(left, right)


def _pair_span(value: str) -> _Span | None:
    """明清, 秦汉, 隋唐: two successive eras written together."""
    match = re.fullmatch("(.)(.)(?:时期|两代|之际)?", value)
    if match is None:
        return None
    single = {era.zh: era for era in eras() if len(era.zh) == 1}
    first, second = single.get(match[1]), single.get(match[2])
    if first is None or second is None or first.start >= second.start:
        return None
    left, right = _era_span(first.zh), _era_span(second.zh)
    return _joined(left, right) if left and right else None


_RANGE_SEPARATORS = ("至", "到", "—", "–", "~", "-")


def _range_span(value: str) -> _Span | None:
    """1950年至1959年, 乾隆至嘉庆, 1956年5月-1957年3月."""
    for separator in _RANGE_SEPARATORS:
        if separator == "-" and not _HAN_RE.search(value):
            continue  # an EDTF date is not a range
        left, found, right = value.partition(separator)
        if not found or not left or not right:
            continue
        first, second = _read(left, ranges=False), _read(right, ranges=False)
        if first is not None and second is not None:
            return _joined(first, second)
    return None


def _joined(first: _Span, second: _Span) -> _Span:
    if first.start is not None and second.end is not None and first.start > second.end:
        raise _Unreadable("it ends before it starts")
    simple = r"-?\d{4}(-\d{2}){0,2}[~?%]?"
    edtf = ""
    if re.fullmatch(simple, first.edtf) and re.fullmatch(simple, second.edtf):
        edtf = f"{first.edtf}/{second.edtf}"
    return _Span(
        first.start,
        second.end,
        edtf=edtf,
        era=first.era if first.era == second.era else None,
        named=first.named or second.named,
        fuzzy=(first.fuzzy[0], second.fuzzy[1]),
    )


# ---------------------------------------------------------------------------------- numbers

_SEASONS = {"春": 21, "夏": 22, "秋": 23, "冬": 24}


def _century(number: int) -> str:
    return f"{number - 1:02d}XX"


def _relative_century(word: str) -> int:
    """上世纪 is the century before this one, 本世纪 this one (as written this century)."""
    return _this_year() // 100 + (0 if word == "上" else 1)


def _gregorian(match: re.Match[str]) -> str:
    """EDTF for a year (astronomical: a BCE year is negative) with a month and day or a season."""
    found = match.groupdict()
    if found.get("bce"):
        if int(found["bce"]) == 0:
            raise _Unreadable("there is no year 0; 公元前1年 is followed by 公元1年")
        year = _end_edtf(_astronomical(-int(found["bce"])), False)
    else:
        if int(found.get("year") or found["year4"]) == 0:
            raise _Unreadable("there is no year 0; 公元前1年 is followed by 公元1年")
        year = f"{int(found.get('year') or found['year4']):04d}"
    if found.get("season"):
        return f"{year}-{_SEASONS[found['season']]}"
    return "-".join([year] + [f"{int(found[n]):02d}" for n in ("month", "day") if found.get(n)])


def _bce_century(match: re.Match[str]) -> str:
    number = int(match[1])
    first, last = _astronomical(-number * 100), _astronomical(-(number - 1) * 100 - 1)
    return f"{_end_edtf(first, False)}/{_end_edtf(last, False)}"


def _no_century(match: re.Match[str]) -> str:
    raise _Unreadable(
        f"it does not say which century; write 20世纪{match[1]}0年代 or 19{match[1]}0年代"
    )


_DAY = r"(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号]?)?)?"
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"([1-9]\d?)世纪(\d)0年代"), lambda m: f"{int(m[1]) - 1:02d}{m[2]}X"),
    (re.compile(r"([上本])世纪(\d)0年代"), lambda m: f"{_relative_century(m[1]) - 1:02d}{m[2]}X"),
    (re.compile(r"(\d{3})0(?:年代|s|'s)", re.I), lambda m: f"{m[1]}X"),
    (re.compile(r"(\d)0(?:年代|s|'s)", re.I), _no_century),
    (re.compile(r"公元前([1-9]\d?)世纪"), _bce_century),
    (re.compile(r"(?:公元)?([1-9]\d?)世纪"), lambda m: _century(int(m[1]))),
    (re.compile(r"([上本])世纪"), lambda m: _century(_relative_century(m[1]))),
    (re.compile(r"([1-9]\d?)(?:st|nd|rd|th)\s+century", re.I), lambda m: _century(int(m[1]))),
    (re.compile(rf"公元前(?P<bce>\d{{1,4}})年{_DAY}"), _gregorian),
    (re.compile(rf"(?:公元(?P<year>\d{{1,3}})|(?:公元)?(?P<year4>\d{{4}}))年{_DAY}"), _gregorian),
    (re.compile(r"(?:公元)?(?P<year>\d{4})年(?P<season>[春夏秋冬])(?:季|天)?"), _gregorian),
    (re.compile(r"(?P<year>\d{4})[./](?P<month>\d{1,2})[./](?P<day>\d{1,2})"), _gregorian),
    (re.compile(r"(?P<year>\d{4})\.(?P<month>\d{1,2})"), _gregorian),
    (re.compile(r"(\d{4})年?\s*(?:-|–|—)\s*(\d{4})年?"), lambda m: f"{m[1]}/{m[2]}"),
)


def _numeric_span(value: str) -> _Span | None:
    """Chinese and spreadsheet forms of Gregorian dates, decades and centuries → their EDTF."""
    for pattern, build in _FORMS:
        match = pattern.fullmatch(value)
        if match:
            edtf = build(match)
            span = _edtf_span(edtf)
            if span is None:
                raise _Unreadable(f"there is no such day or month ({edtf})")
            return span
    return None


def _edtf_span(value: str) -> _Span | None:
    """EDTF as written. Level-2 unspecified digits (15XX-01-3X) are read here, as the edtf
    library cannot compute their years; everything else goes to the library."""
    if not _EDTF_ALPHABET.fullmatch(value):
        return None  # the library takes milliseconds to refuse any word
    known = _simple_span(value) or _unspecified_span(value) or _significant_span(value)
    if known is not None:
        return known
    try:
        parsed = parse_edtf(value)
        low, high = parsed.lower_strict(), parsed.upper_strict()
    except Exception:  # noqa: BLE001 - the library raises assorted errors for what it cannot read
        return None
    return _Span(_struct_year(low), _struct_year(high), edtf=value)


_EDTF_ALPHABET = re.compile(r"[\dXYSETZ+\-/.~?%\[\]{},:]+")


def _struct_year(moment: Any) -> int | None:
    """A struct_time from the edtf library → its (astronomical) year; None for an open end."""
    if isinstance(moment, float) and (math.isinf(moment) or math.isnan(moment)):
        return None
    return getattr(moment, "tm_year", None)


_SIMPLE = re.compile(r"(?P<year>-?\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?[?~%]?")


def _simple_span(value: str) -> _Span | None:
    """The common EDTF forms (1956, 1956-05~, 1956-05-03, 2019-21, 1950/1959, 1949/..), read
    here: the edtf library takes some 20 ms for each, which a 10,000-row manifest would feel
    (and it lets 1900-02-29 pass). None for any other form, which the library then reads."""
    if "/" in value:
        low, _, high = value.partition("/")
        first = None if low in ("..", "") else _simple_span(low)
        last = None if high in ("..", "") else _simple_span(high)
        if (first is None and low not in ("..", "")) or (last is None and high not in ("..", "")):
            return None
        if first is None and last is None:
            return None
        return _Span(first.start if first else None, last.end if last else None, edtf=value)
    match = _SIMPLE.fullmatch(value)
    if match is None:
        return None
    year = int(match["year"])
    month = int(match["month"] or 1)
    season = match["day"] is None and 21 <= month <= 41
    if not season and not 1 <= month <= 12:
        raise _Unreadable(f"there is no month {match['month']}")
    if match["day"] and not 1 <= int(match["day"]) <= _days(month, year):
        raise _Unreadable(f"there is no day {match['day']} in {match['year']}-{match['month']}")
    return _Span(year, year, edtf=value)


_UNSPECIFIED = re.compile(
    r"(?P<sign>-?)(?P<year>[\dX]{4})(?:-(?P<month>[\dX]{2}))?"
    r"(?:-(?P<day>[\dX]{2}))?[?~%]?"
)


def _unspecified_span(value: str) -> _Span | None:
    match = _UNSPECIFIED.fullmatch(value)
    if match is None or "X" not in value or (match["day"] and not match["month"]):
        return None
    if match["year"] == "XXXX":
        raise _Unreadable("it says nothing about the year; leave the date empty when it is unknown")
    months = [m for m in range(1, 13) if _fits(match["month"] or "XX", m)]
    if not months:
        raise _Unreadable(f"there is no month {match['month']}")
    day = match["day"]
    if day and not any(_fits(day, d) for m in months for d in range(1, _days(m) + 1)):
        raise _Unreadable(f"there is no day {day} in month {match['month']}")
    low, high = int(match["year"].replace("X", "0")), int(match["year"].replace("X", "9"))
    if match["sign"]:
        low, high = -high, -low
    return _Span(low, high, edtf=value)


def _significant_span(value: str) -> _Span | None:
    """1950S2: a year of which only the first 2 digits are known (1900–1999)."""
    match = re.fullmatch(r"Y?(?P<sign>-?)(?P<digits>\d{4,})S(?P<known>\d+)", value)
    if match is None or not 0 < int(match["known"]) <= len(match["digits"]):
        return None
    known, digits = int(match["known"]), match["digits"]
    low = int(digits[:known].ljust(len(digits), "0"))
    high = int(digits[:known].ljust(len(digits), "9"))
    if match["sign"]:
        low, high = -high, -low
    return _Span(low, high, edtf=value)


def _fits(pattern: str, number: int) -> bool:
    return all(p in ("X", digit) for p, digit in zip(pattern, f"{number:02d}", strict=True))


def _days(month: int, year: int = 2000) -> int:
    """Days in a month of a year (astronomical; the default, a leap year, allows 29 February)."""
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


_PLAIN_READERS: tuple[Callable[[str], _Span | None], ...] = (
    _era_span,
    _reign_span,
    _late_early_span,
    _part_span,
    _pair_span,
    _numeric_span,
    _edtf_span,
)
_READERS = (*_PLAIN_READERS[:3], _range_span, *_PLAIN_READERS[3:])


# ---------------------------------------------------------------------------------- normalizing

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
_SPACE_BY_HAN = re.compile(f"(?<=[{_HAN}])\\s+|\\s+(?=[{_HAN}])")
_NUMERAL_RUN = re.compile("(?<![0-9])([〇零一二两三四五六七八九十百千廿卅]+)(?=年|月|日|号|世纪)")
_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_APPROX_PREFIX = re.compile(r"^(?:大约|大概|约|circa|ca\.?|c\.|about|approx\.?)\s*", re.I)
_APPROX_SUFFIX = re.compile(r"\s*(?:左右|前后)$")


def _normalize(text: str) -> str:
    """NFKC, traditional → simplified, spaces by Han characters dropped, numerals → digits."""
    value = unicodedata.normalize("NFKC", text).replace("○", "〇")
    value = _simplified(" ".join(value.split()))
    value = _SPACE_BY_HAN.sub("", value)
    return _NUMERAL_RUN.sub(lambda m: _number(m[1]), value)


def _number(numeral: str) -> str:
    """二〇一九 → 2019 (digit by digit); 二十六 → 26, 廿三 → 23 (by place, below 100 only:
    reign years, months, days and centuries; 百年 and 千年 are not years 100 and 1000)."""
    if not any(c in _UNITS or c in "廿卅" for c in numeral):
        return "".join(str(_DIGITS[c]) for c in numeral)
    total = current = 0
    for c in numeral:
        if c in _DIGITS:
            current = _DIGITS[c]
        elif c in "廿卅":
            total += 20 if c == "廿" else 30
        else:
            total += (current or 1) * _UNITS[c]
            current = 0
    return str(total + current) if total + current < 100 else numeral


def _approximation(value: str) -> tuple[bool, str]:
    stripped = _APPROX_SUFFIX.sub("", _APPROX_PREFIX.sub("", value))
    return stripped != value, stripped


def _simplified(text: str) -> str:
    """Traditional characters → simplified, one by one, leaving those the vocabularies use as
    they are: OpenCC alone would turn the 乾 of 乾封 into 干."""
    keep = _vocabulary_characters()
    return "".join(c if c.isascii() or c in keep else _t2s(c) for c in text)


@cache
def _t2s(character: str) -> str:
    return str(_converter().convert(character))


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _vocabulary_characters() -> frozenset[str]:
    words = [r.name for r in reigns()] + [a for r in reigns() for a in r.aliases]
    words += [n for d in dynasties() for n in (d.zh, *d.names)]
    words += [w for e in eras() for w in (e.zh, *e.aliases)]
    return frozenset("".join(words))
