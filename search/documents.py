"""The flat document every search backend indexes, derived from a stored record.

One function, `to_document`, so SQLite, Elasticsearch and OpenSearch index exactly the same
keyword values, year range and analysed token strings (`t_*`: space-separated tokens from
`search.analysis`; engines split them on whitespace and never analyse again).

What every backend must do with it (the conformance suite checks the observable parts):

- Fields. Keywords: `id`, `collection`, `category`, `media_type`, `region`, `access`, `status`,
  `institution`, `embargo_until` (date or null), `decade` (list of ints, a facet of strings such as
  "1950"), `project` and `bearer` (lists: the ids of the authority records the item links to,
  `authorities` in the record, per kind; sorted). Numbers: `year_min`, `year_max`, `date_sort` (=
  year_min). `modified` (ISO text), `datestamp` (`oai_datestamp`: what OAI-PMH lists are
  ordered and bounded by), `title_sort` (keyword). Text: `t_title`, `t_people`, `t_places`,
  `t_subjects`, `t_description`, `t_text`, whitespace-split, weighted by FIELD_BOOSTS. Stored only:
  `summary` (returned as Hit.summary) and `display` (original title/description and, for a paged
  document, its text up to DISPLAY_TEXT_CHARS with where each page begins, for
  `search.highlight.highlights_for`, which says on which page the text matched).
- Matching: `search.analysis.analyze_query(q).must` must all match. A `Phrase` is adjacent
  tokens inside one t_* field (one token = a term), `AllOf` = and, `AnyOf` = or; different
  clauses may match in different fields. An empty plan matches everything.
- Visibility (`search.base.Audience`) applies to hits, totals and every facet count.
- Ranking, in tiers: documents whose title holds the whole query (those whose title also holds
  the plan's `boost` phrase first), then documents holding the boost phrase anywhere, then the
  rest. Within a tier, BM25 with FIELD_BOOSTS; ties by `id`. Empty query: sort by date.
- Sorts: `date` = date_sort ascending, `-date` = date_sort descending (undated last in both),
  `title` = title_sort ascending, `modified` = newest first; ties by `id` ascending.
- Facets: for each requested field, counts with every filter applied except that field's own
  ("drill sideways"), ordered by count descending then value, cut at facet_size; items without
  a value are not counted. Filters: any of the values within a field, all fields together.
  Years: the item's [year_min, year_max] overlaps [year_from, year_to] and meets every one of
  `periods` (`search.base.YearSpan`: overlap, or for an era its boundary rule); undated items
  never match. Dates in `q` are read first (`search.understand.resolve_dates`).
- Paging: 1 <= size <= 100 and page >= 1, else ValueError; pages past 10 000 hits work.
- OAI-PMH lists (`oai_headers`, `oai_count`, `oai_collections`): the documents
  `search.base.oai_listed` admits, in (datestamp, id) order from a cursor, by an ordered view
  the backend keeps, so a page costs the same at any size.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from schemas import category_by_code
from schemas.dates import DateError, read_date
from schemas.errors import InvalidInput
from search.analysis import field_tokens, sort_key

FIELD_BOOSTS: dict[str, float] = {
    "t_title": 10.0,
    "t_people": 5.0,
    "t_places": 5.0,
    "t_subjects": 3.0,
    "t_description": 2.0,
    "t_text": 1.0,
}
"""Relevance weight of each analysed field; every backend uses these numbers."""

TEXT_FIELDS: tuple[str, ...] = tuple(FIELD_BOOSTS)

MAX_DECADES = 4
"""A date range touching more decades than this (a dynasty, "20th century") gets no decade: a user
filtering by "1950s" wants things from the 1950s, not everything from the Qing or the 1900s.
The year-range filter still finds such items, by overlap."""

SUMMARY_DESCRIPTION_CHARS = 240
DISPLAY_TEXT_CHARS = 200_000
"""How much of a paged document's text is kept beside the index to tell on which page a query
matched: highlighting reads it at query time (about 50 ms for this much on a hit that matched
elsewhere), so a match past it finds the item but names no page."""


def _texts(value: dict[str, str] | None) -> list[str]:
    return list(value.values()) if value else []


def _join(texts: list[str]) -> str:
    return "\n".join(t for t in texts if t)


def _tokens(text: str, *, names: bool = False, chars: bool = False) -> str:
    return " ".join(field_tokens(text, pinyin=names, chars=chars))


def preferred(value: dict[str, str]) -> str:
    """The text to sort and show first: Chinese if present, else English, else the first."""
    for lang in ("zh", "zh-Hans", "zh-Hant", "en"):
        if value.get(lang):
            return value[lang]
    for lang, text in value.items():
        if lang.startswith("zh"):
            return text
    return next(iter(value.values()), "")


def year_range(record: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(earliest, latest) year of the record's date: the stored years, else read from the EDTF.
    A date open at its end (新中国, 1949/..) runs to this year, not just its first year: else
    it would sit inside the era before it (民国, 1912–1949)."""
    date = record.get("date") or {}
    low, high = date.get("earliest"), date.get("latest")
    if low is None and high is None and date.get("edtf"):
        try:
            reading = read_date(date["edtf"])
        except DateError:  # an unreadable date is simply undated for search
            return None, None
        low, high = reading.earliest, reading.latest
    if low is not None and high is None and str(date.get("edtf", "")).endswith(("/..", "/")):
        high = max(low, datetime.date.today().year)
    if low is None:
        low = high
    if high is None:
        high = low
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


def decades(year_min: int | None, year_max: int | None) -> list[int]:
    """Start years of the decades [year_min, year_max] touches; none for wide ranges."""
    if year_min is None or year_max is None:
        return []
    first, last = year_min // 10 * 10, year_max // 10 * 10
    if (last - first) // 10 + 1 > MAX_DECADES:
        return []
    return list(range(first, last + 10, 10))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _category_label(code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    try:
        category = category_by_code(code)
    except KeyError:
        return None
    return {"zh": category.zh, "en": category.en}


def summary_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """What a search hit carries for display (no second lookup needed to show a result list)."""
    date = record.get("date")
    low, high = year_range(record)
    roles = sorted({f["role"] for f in record.get("files", [])})
    return {
        "id": record["id"],
        "title": dict(record["title"]),
        "description": {
            lang: _truncate(text, SUMMARY_DESCRIPTION_CHARS)
            for lang, text in (record.get("description") or {}).items()
        },
        "collection": record["collection"],
        "category": record.get("category"),
        "category_label": _category_label(record.get("category")),
        "media_type": record["media_type"],
        "region": (record.get("region") or {}).get("name"),
        "date": {"display": date.get("display") or date["edtf"], "earliest": low, "latest": high}
        if date
        else None,
        "has_thumbnail": "thumbnail" in roles,
        "file_roles": roles,
    }


def to_document(record: Mapping[str, Any]) -> dict[str, Any]:
    """The flat document for every backend: keywords, year range, sort keys, tokens, display.

    A record that cannot be indexed (a required field missing or of the wrong shape) raises
    ValueError naming its id, the same for every backend."""
    try:
        return _to_document(record)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        item = record.get("id", "?") if isinstance(record, dict) else "?"
        raise InvalidInput(
            f"record {item}: cannot be indexed, bad or missing field {error}"
        ) from error


def _display(record: Mapping[str, Any]) -> dict[str, Any]:
    display: dict[str, Any] = {
        "title": dict(record["title"]),
        "description": dict(record.get("description") or {}),
    }
    text, starts = record.get("text") or "", record.get("text_pages") or []
    if text and starts:
        kept = text[:DISPLAY_TEXT_CHARS]
        display["text"] = kept
        display["text_pages"] = [start for start in starts if start < len(kept)]
    return display


LINKED_KINDS: tuple[str, ...] = ("project", "bearer")
"""Authority kinds whose linked ids are facets (institutions have their own `institution`)."""


def linked(record: Mapping[str, Any], kind: str) -> list[str]:
    """The ids of the record's authority links of `kind`, sorted, each once."""
    return sorted({link["id"] for link in record.get("authorities") or [] if link["kind"] == kind})


def oai_datestamp(record: Mapping[str, Any]) -> str:
    """The record's OAI-PMH datestamp: its last change in UTC seconds, or the day its embargo
    ends when that is later (the day it appears to the public, so an incremental harvester whose
    `from` is its last harvest gets it)."""
    moment = datetime.datetime.fromisoformat(record["modified"].replace("Z", "+00:00"))
    stamp = moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if embargo := record.get("embargo_until"):
        stamp = max(stamp, f"{embargo}T00:00:00Z")
    return stamp


def _to_document(record: Mapping[str, Any]) -> dict[str, Any]:
    low, high = year_range(record)
    region = record.get("region") or {}
    people = record.get("people") or []
    label = _category_label(record.get("category"))
    subjects = [
        *(record.get("subjects") or []),
        *(t["value"] for t in record.get("tags") or []),
        *(label.values() if label else []),
    ]
    titles = _join(_texts(record["title"]))
    names = _join([n for p in people for n in (p["name"], p.get("name_en", ""))])
    places = _join([region.get("name", ""), region.get("name_en", "")])
    return {
        "id": record["id"],
        "collection": record["collection"],
        "category": record.get("category"),
        "media_type": record["media_type"],
        "region": region.get("name"),
        "access": record["access"],
        "status": record["status"],
        "institution": record.get("institution"),
        "embargo_until": record.get("embargo_until"),
        "decade": decades(low, high),
        "project": linked(record, "project"),
        "bearer": linked(record, "bearer"),
        "year_min": low,
        "year_max": high,
        "date_sort": low,
        "modified": record["modified"],
        "datestamp": oai_datestamp(record),
        "title_sort": sort_key(preferred(record["title"])),
        "t_title": _tokens(titles, names=True, chars=True),
        "t_people": _tokens(names, names=True, chars=True),
        "t_places": _tokens(places, names=True, chars=True),
        "t_subjects": _tokens(_join(subjects), chars=True),
        "t_description": _tokens(_join(_texts(record.get("description")))),
        "t_text": _tokens(record.get("text") or ""),
        "display": _display(record),
        "summary": summary_of(record),
    }
