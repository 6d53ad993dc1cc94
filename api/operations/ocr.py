"""OCR on stored items (`heritage ocr`) and a person's correction of one page's OCR text.

Both go through `change_item` (one atomic read-check-write, an event, the audit log, the search
index), so a page corrected in the workspace and a machine re-run never lose each other's work;
`ingest.ocr` keeps every page a person corrected (`edited_by`), even with `force`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from api.operations.callers import Caller
from api.operations.items import ItemLocks, WriteContext, add_event, change_item
from api.services import Services
from ingest.ocr import (
    OcrLimits,
    OcrOutcome,
    edit_page,
    ocr_record,
    page_pictures,
    page_texts,
)
from schemas.errors import HeritageError, InvalidInput, NotFound


@dataclass
class OcrItemResult:
    """One item's line in `heritage ocr`'s report."""

    id: str
    outcome: str  # read, unchanged, failed
    pages: list[int] = field(default_factory=list)  # pages read now
    kept: list[int] = field(default_factory=list)  # pages a person corrected, left alone
    notes: list[str] = field(default_factory=list)  # limits reached, pages that failed
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "pages": self.pages,
            "kept": self.kept,
            "notes": self.notes,
            "error": self.error,
        }


def _candidates(services: Services, collection: str, item: str | None) -> Iterator[str]:
    if item is not None:
        record = services.records.get(item)
        if record is None or record["collection"] != collection:
            raise NotFound(f"item: no item {item} in collection {collection}")
        yield item
        return
    for record in services.records.readable():
        if record["collection"] == collection and record["media_type"] == "document":
            yield record["id"]


def ocr_items(
    services: Services,
    caller: Caller,
    collection: str,
    limits: OcrLimits,
    *,
    item: str | None = None,
    force: bool = False,
) -> Iterator[OcrItemResult]:
    """Run the OCR stage on a collection's documents (or one item: a photo of text too, which
    a collection run leaves alone): each item's result as it is done. A failed item is a result
    with its error; the others go on."""
    locks = ItemLocks()
    context = WriteContext(caller, "cli ocr")
    for item_id in list(_candidates(services, collection, item)):
        outcome = OcrOutcome()

        def mutate(record: dict[str, Any], outcome: OcrOutcome = outcome) -> str | None:
            found = ocr_record(record, services.store, limits, force=force)
            outcome.read, outcome.kept = found.read, found.kept
            outcome.warnings, outcome.error = found.warnings, found.error
            if not found.changed:
                return None
            pages = ", ".join(map(str, found.read))
            add_event(record, "metadata-modification", caller, f"OCR of page(s) {pages}")
            return f"OCR of {record['id']} page(s) {pages}"

        try:
            change_item(services, locks, item_id, context, None, mutate, require_match=False)
        except HeritageError as exc:
            yield OcrItemResult(item_id, "failed", error=str(exc))
            continue
        state = "failed" if outcome.error else "read" if outcome.read else "unchanged"
        yield OcrItemResult(
            item_id, state, outcome.read, outcome.kept, outcome.warnings, outcome.error
        )


def correct_page(
    services: Services,
    locks: ItemLocks,
    item_id: str,
    page: int,
    text: str,
    context: WriteContext,
    if_match: str | None = None,
) -> None:
    """A person's text for one page: a new version, marked `edited_by`, reindexed."""
    if len(text) > 200_000:
        raise InvalidInput("text: one page's text may hold at most 200000 characters")

    def mutate(record: dict[str, Any]) -> str:
        edit_page(record, page, text, context.caller.user or context.caller.agent)
        add_event(record, "metadata-modification", context.caller, f"text of page {page} corrected")
        return f"corrected the text of page {page} of {item_id}"

    change_item(services, locks, item_id, context, if_match, mutate, require_match=False)


def page_text_rows(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each page's text with how it was made, for the workspace's correction forms: items
    read by OCR or whose text is split by page; none for others."""
    if "ocr" not in record and not record.get("text_pages"):
        return []
    pictures = page_pictures(record)
    texts = page_texts(record, len(pictures)) or []
    read = {int(p["page"]): p for p in (record.get("ocr") or {}).get("pages", [])}
    rows = []
    for number, text in enumerate(texts, start=1):
        rows.append({"page": number, "text": text.strip(), "ocr": ocr_note(read.get(number))})
    return rows


def ocr_note(read: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How a page's text was made, when by OCR: engine and confidence in %, or corrected (who
    corrected it is the workspace's business, not the public's)."""
    if read is None:
        return None
    return {
        "engine": read["engine"],
        "confidence": round(float(read["confidence"]) * 100),
        "corrected": bool(read.get("edited_by")),
    }
