"""Who may see what, and who may change what: the one policy module.

Seeing: a caller's `Audience` (see `search.base.Audience`) and `search.base.is_visible`, the one
rule the search backends also apply inside their queries. A hidden item looks exactly like a
missing one (`NotFound`), so nothing leaks to callers who may not see it.

Changing: a write needs a role (archivist < curator < admin) and, below admin, the item's own
institution. Items the caller cannot even see are `NotFound` before any of that is checked.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from api.operations.callers import Caller
from repository.records import RecordStore
from schemas.errors import Forbidden
from schemas.record import Record
from search.base import Audience, is_visible

__all__ = [
    "audience_of",
    "check_owner",
    "is_owner",
    "is_visible",
    "item_to_decide",
    "sees_location",
    "view_for",
]


def audience_of(caller: Caller | None) -> Audience:
    """Anonymous: the public. Admin: everything. Curator: its institution's items, restricted
    ones too. Archivist: its institution's items except the restricted ones."""
    if caller is None:
        return Audience.public()
    if caller.role == "admin":
        return Audience.all()
    return Audience.member(caller.institution, restricted=caller.role == "curator")


def is_owner(caller: Caller | None, record: Mapping[str, Any]) -> bool:
    """Does this caller act for the item's institution (admins act for every institution)?"""
    if caller is None:
        return False
    return caller.role == "admin" or record.get("institution") == caller.institution


def item_to_decide(records: RecordStore, caller: Caller, item_id: str) -> Record | None:
    """The item a curator decides on (a comment on it, the contribution it came from), None
    when there is none or another institution owns it: the same answer, so a decision never
    tells whether another institution's item exists."""
    record = records.get(item_id)
    return record if record is not None and is_owner(caller, record) else None


def check_owner(caller: Caller, record: Mapping[str, Any]) -> None:
    """`Forbidden` unless the caller may change this (visible) item."""
    if not is_owner(caller, record):
        raise Forbidden(
            f"item {record['id']!r} belongs to institution {record.get('institution')!r}; "
            f"your key acts for {caller.institution!r}"
        )


def sees_location(record: Mapping[str, Any], audience: Audience) -> bool:
    """May `audience` know where the item's files were made (EXIF GPS: `technical.gps`, and the
    position inside a photo's original)? A phone photo's position can be a bearer's home or a
    sacred site, so only those who may see the institution's restricted items (its curators,
    admins) see it, unless a curator set `location_public`. Share links get the public's view."""
    if record.get("location_public") is True or audience.everyone:
        return True
    return audience.restricted and audience.institution == record.get("institution")


def view_for(
    record: Mapping[str, Any], audience: Audience, current: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    """The record as `audience` may read it: without `technical.gps` unless `sees_location`,
    and without a sensitive place's lat/lon (`region.sensitive`: docs/map.md) outside its
    institution. For an earlier version, `current` (today's record) decides: the choice is the
    curator's now."""
    decides = record if current is None else current
    hide_gps = not sees_location(decides, audience) and "gps" in (record.get("technical") or {})
    region = record.get("region") or {}
    hide_place = (
        region.get("sensitive") is True
        and ("lat" in region or "lon" in region)
        and not (audience.everyone or audience.institution == decides.get("institution"))
    )
    if not hide_gps and not hide_place:
        return record
    view = copy.deepcopy(dict(record))
    if hide_gps:
        del view["technical"]["gps"]
    if hide_place:
        view["region"].pop("lat", None)
        view["region"].pop("lon", None)
    return view
