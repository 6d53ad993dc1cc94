"""Bulk exports of what the public may see: a search result as CSV, a collection as RDF.

CSV is for spreadsheet users: UTF-8 with a BOM so Excel shows Chinese, every page of the result
streamed (never built in memory) up to `CSV_MAX_ROWS`, and cells that Excel would run as a
formula neutralised. The RDF dump scans storage (the source of truth) with the same visibility
rule as every other output.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from typing import Any

from api.operations.access import is_visible
from api.operations.searching import SearchParams
from api.protocols.rdf import AuthorityLookup, InstitutionNames, collection_graph, serialize
from repository import RecordStore
from schemas.record import Record
from search.base import Audience, SearchIndex

CSV_COLUMNS = ("id", "title_zh", "title_en", "category", "region", "date", "media_type", "url")
CSV_MAX_ROWS = 10_000
CSV_PAGE = 100
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER_OR_DATE = re.compile(r"^-?[0-9][0-9X?~/.:-]*$")


def csv_cell(value: Any) -> str:
    """Text Excel shows as text: a leading =, +, -, @ would make it a formula (CSV injection),
    unless the value is a plain number or date such as -0200 or 1950/1960."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER_OR_DATE.match(text):
        return "'" + text
    return text


def csv_row(summary: dict[str, Any], base_url: str) -> list[str]:
    title = summary.get("title") or {}
    date = summary.get("date") or {}
    values = (
        summary["id"],
        title.get("zh"),
        title.get("en"),
        summary.get("category"),
        summary.get("region"),
        date.get("display"),
        summary.get("media_type"),
        f"{base_url.rstrip('/')}/items/{summary['id']}",
    )
    return [csv_cell(v) for v in values]


def csv_lines(
    index: SearchIndex,
    params: SearchParams,
    audience: Audience,
    base_url: str,
    max_rows: int = CSV_MAX_ROWS,
) -> Iterator[str]:
    """The BOM and header, then one chunk of rows per result page, up to `max_rows` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield BOM + flush()
    sent = 0
    page = 1
    while sent < max_rows:
        size = min(CSV_PAGE, max_rows - sent)
        query = dataclasses.replace(params, page=page, size=CSV_PAGE, facets=()).to_query(audience)
        result = index.search(query)
        hits = result.hits[:size]
        for hit in hits:
            writer.writerow(csv_row({**hit.summary, "id": hit.id}, base_url))
        sent += len(hits)
        if hits:
            yield flush()
        if len(result.hits) < CSV_PAGE or page * CSV_PAGE >= result.total:
            return
        page += 1


def visible_records(records: RecordStore, collection: str, audience: Audience) -> Iterator[Record]:
    """Records of a collection that `audience` may see, read from storage in id order."""
    for record in records:
        if record["collection"] == collection and is_visible(record, audience):
            yield record


def export_collection(
    records: RecordStore,
    collection: str,
    fmt: str,
    base_url: str,
    audience: Audience,
    authorities: AuthorityLookup | None = None,
    institutions: InstitutionNames | None = None,
) -> tuple[bytes, int]:
    """(RDF of the collection in `fmt`, number of records in it); linked authorities labelled
    from `authorities`, institutions named from `institutions` when given."""
    chosen = list(visible_records(records, collection, audience))
    described = records.load_collection(collection)
    graph = collection_graph(chosen, base_url, described, authorities, institutions)
    return serialize(graph, fmt), len(chosen)
