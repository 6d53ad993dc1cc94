"""An item's history: its versions, what changed between two, restoring one, deleting for good.

Versions: `RecordStore.save` keeps every record it replaces (`versions/<id>/<n>.json`, n from 1);
the current record is the last version. Who made a version, when and what they changed is read
from that version's last provenance event (the event the change appended).

Reading history is for the item's own institution (any role that may see the item) and admins, as
for its provenance events (`GET /api/items/{id}/events`): old versions may hold text a curator
took out on purpose, so neither the public nor other institutions see them (404, as if unknown).

Restoring version n writes a NEW version through `change_item` (If-Match, the per-item lock,
screening, re-indexing and the audit log apply). Only the description comes back: what the
repository keeps (id, collection, files, events, dates) and the curators' decisions (status,
access, embargo) stay as they are now — decisions change only through review, never by going back
in history.

Deleting for good (admins only, with a reason, e.g. a tradition bearer's request) removes the
record, its versions and every blob no other record or version names, and keeps a tombstone
(`tombstones/<id>.json`: id, collection, institution, when, who, why — no descriptive metadata)
and an audit entry. Item routes then answer 410 Gone; OAI-PMH lists it as deleted if the public
could once see it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from api.operations.access import audience_of, is_owner, is_visible, view_for
from api.operations.callers import Caller
from api.operations.items import (
    ItemLocks,
    WriteContext,
    add_event,
    audit,
    change_item,
    check_if_match,
    missing,
    owned_record,
    record_etag,
)
from api.services import Services
from ingest.record import person_restore_detail
from repository import now_iso
from repository.keys import BLOBS_PREFIX
from schemas.errors import Forbidden, InvalidInput, NotFound
from schemas.record import Record
from search.base import Audience
from search.screening import Screen, screen_record

KEPT_ON_RESTORE = frozenset(
    {
        "id",
        "collection",
        "institution",
        "files",
        "events",
        "created",
        "modified",
        "schema_version",
        "status",
        "access",
        "embargo_until",
    }
)
"""Fields a restore leaves as they are now: what the repository keeps (files change only by
ingest) and the curators' decisions (status, access, embargo change only through review)."""

log = logging.getLogger("heritage.api")

MAX_REASON = 2000
_PUBLIC = Audience.public()


@dataclass(frozen=True)
class Version:
    """One version in an item's history, described by the event that made it."""

    n: int
    time: str
    agent: str
    change: str
    current: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def readable_record(services: Services, item_id: str, caller: Caller) -> Record:
    """The current record if this caller may read its history (`Gone`/`NotFound` otherwise)."""
    record = services.records.get(item_id)
    if record is None or not (is_owner(caller, record) and is_visible(record, audience_of(caller))):
        raise missing(services, item_id, audience_of(caller))
    return record


def describe(n: int, record: Mapping[str, Any], *, current: bool) -> Version:
    """Version `n` as its last event tells it (an ingest, an edit, a review decision, …)."""
    events = record.get("events") or []
    if not events:
        return Version(n, record.get("modified", ""), "", "", current)
    last = events[-1]
    change = last["type"] + (f": {last['detail']}" if last.get("detail") else "")
    return Version(n, last["time"], last["agent"], change, current)


def versions(services: Services, item_id: str, caller: Caller) -> list[Version]:
    """Every version of the item, oldest first; the last is the current record."""
    record = readable_record(services, item_id, caller)
    numbers = services.records.version_numbers(item_id)
    listed = [
        describe(n, services.records.load_version(item_id, n), current=False) for n in numbers
    ]
    listed.append(describe(numbers[-1] + 1 if numbers else 1, record, current=True))
    return listed


@dataclass(frozen=True)
class Step:
    """One version and the top-level fields it changed from the version before (none for the
    first); `events` and `modified` change with every version, so they are not named."""

    version: Version
    fields: tuple[str, ...]


BOOKKEEPING = frozenset({"events", "modified"})


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The names `diff_records` finds added, removed or changed, bookkeeping aside."""
    changes = diff_records(before, after)
    names = changes["added"].keys() | changes["removed"].keys() | changes["changed"].keys()
    return tuple(sorted(names - BOOKKEEPING))


def timeline(services: Services, item_id: str, caller: Caller) -> list[Step]:
    """`versions` with what each changed, for a page listing them (each version read once, as
    `version` shows it to this caller)."""
    record = readable_record(services, item_id, caller)
    audience = audience_of(caller)
    numbers = services.records.version_numbers(item_id)
    steps: list[Step] = []
    previous: Mapping[str, Any] | None = None
    for n in [*numbers, numbers[-1] + 1 if numbers else 1]:
        current = n not in numbers
        found = record if current else services.records.load_version(item_id, n)
        view = view_for(found, audience, current=record)
        fields = changed_fields(previous, view) if previous is not None else ()
        steps.append(Step(describe(n, found, current=current), fields))
        previous = view
    return steps


def version(services: Services, item_id: str, n: int, caller: Caller) -> Mapping[str, Any]:
    """The record as it was at version `n` (the current record for the last n)."""
    record = readable_record(services, item_id, caller)
    numbers = services.records.version_numbers(item_id)
    if n == (numbers[-1] + 1 if numbers else 1):
        found: Mapping[str, Any] = record
    elif n in numbers:
        found = services.records.load_version(item_id, n)
    else:
        raise NotFound(f"item {item_id!r} has no version {n} (it has 1 to {len(numbers) + 1})")
    return view_for(found, audience_of(caller), current=record)


def diff_records(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Field-level differences of two records: top-level fields added, removed and changed."""
    return {
        "added": {k: after[k] for k in sorted(after.keys() - before.keys())},
        "removed": {k: before[k] for k in sorted(before.keys() - after.keys())},
        "changed": {
            k: {"before": before[k], "after": after[k]}
            for k in sorted(before.keys() & after.keys())
            if before[k] != after[k]
        },
    }


def diff(services: Services, item_id: str, a: int, b: int, caller: Caller) -> dict[str, Any]:
    """What changed from version `a` to version `b` (either order)."""
    changes = diff_records(
        version(services, item_id, a, caller), version(services, item_id, b, caller)
    )
    return {"id": item_id, "from": a, "to": b, **changes}


def restore_into(
    record: dict[str, Any], old: dict[str, Any], n: int, caller: Caller, screen: Screen
) -> str | None:
    """Put version `n`'s description back into `record` in place, append the event (and any
    screening flag); None when the description already is version n's."""
    before = dict(record)
    for name in (record.keys() | old.keys()) - KEPT_ON_RESTORE:
        if name in old:
            record[name] = copy.deepcopy(old[name])
        else:
            record.pop(name)
    changed = sorted(k for k in before.keys() | record.keys() if before.get(k) != record.get(k))
    if not changed:
        return None
    add_event(record, "metadata-modification", caller, person_restore_detail(n, changed))
    summary = f"restored version {n}: changed {', '.join(changed)}"
    finding = screen_record(record, screen, previous=before)
    if finding.event is not None:
        record["events"].append(finding.event)
        summary += "; flagged for review" + (" and held back" if finding.held_back else "")
    return summary


def restore(
    services: Services,
    locks: ItemLocks,
    item_id: str,
    n: int,
    context: WriteContext,
    if_match: str | None,
    screen: Screen,
) -> Record:
    """Write version `n`'s description as a new version (see the module docstring)."""

    def mutate(record: dict[str, Any]) -> str | None:
        if n not in services.records.version_numbers(item_id):
            raise NotFound(f"item {item_id!r} has no earlier version {n} to restore")
        old = services.records.load_version(item_id, n)
        return restore_into(record, old, n, context.caller, screen)

    return change_item(services, locks, item_id, context, if_match, mutate, require_match=True)


def was_public(record: Mapping[str, Any]) -> bool:
    """Could harvesters have seen it: public now, or public until it was withdrawn?"""
    if is_visible(record, _PUBLIC):
        return True
    return record.get("status") == "withdrawn" and is_visible(
        {**record, "status": "published"}, _PUBLIC
    )


def blob_keys(record: Mapping[str, Any]) -> set[str]:
    return {f["key"] for f in record.get("files") or [] if f["key"].startswith(BLOBS_PREFIX)}


def drop_from_index(services: Services, item_id: str) -> None:
    """The record is gone even if the index refuses; `heritage reindex` rebuilds without it."""
    try:
        services.index.delete([item_id])
    except Exception:
        log.exception(
            "deleted %s but could not drop it from the index; run `heritage reindex`", item_id
        )


def delete_for_good(
    services: Services,
    locks: ItemLocks,
    item_id: str,
    context: WriteContext,
    if_match: str | None,
    reason: str,
) -> dict[str, Any]:
    """Remove an item for good (admins); the tombstone left.

    Order: tombstone, then the record (the commit point: the item is gone), the index entry, the
    versions, the blobs no one else names, and the audit entry. A crash after the tombstone
    leaves the tombstone with a record still there (the item still stands; delete it again); a
    crash after the record leaves versions and blobs behind (`heritage verify` lists such blobs as
    orphans)."""
    caller = context.caller
    if not caller.has_role("admin"):
        raise Forbidden(
            f"deleting an item for good needs the admin role; your key is {caller.role}"
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason for deleting the item for good (parameter 'reason')")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is longer than {MAX_REASON} characters")
    with locks.hold(item_id):
        record = owned_record(services, item_id, caller)
        check_if_match(if_match, record_etag(record), required=True)
        records = services.records
        # every other reference first: an unreadable record stops the deletion before any change
        named_elsewhere = records.blob_references(excluding=item_id)
        candidates = blob_keys(record)  # its own versions too, read before anything changes
        for n in records.version_numbers(item_id):
            candidates |= blob_keys(records.load_version(item_id, n))
        tombstone = {
            "id": item_id,
            "collection": record["collection"],
            "institution": record.get("institution"),
            "deleted": now_iso(),
            "agent": caller.agent,
            "reason": reason,
            "public": was_public(record),
        }
        records.save_tombstone(tombstone)
        records.delete(item_id)
        drop_from_index(services, item_id)
        removed_versions = records.delete_versions(item_id)
        candidates -= named_elsewhere
        for key in sorted(candidates):
            records.store.delete(key)
        audit(
            services,
            context,
            item_id,
            f"deleted for good ({removed_versions} earlier versions, {len(candidates)} files "
            f"removed): {reason}",
        )
    return tombstone
