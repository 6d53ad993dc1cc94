"""The fixity audit on a real LocalStore and a real MinIO: a flipped byte, a deleted file, an
orphan, an unreadable record; events on the damaged items; samples and one collection."""

from __future__ import annotations

import io
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from repository import LocalStore, ObjectStore, RecordStore, make_event, record_key
from repository.fixity import (
    ContentDamaged,
    audit,
    damaged_keys,
    read_verified,
    record_damage_events,
    record_repair_events,
    verified_chunks,
)
from tests.conftest import require_service
from tests.unit.support.records import minimal_record


@pytest.fixture(params=["local", "minio"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
        return
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    bucket = f"fixity-{uuid.uuid4().hex[:12]}"
    s3 = S3Store(
        endpoint,
        os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
        bucket,
    )
    yield s3
    for key in list(s3.list("")):
        s3.delete(key)
    s3._client.remove_bucket(bucket)


def add_item(records: RecordStore, item_id: str, collection: str, content: bytes) -> dict:
    blob = records.store.put_blob(io.BytesIO(content))
    record = minimal_record(id=item_id, collection=collection)
    record["files"] = [
        {
            "role": "original",
            "key": blob.key,
            "media_type": "image/jpeg",
            "bytes": blob.size,
            "sha256": blob.sha256,
        }
    ]
    records.save(record)
    return record


def flip_one_byte(store: ObjectStore, key: str) -> None:
    data = bytearray(store.get_bytes(key))
    data[len(data) // 2] ^= 0x01
    store.put_bytes(key, bytes(data))


@pytest.fixture
def records(store: ObjectStore) -> RecordStore:
    records = RecordStore(store)
    for n in range(4):
        add_item(records, f"songs-item-{n}", "songs", f"song {n} ".encode() * 500)
    add_item(records, "cuts-item-0", "cuts", b"paper cut " * 300)
    return records


def test_an_intact_repository_passes(records: RecordStore) -> None:
    result = audit(records)
    assert result.ok and result.records == 5 and result.blobs == 5 and result.orphans == []


def test_a_flipped_byte_a_deleted_file_and_an_orphan_are_found(records: RecordStore) -> None:
    store = records.store
    changed = records.load("songs-item-1")["files"][0]["key"]
    missing = records.load("songs-item-2")["files"][0]["key"]
    flip_one_byte(store, changed)
    store.delete(missing)
    orphan = store.put_blob(io.BytesIO(b"left by a killed ingest")).key
    store.put_bytes("tmp/upload-in-progress", b"not a blob")

    result = audit(records)
    assert not result.ok
    found = {(d.item_id, d.problem, d.key) for d in result.damage}
    assert found == {("songs-item-1", "changed", changed), ("songs-item-2", "missing", missing)}
    assert result.orphans == [orphan]
    assert "1 missing, 1 changed, 0 unreadable records; 1 orphaned blobs" in result.summary()

    written = record_damage_events(records, result)
    assert sorted(written) == ["songs-item-1", "songs-item-2"]
    event = records.load("songs-item-1")["events"][-1]
    assert (event["type"], event["outcome"], event["agent"]) == (
        "fixity-check",
        "failure",
        "heritage-verify",
    )
    assert changed in event["detail"] and "changed" in event["detail"]
    assert records.load("songs-item-0")["events"][-1]["type"] == "ingestion"  # intact: untouched


def test_an_unreadable_record_is_damage(records: RecordStore) -> None:
    records.store.put_bytes(record_key("songs-item-3"), b"{not json")
    result = audit(records)
    assert [(d.item_id, d.problem) for d in result.damage] == [("songs-item-3", "unreadable")]
    assert record_damage_events(records, result) == []


def test_one_collection_or_a_sample_checks_less_and_looks_for_no_orphans(
    records: RecordStore,
) -> None:
    flip_one_byte(records.store, records.load("cuts-item-0")["files"][0]["key"])
    songs = audit(records, collection="songs")
    assert songs.ok and songs.records == 4 and songs.orphans is None
    cuts = audit(records, collection="cuts")
    assert [d.item_id for d in cuts.damage] == ["cuts-item-0"]
    sample = audit(records, sample=2, rng=random.Random(7))
    assert sample.records == 2 and sample.orphans is None
    everything = audit(records, sample=10)
    assert everything.records == 5 and everything.orphans is None


def test_a_repaired_item_loses_its_damage_mark(records: RecordStore) -> None:
    key = records.load("songs-item-1")["files"][0]["key"]
    good = records.store.get_bytes(key)
    flip_one_byte(records.store, key)
    record_damage_events(records, audit(records))
    assert damaged_keys(records.load("songs-item-1")) == {key}
    records.store.delete(key)
    assert records.store.put_blob(io.BytesIO(good)).key == key  # restored from a copy
    result = audit(records)
    assert result.ok and record_damage_events(records, result) == []
    assert record_repair_events(records, result) == ["songs-item-1"]
    assert damaged_keys(records.load("songs-item-1")) == set()
    assert record_repair_events(records, audit(records)) == []  # once is enough


def test_a_damage_mark_cut_at_the_detail_limit_marks_every_file() -> None:
    record = minimal_record()
    record["files"] = [
        {
            "role": role,
            "key": f"blobs/sha256/{n}",
            "media_type": "image/jpeg",
            "bytes": 1,
            "sha256": "0" * 64,
        }
        for n, role in enumerate(("original", "access"))
    ]
    named = make_event("fixity-check", "heritage-verify", "failure", "changed: blobs/sha256/1")
    record["events"] = [named]
    assert damaged_keys(record) == {"blobs/sha256/1"}
    record["events"].append(make_event("fixity-check", "x", "failure", "y" * 5000))
    assert damaged_keys(record) == {"blobs/sha256/0", "blobs/sha256/1"}


def test_a_changed_file_is_never_handed_out_whole(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    data = bytes(range(256)) * (3 * 2**12)  # three of LocalStore's 1 MiB chunks
    blob = store.put_blob(io.BytesIO(data))
    file = {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}
    assert read_verified(store, file) == data
    path = tmp_path / "store" / blob.key
    path.write_bytes(data[:-1] + b"\x00")
    received = []
    with pytest.raises(ContentDamaged) as caught:
        received.extend(verified_chunks(store, file))
    assert caught.value.problem == "changed" and blob.sha256 in str(caught.value)
    assert 0 < sum(map(len, received)) < len(data)  # the last chunk was held back
    path.unlink()
    with pytest.raises(ContentDamaged) as caught:
        verified_chunks(store, file)  # missing: raised before any byte, at opening
    assert caught.value.problem == "missing"
