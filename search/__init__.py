"""Search: one protocol, three backends, one analyser.

`open_index` picks the backend by name; the cluster backends are imported only when asked for,
so the embedded default needs neither client library.
"""

from __future__ import annotations

from pathlib import Path

from schemas.errors import InvalidInput
from search.base import (
    FACET_FIELDS,
    Audience,
    FacetValue,
    Hit,
    SearchIndex,
    SearchQuery,
    SearchResult,
    Sort,
    is_visible,
)

__all__ = [
    "FACET_FIELDS",
    "Audience",
    "FacetValue",
    "Hit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "Sort",
    "is_visible",
    "open_index",
]

KINDS = ("sqlite", "elasticsearch", "opensearch")


def open_index(
    kind: str,
    *,
    sqlite_path: str | Path | None = None,
    url: str | None = None,
    index_name: str = "heritage",
) -> SearchIndex:
    """The configured backend: `sqlite` needs `sqlite_path`, the cluster engines need `url`."""
    if kind == "sqlite":
        if sqlite_path is None:
            raise InvalidInput("search backend 'sqlite' needs sqlite_path (the index file)")
        from search.sqlite import SqliteIndex

        return SqliteIndex(sqlite_path)
    if kind in ("elasticsearch", "opensearch"):
        if not url:
            raise InvalidInput(f"search backend {kind!r} needs a url (HERITAGE_SEARCH_URL)")
        if kind == "elasticsearch":
            from search.elasticsearch import ElasticsearchIndex

            return ElasticsearchIndex(url, index_name=index_name)
        from search.opensearch import OpenSearchIndex

        return OpenSearchIndex(url, index_name=index_name)
    raise InvalidInput(f"unknown search backend {kind!r}; expected one of {', '.join(KINDS)}")
