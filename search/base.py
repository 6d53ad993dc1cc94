"""The `SearchIndex` protocol and the plain objects that cross it.

Every backend (SQLite FTS5, Elasticsearch, OpenSearch) indexes the same documents, built by
`search.documents.to_document` from a stored record with the one shared analyser, and answers
the same `SearchQuery` with the same `SearchResult`. The conformance suite holds them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

if TYPE_CHECKING:
    from search.understand import UnderstoodQuery

from schemas.errors import InvalidInput

FACET_FIELDS: tuple[str, ...] = (
    "collection",
    "category",
    "media_type",
    "region",
    "access",
    "decade",
    "project",
    "bearer",
    "place",
)
"""Fields that can be filtered on and counted. `decade` is the start year of each decade the
item's date range touches (1950 for the 1950s); `project` and `bearer` the ids of the authority
records the item links to (docs/authorities.md); `place` where the item goes on the map
(`schemas.places.map_place`: a GB/T 2260 code for a centroid, "@lat,lon" for its own point; a
sensitive place only its county), so the map's per-place counts obey visibility and filters."""

Sort = Literal["relevance", "date", "-date", "title", "modified"]
SORTS: tuple[str, ...] = get_args(Sort)
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
"""Deepest page: a million hits deep at most (a cluster walks 100 steps past its window)."""
YEARS = (-100_000, 100_000)
"""The years year_from and year_to may name: far beyond any dated item, well inside every
backend's integers."""


@dataclass(frozen=True)
class Audience:
    """Who is asking. Decides which items exist for them; applied inside every backend query.

    - public (institution None, everyone False): only `status == published`, `access == public`,
      and no embargo in the future.
    - an institution: the public set plus every item whose `institution` is theirs, whatever its
      status or embargo; its `restricted` items only when `restricted` is True (curators — an
      archivist's audience has it False).
    - everyone=True: admins, operators and internal jobs (reindex checks, exports) see all.

    `is_visible` below is the rule; the backends apply the same rule inside their queries.
    """

    institution: str | None = None
    everyone: bool = False
    restricted: bool = True

    @classmethod
    def public(cls) -> Audience:
        return cls()

    @classmethod
    def all(cls) -> Audience:
        return cls(everyone=True)

    @classmethod
    def member(cls, institution: str, *, restricted: bool) -> Audience:
        """A key holder of `institution`; `restricted`: may it see the restricted items?"""
        return cls(institution=institution, restricted=restricted)


def is_visible(
    item: Mapping[str, Any], audience: Audience, today: date | str | None = None
) -> bool:
    """THE visibility rule, for a stored record or an index document (both carry `status`,
    `access`, `institution` and `embargo_until`). `embargo_until` is the first public day."""
    if audience.everyone:
        return True
    if audience.institution is not None and item.get("institution") == audience.institution:
        return audience.restricted or item.get("access") != "restricted"
    if item.get("status") != "published" or item.get("access") != "public":
        return False
    embargo = item.get("embargo_until")
    if not embargo:
        return True
    day = today if isinstance(today, str) else (today or date.today()).isoformat()
    return bool(embargo <= day)


@dataclass(frozen=True)
class YearSpan:
    """A year condition on an item's date range [lo, hi]; undated items never match.

    Plain (`era` False: typed years, decades): the ranges overlap, end years included.
    A named period (`era` True: 清代 1644–1912, 乾隆, 民国 1912–1949) shares its end years with
    its neighbours by convention, so an item matches when its range lies within the period or
    overlaps it by more than a shared end year (lo < end and hi > start). Thus an item dated
    民国 does not match 清代 merely through 1912, while one dated 1912 matches both, and one
    dated 20世纪 (1900–1999) or 光绪 (1875–1908) matches 清代. An open end (None) is no limit.
    """

    start: int | None
    end: int | None
    era: bool = False


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> any of values
    year_from: int | None = None  # item's date range must overlap [year_from, year_to]
    year_to: int | None = None
    periods: tuple[YearSpan, ...] = ()  # more year conditions, all must hold (dates in `q` add
    # theirs when a backend searches: see search.understand)
    sort: Sort = "relevance"  # relevance falls back to date when q is empty
    page: int = 1
    size: int = 20
    facets: tuple[str, ...] = FACET_FIELDS
    facet_size: int = 50
    audience: Audience = field(default_factory=Audience.public)
    today: date | None = None  # for embargo checks; None = today's date


def year_spans(query: SearchQuery) -> tuple[YearSpan, ...]:
    """Every year condition of the query: [year_from, year_to] (overlap), then `periods`."""
    spans = (YearSpan(query.year_from, query.year_to), *query.periods)
    return tuple(span for span in spans if span.start is not None or span.end is not None)


def check_query(query: SearchQuery) -> dict[str, list[str]]:
    """The query's non-empty facet filters, values as text; ValueError naming the bad field.

    Every backend calls this first, so all refuse the same queries with the same words.
    """
    if query.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not {query.sort!r}")
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"size must be between 1 and {MAX_PAGE_SIZE}, not {query.size}")
    if not 1 <= query.page <= MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {MAX_PAGE}, not {query.page}")
    for name, year in (("year_from", query.year_from), ("year_to", query.year_to)):
        if year is not None and not YEARS[0] <= year <= YEARS[1]:
            raise InvalidInput(f"{name} must be a year from {YEARS[0]} to {YEARS[1]}, not {year}")
    for name in (*query.facets, *query.filters):
        if name not in FACET_FIELDS:
            raise InvalidInput(f"unknown facet field {name!r}; expected one of {FACET_FIELDS}")
    return {name: [str(v) for v in values] for name, values in query.filters.items() if values}


@dataclass
class Hit:
    id: str
    score: float
    summary: dict[str, Any]  # the document's display fields (see documents.summary_of)
    highlights: dict[str, str] = field(default_factory=dict)  # field -> snippet with <mark>…</mark>


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    page: int
    size: int
    understood: UnderstoodQuery | None = None  # the dates read from `q`, to show and remove
    ranked_window: int | None = None
    """Set when too many items matched to rank them all: within a relevance tier only this many
    (the most recently indexed) were ordered by relevance and the rest follow newest first, so
    the page can say why and suggest narrowing the search. None: every hit is in relevance
    order (or the sort is not by relevance)."""


RelatedReason = Literal["same_bearer", "same_project", "same_place", "similar_text"]
RELATED_REASONS: tuple[RelatedReason, ...] = get_args(RelatedReason)
"""Why an item is related, strongest first: the order items are listed in."""
MAX_RELATED = 24
RELATED_TERMS = 12
"""At most this many words of the item's title and subjects make its "similar text" query."""


@dataclass
class RelatedItem:
    id: str
    reason: RelatedReason
    summary: dict[str, Any]  # as in Hit


@dataclass(frozen=True)
class RelatedTerms:
    """What an item is related by, read from its record the same way for every backend."""

    id: str
    bearers: tuple[str, ...]
    projects: tuple[str, ...]
    place: str | None  # the region's name: the index's `region` keyword
    words: tuple[str, ...]  # analysed tokens of the title and subjects, first seen first


def related_terms(
    record: Mapping[str, Any], frequent: frozenset[str] = frozenset()
) -> RelatedTerms:
    """The record's authority links, place and up to RELATED_TERMS title/subject tokens
    (`frequent` ones left out: a word in every other item relates nothing)."""
    from search.analysis import analyze  # noqa: PLC0415 - opencc loads only when asked
    from search.documents import linked  # noqa: PLC0415

    texts = [*(record.get("title") or {}).values(), *(record.get("subjects") or [])]
    words: dict[str, None] = {}
    for text in texts:
        for token in analyze(str(text)):
            if token not in frequent and len(words) < RELATED_TERMS:
                words.setdefault(token)
    return RelatedTerms(
        str(record["id"]),
        tuple(linked(record, "bearer")),
        tuple(linked(record, "project")),
        (record.get("region") or {}).get("name"),
        tuple(words),
    )


def related_reason(doc: Mapping[str, Any], terms: RelatedTerms) -> RelatedReason:
    """The strongest reason `doc` (an index document: `bearer`, `project`, `region`) relates."""
    if set(doc.get("bearer") or ()) & set(terms.bearers):
        return "same_bearer"
    if set(doc.get("project") or ()) & set(terms.projects):
        return "same_project"
    if terms.place is not None and doc.get("region") == terms.place:
        return "same_place"
    return "similar_text"


def check_related_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_RELATED:
        raise InvalidInput(f"limit must be between 1 and {MAX_RELATED}, not {limit}")


@dataclass(frozen=True)
class OaiHeader:
    """One record as an OAI-PMH list shows it (docs: api/protocols/oai)."""

    datestamp: str  # search.documents.oai_datestamp: YYYY-MM-DDThh:mm:ssZ
    id: str
    collection: str
    category: str | None
    deleted: bool  # withdrawn after it was public: listed as a deleted header


@dataclass(frozen=True)
class OaiSlice:
    """Which headers an OAI-PMH list asks for. Listed are the records the public may see and
    the withdrawn ones it could see before (access public, embargo over), nothing else.

    `set_field`/`set_value`: the set as a condition (collection = slug, category = code; value
    None = the record has one at all); `start`/`end`: datestamp bounds, both inclusive."""

    start: str | None = None
    end: str | None = None
    set_field: Literal["collection", "category"] | None = None
    set_value: str | None = None
    today: date | None = None


def oai_listed(item: Mapping[str, Any], *, today: str) -> bool:
    """True when an OAI-PMH list shows the record or document (see `OaiSlice`)."""
    if item.get("access") != "public" or item.get("status") not in ("published", "withdrawn"):
        return False
    embargo = item.get("embargo_until")
    return not embargo or embargo <= today


@runtime_checkable
class SearchIndex(Protocol):
    """A disposable index derived from stored records; `heritage reindex` rebuilds it."""

    def index(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Add or replace documents for these records (upsert by id). Returns how many."""
        ...

    def delete(self, item_ids: Iterable[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def related(
        self, record: Mapping[str, Any], audience: Audience, limit: int = 8
    ) -> list[RelatedItem]:
        """Up to `limit` other items `audience` may see, related to `record`: sharing a bearer,
        then a project, then the place, then similar title/subject words (RELATED_REASONS);
        within the first three by id, then by text relevance and id. One bounded query."""
        ...

    def count(self, audience: Audience | None = None) -> int:
        """Documents visible to `audience` (None = all)."""
        ...

    def rebuild(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Replace the whole index with these records, with no moment of empty results."""
        ...

    def health(self) -> dict[str, Any]:
        """{'ok': bool, 'backend': name, ...}; never raises."""
        ...

    def oai_headers(
        self, where: OaiSlice, after: tuple[str, str] | None, limit: int
    ) -> list[OaiHeader]:
        """Up to `limit` headers in (datestamp, id) order, after the cursor `after`: a page
        costs the same however many records the index holds."""
        ...

    def oai_count(self, where: OaiSlice) -> int:
        """How many headers the list has (OAI-PMH's completeListSize)."""
        ...

    def oai_collections(self, today: date | None = None) -> list[str]:
        """The collections that have at least one listed header, sorted."""
        ...

    def close(self) -> None: ...
