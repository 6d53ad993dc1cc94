"""RecordStore keeps every replaced record as a version, written before the new record, on a
LocalStore and on a real MinIO; tombstones of items deleted for good."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from repository import LocalStore, ObjectStore, RecordStore, StorageError, record_key
from repository.keys import version_key
from schemas.errors import Conflict
from tests.conftest import require_service
from tests.unit.records import minimal_record


@pytest.fixture(params=["local", "minio"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
        return
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    s3 = S3Store(
        endpoint,
        os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
        f"versions-{uuid.uuid4().hex[:12]}",
    )
    yield s3
    for key in list(s3.list("")):
        s3.delete(key)
    s3._client.remove_bucket(s3.bucket)


def test_each_save_keeps_the_record_it_replaces(store: ObjectStore) -> None:
    records = RecordStore(store)
    first = minimal_record()
    second = minimal_record(title={"zh": "剪纸《喜鹊》"})
    third = minimal_record(title={"zh": "剪纸《喜鹊》"}, subjects=["蔚县"])
    records.save(first)
    assert records.version_numbers(first["id"]) == []  # a new item has no earlier version
    records.save(second)
    records.save(second)  # the same bytes again: nothing to keep
    records.save(third)
    assert records.version_numbers(first["id"]) == [1, 2]
    assert records.load_version(first["id"], 1) == first
    assert records.load_version(first["id"], 2) == second
    assert records.load(first["id"]) == third
    assert list(records.ids()) == [first["id"]]  # versions are not records


def test_versions_count_past_nine_in_number_order(store: ObjectStore) -> None:
    records = RecordStore(store)
    for n in range(12):
        records.save(minimal_record(subjects=[f"县{n}"]))
    numbers = records.version_numbers(minimal_record()["id"])
    assert numbers == list(range(1, 12))
    assert records.load_version(minimal_record()["id"], 10)["subjects"] == ["县9"]


class FailingRecordWrites(LocalStore):
    """A store whose record writes fail, as a crash between the two writes would leave it."""

    def put_bytes(self, key: str, data: bytes):  # type: ignore[no-untyped-def]
        if key.startswith("records/") and getattr(self, "broken", False):
            raise StorageError("disk gone")
        return super().put_bytes(key, data)


def test_the_version_is_written_before_the_record(tmp_path: Path) -> None:
    store = FailingRecordWrites(tmp_path)
    records = RecordStore(store)
    first = minimal_record()
    records.save(first)
    store.broken = True  # type: ignore[attr-defined]
    with pytest.raises(StorageError):
        records.save(minimal_record(subjects=["蔚县"]))
    # an extra version (equal to the record), never a lost one
    assert records.load(first["id"]) == first
    assert records.load_version(first["id"], 1) == first
    assert store.stat(version_key(first["id"], 1)) is not None
    assert store.stat(record_key(first["id"])) is not None


def test_delete_and_tombstone(store: ObjectStore) -> None:
    records = RecordStore(store)
    records.save(minimal_record())
    records.save(minimal_record(subjects=["蔚县"]))
    item_id = minimal_record()["id"]
    tombstone = {"id": item_id, "collection": "test", "deleted": "2026-02-01T00:00:00Z"}
    records.save_tombstone(tombstone)
    records.delete(item_id)
    assert records.delete_versions(item_id) == 1
    assert records.get(item_id) is None and records.version_numbers(item_id) == []
    assert records.tombstone(item_id) == tombstone
    assert list(records.tombstone_ids()) == [item_id]
    assert records.tombstone("test-unknown-0000") is None
    assert records.tombstone("../../etc") is None


def test_a_file_only_an_earlier_version_names_is_not_an_orphan(tmp_path: Path) -> None:
    from repository.fixity import audit

    store = LocalStore(tmp_path)
    records = RecordStore(store)
    first, second = (store.put_blob(io.BytesIO(data)) for data in (b"take one", b"take two"))
    record = minimal_record()
    for blob in (first, second):
        entry = {**record["files"][0], "key": blob.key, "sha256": blob.sha256, "bytes": blob.size}
        records.save({**record, "files": [entry]})
    assert audit(records).orphans == []
    stray = store.put_blob(io.BytesIO(b"left by a killed ingest"))
    assert audit(records).orphans == [stray.key]


def test_references_are_unknown_while_a_record_is_unreadable(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    records = RecordStore(store)
    records.save(minimal_record())
    store.put_bytes(record_key("test-damaged-0000"), b"{not json")
    with pytest.raises(Conflict, match="test-damaged-0000 is unreadable"):
        records.blob_references()  # deleting on this answer could remove a file it names
    assert records.blob_references(strict=False) == {minimal_record()["files"][0]["key"]}
