"""Derived tags: what the files and words say about an item without anyone typing it.

- technical: media type, orientation (landscape/portrait/square), resolution class;
- vocabulary / folder: ICH category keywords (`schemas.categories()`) found in the title and
  description, or in the folder names above the file, in Chinese or English, after folding
  traditional to simplified and case;
- exif: camera and the year the photo was taken.

When the manifest gave no category and the keywords point to exactly one, that category is
proposed, and a tag records that it was derived rather than given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from schemas import categories
from search.analysis import fold

Tag = dict[str, str]

RESOLUTION_CLASSES: tuple[tuple[float, str], ...] = (
    (1e6, "<1MP"),
    (12e6, "1–12MP"),
    (50e6, "12–50MP"),
    (float("inf"), ">50MP"),
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Derived:
    tags: list[Tag] = field(default_factory=list)
    category: str | None = None  # set only when exactly one category matched


def derive(
    *,
    media_type: str,
    technical: dict[str, Any],
    texts: Iterable[str],
    folders: Iterable[str],
    category_given: bool,
) -> Derived:
    result = Derived()
    add = _adder(result.tags)
    add(media_type, "technical", "media-type")
    width, height = technical.get("width"), technical.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        add(_orientation(width, height), "technical", "orientation")
        add(_resolution(width * height), "technical", "resolution")
    matched: set[str] = set()
    for by, words in (("vocabulary", texts), ("folder", folders)):
        for code, keyword in keyword_matches(" \n ".join(_readable(w, by) for w in words)):
            add(keyword, by, "ich-keyword")
            matched.add(code)
    if not category_given and len(matched) == 1:
        result.category = matched.pop()
        add(result.category, "vocabulary", "ich-category")
    if technical.get("camera"):
        add(technical["camera"], "exif", "camera")
    captured = technical.get("captured")
    if isinstance(captured, str) and captured[:4].isdigit():
        add(captured[:4], "exif", "year")
    return result


def keyword_matches(text: str) -> list[tuple[str, str]]:
    """(category code, keyword) for every vocabulary keyword found in `text`."""
    folded = fold(text)
    return [(code, keyword) for code, keyword, pattern in _patterns() if pattern.search(folded)]


@cache
def _patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    patterns = []
    for category in categories():
        for keyword in category.keywords:
            folded = re.escape(fold(keyword))
            # Chinese has no spaces: a substring is a match. Latin words match whole
            # (so "tea" is not found in "team"), allowing a plural ending.
            regex = folded if _CJK.search(keyword) else rf"\b{folded}(?:s|es)?\b"
            patterns.append((category.code, keyword, re.compile(regex)))
    return tuple(patterns)


def _readable(word: str, by: str) -> str:
    """Folder names use _ and - for spaces: 'paper_cutting' should read 'paper cutting'."""
    return re.sub(r"[_\-.]+", " ", word) if by == "folder" else word


def _adder(tags: list[Tag]) -> Callable[[str, str, str], None]:
    seen: set[tuple[str, str]] = set()

    def add(value: str, by: str, scheme: str) -> None:
        if (value, by) not in seen:
            seen.add((value, by))
            tags.append({"value": value[:200], "source": "derived", "by": by, "scheme": scheme})

    return add


def _orientation(width: int, height: int) -> str:
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def _resolution(pixels: int) -> str:
    return next(label for limit, label in RESOLUTION_CLASSES if pixels < limit)
