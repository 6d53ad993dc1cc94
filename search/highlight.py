"""Snippets with <mark>…</mark>, computed in Python from the original text for every backend.

Matching uses the analyser's own token streams with their source spans, so whatever matched is
what gets marked: a simplified query term marks its traditional form, `kunqu` marks 昆曲, a
stemmed word marks its inflected form. The text is HTML-escaped first and marks added around the
escaped pieces, so a title such as `<script>` is shown, never run.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from search.analysis import QueryPlan, fold_with_offsets, is_cjk_token, token_streams

FRAGMENT_CHARS = 160
_LEAD_CHARS = 40


def _marked_ranges(text: str, plan: QueryPlan, *, names: bool) -> list[tuple[int, int]]:
    phrases = _plan_phrases(plan)
    surfaces = _surfaces(phrases)
    if surfaces is not None:
        return _found_ranges(text, surfaces)
    return _token_ranges(text, phrases, names=names)


@lru_cache(maxsize=64)
def _plan_phrases(plan: QueryPlan) -> tuple[tuple[str, ...], ...]:
    phrases = {p.tokens for p in plan.phrases()}
    if plan.boost:
        phrases.add(plan.boost.tokens)
    return tuple(sorted(phrases))


def _token_ranges(
    text: str, phrases: tuple[tuple[str, ...], ...], *, names: bool
) -> list[tuple[int, int]]:
    """Where `phrases` occur in the text's token streams: the general way, for any phrase."""
    firsts: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        firsts.setdefault(phrase[0], []).append(phrase)
    ranges: list[tuple[int, int]] = []
    streams = token_streams(text, pinyin=names, chars=names, screen=_screen(phrases))
    for stream in streams:
        tokens = stream.tokens
        for index, token in enumerate(tokens):
            for phrase in firsts.get(token, ()):
                last = index + len(phrase)
                if tuple(tokens[index:last]) == phrase:
                    ranges.append((stream.starts[index], max(stream.ends[index:last])))
    return _merge(ranges)


@lru_cache(maxsize=64)
def _surfaces(phrases: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """The text each phrase is, when every phrase is a chain of CJK bigrams (剪纸; 传承 承人 人访
    访谈 is 传承人访谈), else None. Such a phrase matches exactly where its text occurs in the
    folded text: bigrams are cut from CJK runs at every position, and a run of CJK characters
    cannot span two runs. Finding it there skips cutting the text into its token streams."""
    surfaces: list[str] = []
    for phrase in phrases:
        if not all(len(token) == 2 and is_cjk_token(token) for token in phrase):
            return None
        if any(left[1] != right[0] for left, right in zip(phrase, phrase[1:], strict=False)):
            return None
        surfaces.append(phrase[0] + "".join(token[1] for token in phrase[1:]))
    return tuple(surfaces)


def _found_ranges(text: str, surfaces: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where `surfaces` occur in the folded `text`, as ranges of the original text."""
    normal, offsets = fold_with_offsets(text)
    ranges: list[tuple[int, int]] = []
    for surface in surfaces:
        start = normal.find(surface)
        while start >= 0:
            end = start + len(surface)
            ranges.append((offsets[start], offsets[end - 1] + 1) if offsets else (start, end))
            start = normal.find(surface, start + 1)
    return _merge(ranges)


@lru_cache(maxsize=64)
def _screen(phrases: tuple[tuple[str, ...], ...]) -> Callable[[str], bool] | None:
    """A quick no for a folded text that cannot hold any of `phrases`: a CJK token is always a
    substring of the text it was cut from, so a phrase whose CJK tokens are not all in the text
    cannot match there. None (no screen) when a phrase has no CJK token: Latin words are
    stemmed and pinyin is read from characters, so no substring test holds for them."""
    needs: list[list[str]] = []
    for phrase in phrases:
        cjk = [token for token in phrase if is_cjk_token(token)]
        if not cjk:
            return None
        needs.append(cjk)
    return lambda normal: any(all(token in normal for token in need) for need in needs)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, ranges: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    position = start
    for low, high in ranges:
        low, high = max(low, start), min(high, end)
        if low >= high:
            continue
        out.append(html.escape(text[position:low]))
        out.append(f"<mark>{html.escape(text[low:high])}</mark>")
        position = high
    out.append(html.escape(text[position:end]))
    return "".join(out)


def highlight(
    text: str, plan: QueryPlan, *, names: bool = False, fragment: int | None = None
) -> str | None:
    """`text` HTML-escaped with query matches in <mark>, or None when nothing matches.

    `names=True` also matches pinyin and single characters (as titles, people and places are
    indexed). With `fragment`, only about that many characters around the first match are kept,
    with "…" where text was cut.
    """
    if plan.empty or not text:
        return None
    ranges = _marked_ranges(text, plan, names=names)
    if not ranges:
        return None
    start, end = 0, len(text)
    if fragment and len(text) > fragment:
        first_start, first_end = ranges[0]
        start = max(0, min(first_start - _LEAD_CHARS, len(text) - fragment))
        end = max(min(len(text), start + fragment), first_end)
        # never cut through a mark
        for low, high in ranges:
            if low < start < high:
                start = low
            if low < end < high:
                end = high
    body = _render(text, ranges, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _best(texts: dict[str, str], plan: QueryPlan, *, names: bool, fragment: int | None) -> str:
    best, best_marks = "", 0
    for text in texts.values():
        snippet = highlight(text, plan, names=names, fragment=fragment)
        marks = snippet.count("<mark>") if snippet else 0
        if marks > best_marks:
            best, best_marks = snippet or "", marks
    return best


def highlights_for(display: dict[str, Any], plan: QueryPlan) -> dict[str, str]:
    """{'title': …, 'description': …} for a document's `display` field; fields without a match
    are left out. Of several languages, the one with the most matches is shown. A paged
    document's text adds 'text' (a fragment around its first match) and 'page' (the number of
    the page that match is on, as text: "3"); else, for captions, 'text' (the first cue that
    matches) and 't' (its start in seconds, as text: "12.5")."""
    if plan.empty:
        return {}
    found = {
        "title": _best(display.get("title") or {}, plan, names=True, fragment=None),
        "description": _best(
            display.get("description") or {}, plan, names=False, fragment=FRAGMENT_CHARS
        ),
    }
    found |= _page_match(display.get("text") or "", display.get("text_pages") or [], plan)
    if "page" not in found:
        found |= _cue_match(display.get("cues") or [], plan)
    return {name: snippet for name, snippet in found.items() if snippet}


def _cue_match(cues: list[list[Any]], plan: QueryPlan) -> dict[str, str]:
    """The caption cue that matches most of the query (the first of equals), and its start in
    seconds ("12.5"): the hit's 'text' and 't'. The cues are analysed as one text, once (tens of
    milliseconds for the most `DISPLAY_TEXT_CHARS` keeps). A phrase split across two cues is not
    found here (the item still is)."""
    if not cues:
        return {}
    starts: list[int] = []
    position = 0
    for _, text in cues:
        starts.append(position)
        position += len(text) + 1
    joined = "\n".join(text for _, text in cues)
    found: dict[int, set[str]] = {}
    for low, high in _marked_ranges(joined, plan, names=False):
        cue = bisect_right(starts, low) - 1
        found.setdefault(cue, set()).add(joined[low:high].casefold())
    if not found:
        return {}
    best = max(found, key=lambda cue: (len(found[cue]), -cue))
    snippet = highlight(cues[best][1], plan, fragment=FRAGMENT_CHARS)
    if not snippet:
        return {}
    return {"text": snippet, "t": f"{float(cues[best][0]):.3f}".rstrip("0").rstrip(".")}


def _page_match(text: str, starts: list[int], plan: QueryPlan) -> dict[str, str]:
    """The fragment of a paged text around its first match, and the page it is on."""
    if not text or not starts:
        return {}
    # Text before the first page belongs to another file of the item: not a page of this one.
    matches = _marked_ranges(text, plan, names=False)
    first = next((low for low, _ in matches if low >= starts[0]), None)
    if first is None:
        return {}
    page = bisect_right(starts, first)
    page_text = text[starts[page - 1] : starts[page] if page < len(starts) else len(text)]
    snippet = highlight(page_text.strip(), plan, fragment=FRAGMENT_CHARS)
    return {"text": snippet or "", "page": str(page)}
