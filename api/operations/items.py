"""How an item changes: one atomic read-check-write, a provenance event, an audit entry.

`change_item` holds a per-item lock while it re-reads the stored record, checks that the caller
may see and change it and that `if_match` names the stored version (the ETag is a hash of the
stored record), applies the change, validates, writes, re-indexes and audits. Two writers racing
on one item: exactly one wins, the other gets `PreconditionFailed` — in one process by the lock,
across API replicas by the store's conditional write (the record is replaced only if it is
still the one that was read; `RecordStore.save(if_match=)`).

Free of HTTP: the web app passes a `WriteContext` saying who acts and through which route; the
CLI and workers can call the same functions.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from api.operations.access import audience_of, check_owner, is_visible
from api.operations.callers import Caller
from api.services import Services
from ingest.record import person_edit_detail
from repository import make_event, now_iso
from repository.audit import AuditLog
from repository.keys import is_valid_id
from repository.records import dump_record
from repository.store import WriteConflict
from schemas import SchemaError, validate_record
from schemas.dates import DateError, record_date
from schemas.errors import (
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from schemas.record import Record
from schemas.text import check_document
from search.base import Audience
from search.screening import Screen, screen_record

log = logging.getLogger("heritage.api")

Mutation = Callable[[dict[str, Any]], str | None]
"""Changes the record in place (events included) and returns a one-line change summary, or None
when there is nothing to change (then nothing is written)."""

PROTECTED = {
    "id": "an item's id never changes",
    "collection": "an item stays in its collection",
    "files": "files change only by ingest",
    "text_pages": "page boundaries are read from the document by ingest",
    "cues": "cues are read from the item's caption files (add one in the workspace)",
    "events": "events are appended by the repository, never edited",
    "created": "set by the repository",
    "modified": "set by the repository",
    "schema_version": "set by the repository",
    "status": "change it with POST /api/items/{id}/review",
    "institution": "ownership is not editable",
}
"""Fields an edit may not touch, and why: what the repository keeps, and what has its own
operation (status: the review workflow; institution: ownership)."""


@dataclass(frozen=True)
class WriteContext:
    """Who writes and through what, for the audit log."""

    caller: Caller
    action: str  # e.g. "PATCH /api/items/{item_id}" or "cli ingest"
    client: str | None = None
    path: str | None = None


def record_etag(record: Mapping[str, Any]) -> str:
    """A strong ETag: the sha256 of the record as stored (the stored bytes are this dump)."""
    return f'"{hashlib.sha256(dump_record(record)).hexdigest()[:32]}"'


class ItemLocks:
    """One lock per item id, made on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, item_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(item_id, (threading.Lock(), 0))
            self._locks[item_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[item_id]
                if users == 1:
                    del self._locks[item_id]
                else:
                    self._locks[item_id] = (lock, users - 1)


def check_if_match(if_match: str | None, etag: str, *, required: bool) -> None:
    """`PreconditionRequired` when a required If-Match is missing (or `*`),
    `PreconditionFailed` when it names another version."""
    if not if_match or if_match.strip() == "*":
        if required:
            raise PreconditionRequired(
                "send If-Match with the ETag from GET /api/items/{id}, so a change made by "
                "someone else since is not overwritten"
            )
        return
    if etag not in (tag.strip() for tag in if_match.split(",")):
        raise PreconditionFailed(
            f"the item changed since you read it (If-Match {if_match.strip()}, now {etag}); "
            "GET it again and re-apply your change",
            current_etag=etag,
        )


def audit(services: Services, context: WriteContext, item_id: str | None, summary: str) -> None:
    """Log one write now (before answering, so an unlogged write is never reported done)."""
    AuditLog(services.store).append(
        context.action,
        context.caller.actor(),
        summary=summary,
        item=item_id,
        client=context.client,
        path=context.path,
    )


def missing(services: Services, item_id: str, audience: Audience) -> NotFound:
    """The error for an item this audience cannot see: `Gone` for an item deleted for good that
    the audience could know of (it was public, or it is theirs), `NotFound` otherwise."""
    tombstone = services.records.tombstone(item_id) if is_valid_id(item_id) else None
    if tombstone is not None and (
        tombstone.get("public")
        or audience.everyone
        or (
            audience.institution is not None
            and audience.institution == tombstone.get("institution")
        )
    ):
        return Gone(f"item {item_id!r} was deleted for good on {tombstone['deleted'][:10]}")
    return NotFound(f"no item with id {item_id!r}")


def owned_record(services: Services, item_id: str, caller: Caller) -> Record:
    """The stored record this caller may change: `NotFound` when it cannot even see it (like an
    unknown id), `Gone` once deleted for good, `Forbidden` when it is another institution's."""
    return owned_version(services, item_id, caller)[0]


def owned_version(services: Services, item_id: str, caller: Caller) -> tuple[Record, str]:
    """`owned_record` and the store ETag it was read at (for `RecordStore.save(if_match=)`)."""
    record, etag = services.records.get_versioned(item_id)
    if record is None or etag is None or not is_visible(record, audience_of(caller)):
        raise missing(services, item_id, audience_of(caller))
    check_owner(caller, record)
    return record, etag


def change_item(
    services: Services,
    locks: ItemLocks,
    item_id: str,
    context: WriteContext,
    if_match: str | None,
    mutate: Mutation,
    *,
    require_match: bool,
) -> Record:
    """Apply `mutate` to the stored item atomically (see the module docstring); the new record."""
    with locks.hold(item_id):
        record, read_at = owned_version(services, item_id, context.caller)
        check_if_match(if_match, record_etag(record), required=require_match)
        changed: dict[str, Any] = copy.deepcopy(dict(record))  # a plain dict to change
        summary = mutate(changed)
        if summary is None:
            return record
        changed["modified"] = now_iso()
        try:
            validate_record(changed)
        except SchemaError as exc:
            raise InvalidInput(f"the changed record is invalid at {exc.path}: {exc}") from exc
        try:
            services.records.save(changed, if_match=read_at)
        except WriteConflict:  # another replica wrote it since it was read here
            raise PreconditionFailed(
                f"item {item_id} was changed by someone else at the same moment; "
                "read it again and repeat the change"
            ) from None
        reindex(services, changed)
        audit(services, context, item_id, summary)
    return cast(Record, changed)  # validated above


def reindex(services: Services, record: Mapping[str, Any]) -> None:
    """The stored record stands even if the index refuses it; `heritage reindex` repairs."""
    try:
        services.index.index([record])
    except Exception:
        log.exception("stored %s but could not re-index it; run `heritage reindex`", record["id"])


def add_event(record: Mapping[str, Any], event_type: str, caller: Caller, detail: str) -> None:
    record["events"].append(make_event(event_type, caller.agent, "success", detail))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def check_patch(patch: Any) -> dict[str, Any]:
    """The patch if it may be applied to an item; `InvalidInput` naming the field otherwise."""
    if not isinstance(patch, dict):
        raise InvalidInput("a merge patch of an item must be a JSON object ($)")
    check_document(patch, what="the patch")  # text a record can carry (UTF-8, XML)
    checked: dict[str, Any] = dict(patch)
    for name in checked:
        if name in PROTECTED:
            raise InvalidInput(f"field '{name}' ($.{name}) cannot be patched: {PROTECTED[name]}")
    if checked.get("date") is not None:  # read as ingest reads it: 乾隆五十年 → 1785, years agree
        try:
            checked["date"] = record_date(checked["date"])
        except DateError as exc:
            raise InvalidInput(f"field 'date' ($.date): {exc}") from None
    return checked


def apply_patch(
    record: dict[str, Any], patch: dict[str, Any], caller: Caller, screen: Screen
) -> str | None:
    """Patch in place, append the events (edit, then any screening flag); None if no change."""
    before = dict(record)
    patched = merge_patch(record, patch)
    changed = sorted(name for name in patch if patched.get(name) != before.get(name))
    if not changed:
        return None
    record.clear()
    record.update(patched)
    if "text" in changed:  # the offsets were into the text as extracted
        record.pop("text_pages", None)
    summary = f"changed {', '.join(changed)}"
    add_event(record, "metadata-modification", caller, person_edit_detail(changed))
    finding = screen_record(record, screen, previous=before)
    if finding.event is not None:
        record["events"].append(finding.event)
        summary += "; flagged for review" + (" and held back" if finding.held_back else "")
    return summary
