"""Near-duplicate photos: items whose perceptual hashes (`ingest.media.phash`) differ in at most
THRESHOLD of their 64 bits — the same picture scanned twice, resized or re-encoded.

Finding them is a warning, never a failure: two photos of one paper cut may both belong in the
archive. The ingest run names the nearest items of its own institution ("looks like item X
(distance d)") and only says "an item of another institution" for the others, so no id crosses
the line between institutions (docs/governance.md).

Looking up: `NearTable` keeps every hash cut into four 16-bit bands, each band in a dict. Two
hashes at most 7 bits apart have a band in which they differ by at most one bit (pigeonhole), so
probing each band with its value and its 16 one-bit neighbours (68 dict look-ups) finds every
candidate, exactly, without comparing against the whole store; for 100 000 items a bucket holds
about two entries (bench/README.md has the figures). A threshold above 7 compares every entry.

Filling it: `stored_photos` reads each record's JSON without the schema check `RecordStore`
makes on every read (nine tenths of a read's cost: ~35 µs a record instead of ~450 µs, so ~3.5 s
for 100 000). The table only suggests; a record that does not parse is left out (`heritage
verify` is where damage is reported), and nothing read here is written anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from repository import RecordStore, record_key
from schemas.errors import NotFound

THRESHOLD = 6
"""Bits of 64 that may differ for two photos to count as the same picture. Resizing to half,
JPEG at quality 60 and a 2 % crop with 10 % more light stay within 4 in the tests; unrelated
photos are ~32 apart (half the bits, as for random hashes)."""

_BANDS = 4
_BAND_BITS = 16
_BAND_MASK = (1 << _BAND_BITS) - 1
_EXACT_UP_TO = 2 * _BANDS - 1  # differing bits the band probes are sure to find


@dataclass(frozen=True)
class Photo:
    """One photo in the table: the item it belongs to and what a report may say about it."""

    item_id: str
    phash: int
    institution: str | None = None
    collection: str | None = None
    title: str | None = None
    access: str | None = None  # public, institution, restricted


@dataclass(frozen=True)
class Near:
    photo: Photo
    distance: int


_HEX16 = re.compile(r"[0-9a-f]{16}")


def photo_hashes(record: Mapping[str, Any]) -> list[str]:
    """The perceptual hashes of a record's originals (photos only have one)."""
    files = record.get("files", [])
    return [
        f["phash"]
        for f in files
        if isinstance(f, Mapping)
        and f.get("role") == "original"
        and isinstance(f.get("phash"), str)
        and _HEX16.fullmatch(f["phash"])
    ]


def first_title(record: Mapping[str, Any]) -> str | None:
    """The Chinese title, else the English one, else any (stored records sort their keys)."""
    title = record.get("title")
    if not isinstance(title, Mapping) or not title:
        return None
    found = title.get("zh") or title.get("en") or next(iter(title.values()))
    return found if isinstance(found, str) else None


def photos_of(record: Mapping[str, Any]) -> list[Photo]:
    return [
        Photo(
            record["id"],
            int(value, 16),
            record.get("institution"),
            record.get("collection"),
            first_title(record),
            record.get("access"),
        )
        for value in photo_hashes(record)
    ]


def stored_photos(records: RecordStore) -> Iterator[Photo]:
    """The photos of every stored record, read as plain JSON (see the module's docstring)."""
    for item_id in records.ids():
        try:
            record = json.loads(records.store.get_bytes(record_key(item_id)))
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            yield from photos_of(record)
        except (NotFound, ValueError, TypeError, AttributeError):  # gone since, or not a record
            continue


class NearTable:
    """Hashes by band, for finding the near ones of a hash without looking at every entry."""

    def __init__(self, threshold: int = THRESHOLD):
        if not 0 <= threshold <= 64:
            raise ValueError(f"threshold must be between 0 and 64 bits, not {threshold}")
        self.threshold = threshold
        self.photos: list[Photo] = []
        self._bands: dict[int, list[int]] = {}  # (band << 16 | value) -> positions in photos

    def __len__(self) -> int:
        return len(self.photos)

    def add(self, photo: Photo) -> None:
        position = len(self.photos)
        self.photos.append(photo)
        for key in _band_keys(photo.phash):
            self._bands.setdefault(key, []).append(position)

    def near(self, phash: int, *, exclude: str | None = None) -> list[Near]:
        """Entries within the threshold of `phash` (not those of item `exclude`), nearest
        first, one per item."""
        if self.threshold > _EXACT_UP_TO:
            candidates: Iterable[int] = range(len(self.photos))
        else:
            candidates = {
                position
                for key in _band_keys(phash)
                for probe in _one_bit_away(key)
                for position in self._bands.get(probe, ())
            }
        best: dict[str, Near] = {}
        for position in candidates:
            photo = self.photos[position]
            if photo.item_id == exclude:
                continue
            bits = (photo.phash ^ phash).bit_count()
            if bits <= self.threshold and (
                photo.item_id not in best or bits < best[photo.item_id].distance
            ):
                best[photo.item_id] = Near(photo, bits)
        return sorted(best.values(), key=lambda n: (n.distance, n.photo.item_id))


def _band_keys(phash: int) -> list[int]:
    return [
        (band << _BAND_BITS) | ((phash >> (band * _BAND_BITS)) & _BAND_MASK)
        for band in range(_BANDS)
    ]


def _one_bit_away(key: int) -> list[int]:
    return [key, *(key ^ (1 << bit) for bit in range(_BAND_BITS))]


def looks_like(
    matches: list[Near], institution: str | None, limit: int = 3
) -> tuple[str | None, list[str]]:
    """The report's warning about the nearest items, and the ids it names: only items of
    `institution` that are not restricted (the job's report is read by every curator of the
    institution, not only by those who may see restricted items)."""
    said, named = [], []
    for match in matches[:limit]:
        photo, bits = match.photo, match.distance
        if photo.institution != institution:
            said.append(f"looks like an item of another institution (distance {bits})")
        elif photo.access == "restricted":
            said.append(f"looks like a restricted item (distance {bits})")
        else:
            said.append(f"looks like item {photo.item_id} (distance {bits})")
            named.append(photo.item_id)
    more = len(matches) - limit
    if more > 0:
        said.append(f"and {more} more")
    return "; ".join(said) or None, named


def clusters(photos: Iterable[Photo], threshold: int = THRESHOLD) -> list[list[tuple[Photo, int]]]:
    """Groups of items linked by near photos (single linkage), each as (photo, distance to the
    group's first photo), largest groups first; items alone are left out."""
    table = NearTable(threshold)
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for photo in sorted(photos, key=lambda p: p.item_id):
        parent.setdefault(photo.item_id, photo.item_id)
        for match in table.near(photo.phash, exclude=photo.item_id):
            parent[root(match.photo.item_id)] = root(photo.item_id)
        table.add(photo)
    groups: dict[str, list[Photo]] = {}
    for photo in table.photos:
        members = groups.setdefault(root(photo.item_id), [])
        if all(member.item_id != photo.item_id for member in members):
            members.append(photo)
    found = []
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda p: p.item_id)
            first = members[0].phash
            found.append([(p, (p.phash ^ first).bit_count()) for p in members])
    return sorted(found, key=lambda group: (-len(group), group[0][0].item_id))
