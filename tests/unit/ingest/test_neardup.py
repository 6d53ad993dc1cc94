"""The near-duplicate table finds exactly what comparing every entry finds, and the report's
warning names only items of the caller's institution."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.neardup import NearTable, Photo, clusters, looks_like, stored_photos


def flipped(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


@pytest.mark.parametrize("threshold", [0, 3, 6, 7, 10])
def test_band_lookup_finds_what_a_full_scan_finds(threshold: int) -> None:
    rng = random.Random(threshold)
    table = NearTable(threshold)
    bases = [rng.getrandbits(64) for _ in range(50)]
    for n, base in enumerate(bases):  # each base with copies 0 … 10 bits away
        for d in range(11):
            table.add(Photo(f"i-{n}-{d}", flipped(base, rng.sample(range(64), d))))
    for base in bases[:10]:
        found = {m.photo.item_id: m.distance for m in table.near(base)}
        expected = {
            p.item_id: (p.phash ^ base).bit_count()
            for p in table.photos
            if (p.phash ^ base).bit_count() <= threshold
        }
        assert found == expected


def test_near_excludes_the_item_itself_and_sorts_nearest_first() -> None:
    table = NearTable()
    table.add(Photo("a", 0))
    table.add(Photo("b", 0b111))
    table.add(Photo("c", 0b1))
    assert [(m.photo.item_id, m.distance) for m in table.near(0, exclude="a")] == [
        ("c", 1),
        ("b", 3),
    ]


def test_a_threshold_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        NearTable(65)


def test_the_warning_names_only_items_of_the_same_institution() -> None:
    table = NearTable()
    table.add(Photo("ours-1", 0b1, institution="museum"))
    table.add(Photo("theirs-1", 0b11, institution="library"))
    table.add(Photo("secret-1", 0b111, institution="museum", access="restricted"))
    said, named = looks_like(table.near(0), "museum")
    assert said is not None and named == ["ours-1"]
    assert "looks like item ours-1 (distance 1)" in said
    assert "theirs-1" not in said and "secret-1" not in said
    assert "looks like an item of another institution (distance 2)" in said
    assert "looks like a restricted item (distance 3)" in said
    assert looks_like([], "museum") == (None, [])


def test_clusters_group_near_items_and_leave_singles_out() -> None:
    photos = [
        Photo("a", 0),
        Photo("b", 0b11),
        Photo("c", 0b11 << 40 | 0b11),  # near b, farther from a: single linkage joins them
        Photo("far", (1 << 64) - 1),
    ]
    groups = clusters(photos, threshold=3)
    assert [[(p.item_id, d) for p, d in group] for group in groups] == [
        [("a", 0), ("b", 2), ("c", 4)]
    ]
    assert clusters(photos, threshold=0) == []


def test_stored_photos_reads_every_record_and_leaves_out_what_does_not_parse(
    tmp_path: Path,
) -> None:
    from repository import LocalStore, RecordStore, record_key
    from tests.unit.support.records import minimal_record

    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record(id="test-photo-1", institution="museum", access="institution")
    record["files"][0]["phash"] = "00000000000000ff"
    records.save(record)
    records.save(minimal_record(id="test-no-photo"))  # no hash: not a photo
    records.store.put_bytes(record_key("test-broken"), b"{not json")
    found = list(stored_photos(records))
    assert found == [
        Photo("test-photo-1", 0xFF, "museum", "test", "剪纸《窗花》", "institution"),
    ]
