"""Turn the dates archivists write into the record's date: EDTF plus earliest/latest years.

Accepted: EDTF itself (2019-05-01, 2019-05~, 195X, 1950/1959, 1956?), decades (1950s,
1950年代, 20世纪50年代), centuries (20世纪, 20th century), Chinese dates (1956年, 1956年5月,
1956年5月3日), spreadsheet dates (2019/5/1, 2019.05.01), year ranges (1950-1959, 1950年至1959年),
approximations (约1956年, 1956年左右, circa 1956) and era names from the eras vocabulary (清代,
Qing dynasty). Anything else is an error: a date is never guessed.

Years in `earliest`/`latest` use the vocabulary's numbering (-221 = 221 BCE); EDTF strings use
astronomical numbering (year 0 = 1 BCE), as ISO 8601 does.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException

from schemas import Era, eras

HELP = (
    "write EDTF (2019-05-01, 2019-05~, 195X, 1950/1959), a decade (1950s, 20世纪50年代), "
    "a Chinese date (1956年5月) or an era (清代, Qing dynasty)"
)

_APPROX_PREFIX = re.compile(r"^(?:约|大约|大概|circa|ca\.?|c\.|about|approx\.?)\s*", re.I)
_APPROX_SUFFIX = re.compile(r"\s*(?:左右|前后)$")
_FORMS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"^(\d{1,2})世纪(\d)0年代$"), lambda m: f"{int(m[1]) - 1:02d}{m[2]}X"),
    (re.compile(r"^(\d{3})0(?:年代|s|'s)$", re.I), lambda m: f"{m[1]}X"),
    (re.compile(r"^(\d{1,2})世纪$"), lambda m: f"{int(m[1]) - 1:02d}XX"),
    (
        re.compile(r"^(\d{1,2})(?:st|nd|rd|th)\s+century$", re.I),
        lambda m: f"{int(m[1]) - 1:02d}XX",
    ),
    (re.compile(r"^(\d{4})年$"), lambda m: m[1]),
    (re.compile(r"^(\d{4})年(\d{1,2})月$"), lambda m: f"{m[1]}-{int(m[2]):02d}"),
    (
        re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
        lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}",
    ),
    (
        re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$"),
        lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}",
    ),
    (re.compile(r"^(\d{4})\.(\d{1,2})$"), lambda m: f"{m[1]}-{int(m[2]):02d}"),
    (re.compile(r"^(\d{4})年?\s*(?:-|–|—|至|到)\s*(\d{4})年?$"), lambda m: f"{m[1]}/{m[2]}"),
)


def parse_date(text: str) -> dict[str, Any]:
    """-> {"edtf", "display", "earliest"?, "latest"?, "era"?}; ValueError says what is wrong."""
    display = text.strip()
    value = unicodedata.normalize("NFKC", display).strip()
    if not value:
        raise ValueError("the date is empty")
    era = _era(value)
    if era is not None:
        return _era_date(era, display)
    edtf = _to_edtf(value)
    try:
        parsed = parse_edtf(edtf)
    except (EDTFParseException, ValueError):
        raise ValueError(f"{display!r} is not a date this repository can read; {HELP}") from None
    result: dict[str, Any] = {"edtf": edtf, "display": display}
    earliest = _year(parsed.lower_strict())
    latest = _year(parsed.upper_strict())
    if earliest is not None:
        result["earliest"] = earliest
    if latest is not None:
        result["latest"] = latest
    if earliest is not None and latest is not None and earliest > latest:
        raise ValueError(f"{display!r} ends before it starts")
    return result


def _to_edtf(value: str) -> str:
    approximate = False
    stripped = _APPROX_SUFFIX.sub("", _APPROX_PREFIX.sub("", value))
    if stripped != value:
        approximate, value = True, stripped
    for pattern, build in _FORMS:
        match = pattern.match(value)
        if match:
            value = build(match)
            break
    return f"{value}~" if approximate and not value.endswith(("~", "%")) else value


def _year(moment: Any) -> int | None:
    """struct_time from edtf -> historical year (no year 0); None for open or unknown ends."""
    if isinstance(moment, float) and (math.isinf(moment) or math.isnan(moment)):
        return None
    year = getattr(moment, "tm_year", None)
    if year is None:
        return None
    return year if year > 0 else year - 1


def _edtf_year(year: int) -> str:
    astronomical = year if year > 0 else year + 1
    sign = "-" if astronomical < 0 else ""
    return f"{sign}{abs(astronomical):04d}"


def _era(value: str) -> Era | None:
    wanted = value.casefold().removeprefix("the ").strip()
    for era in eras():
        names = {era.code, era.zh, era.en.casefold(), *(a.casefold() for a in era.aliases)}
        if wanted in names:
            return era
    return None


def _era_date(era: Era, display: str) -> dict[str, Any]:
    end = _edtf_year(era.end) if era.end is not None else ".."
    result: dict[str, Any] = {
        "edtf": f"{_edtf_year(era.start)}/{end}",
        "display": display,
        "earliest": era.start,
        "era": era.code,
    }
    if era.end is not None:
        result["latest"] = era.end
    return result
