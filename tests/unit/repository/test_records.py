"""RecordStore (repository.records): records saved, loaded, validated and reported when damaged;
every replaced record kept as a version, written before the new record, on a LocalStore and on a
real MinIO; tombstones of items deleted for good."""

from __future__ import annotations

import io
import json
import os
import pickle
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repository import (
    DamagedRecord,
    LocalStore,
    ObjectStore,
    RecordNotFound,
    RecordStore,
    StorageError,
    make_event,
    record_key,
)
from repository.keys import version_key
from repository.store import WriteConflict
from schemas import SchemaError, validate_record
from schemas.errors import Conflict, InvalidInput, Unavailable
from tests.conftest import require_service
from tests.unit.support.records import minimal_record


def test_save_load_roundtrip_keeps_chinese(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record()
    records.save(record)
    assert records.load(record["id"]) == record
    raw = (tmp_path / record_key(record["id"])).read_text(encoding="utf-8")
    assert "剪纸" in raw  # stored as readable UTF-8, not \\u escapes
    assert list(records.ids()) == [record["id"]]


def test_invalid_record_is_never_written(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    bad = minimal_record(status="maybe")
    with pytest.raises(SchemaError):
        records.save(bad)
    assert not records.exists(bad["id"])


def _damage(records: RecordStore, item_id: str, how: str) -> str:
    """Write a damaged version of a stored record behind the store's back; the expected words."""
    key = record_key(item_id)
    data = records.store.get_bytes(key)
    if how == "truncated":
        damaged, words = data[: len(data) // 2], "not valid JSON"
    elif how == "breaks the schema":
        record = json.loads(data)
        record["access"] = "everyone"
        damaged, words = json.dumps(record).encode(), "$.access: 'everyone' is not one of"
    elif how == "empty":
        damaged, words = b"", "the file is empty"
    elif how == "not UTF-8":
        damaged, words = data.replace("剪纸".encode(), b"\xff\xfe"), "not UTF-8 text"
    else:  # another item's record under this key
        record = json.loads(data)
        record["id"] = "test-ffffffffffff"
        damaged, words = json.dumps(record).encode(), "holds the record of 'test-ffffffffffff'"
    records.store.put_bytes(key, damaged)
    return words


DAMAGE = ["truncated", "breaks the schema", "empty", "not UTF-8", "another id"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_record_is_a_damaged_record_error_naming_key_and_problem(
    tmp_path, how: str
) -> None:
    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record()
    records.save(record)
    records.load(record["id"])  # remembered as valid: the damage must still be seen
    words = _damage(records, record["id"], how)
    key = record_key(record["id"])
    for read in (records.load, records.get):
        with pytest.raises(DamagedRecord) as caught:
            read(record["id"])
        assert isinstance(caught.value, Unavailable)
        assert (caught.value.item_id, caught.value.key) == (record["id"], key)
        assert key in str(caught.value) and words in str(caught.value)
    assert words in records.damaged[key]
    records.save(record)  # restored: no longer reported
    assert records.load(record["id"]) == record
    assert records.damaged == {}


@pytest.mark.parametrize("how", DAMAGE)
def test_files_unchecked_skips_only_the_schema_check(tmp_path, how: str) -> None:
    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record()
    records.save(record)
    assert records.files_unchecked(record["id"]) == record["files"]
    assert records.files_unchecked("test-000000000000") is None
    assert records.files_unchecked("../etc/passwd") is None
    words = _damage(records, record["id"], how)
    if how == "breaks the schema":  # what it saves: the coordinator's `get` refuses it
        assert records.files_unchecked(record["id"]) == record["files"]
        return
    with pytest.raises(DamagedRecord) as caught:
        records.files_unchecked(record["id"])
    assert record_key(record["id"]) in str(caught.value) and words in str(caught.value)


def test_files_unchecked_refuses_a_record_without_a_files_list(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record()
    records.save(record)
    for files in (None, "x", [1]):
        records.store.put_bytes(
            record_key(record["id"]), json.dumps(record | {"files": files}).encode()
        )
        with pytest.raises(DamagedRecord, match="its files are not a list of objects"):
            records.files_unchecked(record["id"])


@pytest.mark.parametrize("how", DAMAGE)
def test_iteration_skips_and_reports_damaged_records(tmp_path, how: str) -> None:
    records = RecordStore(LocalStore(tmp_path))
    ids = [f"test-{n:012x}" for n in range(3)]
    for item_id in ids:
        records.save(minimal_record(id=item_id))
    _damage(records, ids[1], how)
    damaged: list[DamagedRecord] = []
    assert [r["id"] for r in records.readable(damaged.append)] == [ids[0], ids[2]]
    assert [d.item_id for d in damaged] == [ids[1]]
    assert [r["id"] for r in records] == [ids[0], ids[2]]


def test_a_damaged_collection_description_is_left_out_and_reported(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    for slug in ("kept", "cut"):
        records.save_collection({"slug": slug, "title": {"en": slug}})
    key = "collections/cut.json"
    records.store.put_bytes(key, records.store.get_bytes(key)[:10])
    assert [c["slug"] for c in records.collections()] == ["kept"]
    assert records.load_collection("cut") is None
    assert "not valid JSON" in records.damaged[key]


def test_unknown_and_malformed_ids(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    with pytest.raises(RecordNotFound):
        records.load("test-000000000000")
    with pytest.raises(RecordNotFound):
        records.load("../../etc/passwd")
    assert records.get("nope") is None


def test_events_are_schema_valid() -> None:
    event = make_event("fixity-check", "heritage-verify", "failure", "sha256 mismatch")
    record = minimal_record(events=[event])
    validate_record(record)
    assert event["time"].endswith("Z")


def test_local_store_leaves_no_temp_files(tmp_path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("records/x-000.json", b"{}")

    class Boom(Exception):
        pass

    class Exploding:
        def read(self, n: int) -> bytes:
            raise Boom

    with pytest.raises(Boom):
        store.put_blob(Exploding())  # type: ignore[arg-type]
    assert list((tmp_path / ".tmp").iterdir()) == []
    assert list(store.list("blobs/")) == []


def test_validation_is_remembered_for_identical_bytes_only(tmp_path, monkeypatch) -> None:
    import repository.records as records_module

    calls: list[str] = []
    real = records_module.validate_record
    monkeypatch.setattr(
        records_module, "validate_record", lambda r: calls.append(r["id"]) or real(r)
    )
    records = RecordStore(LocalStore(tmp_path))
    record = minimal_record()
    records.save(record)  # validated once, on the way in
    records.load(record["id"])
    records.load(record["id"])
    assert calls == [record["id"]]
    record["title"] = {"zh": "改过的标题"}
    records.save(record)
    assert records.load(record["id"])["title"] == {"zh": "改过的标题"}
    assert calls == [record["id"]] * 2  # other bytes: validated again, once
    calls.clear()
    stored = tmp_path / "records" / f"{record['id']}.json"
    stored.write_bytes(stored.read_bytes().replace("改过".encode(), "手改".encode()))
    assert records.load(record["id"])["title"] == {"zh": "手改的标题"}
    assert calls == [record["id"]]  # bytes changed behind its back: validated on read


def test_a_damaged_record_error_survives_pickling() -> None:
    """Ingest workers raise it in another process; a failed unpickle broke the whole pool."""
    error = DamagedRecord(
        "test-0123456789ab", "records/test-0123456789ab.json", "the file is empty"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.item_id, copy.key, copy.problem, str(copy)) == (
        error.item_id,
        error.key,
        error.problem,
        str(error),
    )


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

    def put_bytes(self, key: str, data: bytes, **conditions: Any):  # type: ignore[no-untyped-def]
        if key.startswith("records/") and getattr(self, "broken", False):
            raise StorageError("disk gone")
        return super().put_bytes(key, data, **conditions)


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


@pytest.mark.parametrize("bad", ["\x0b", "\x00", "\ufffe", "\ud800"])
def test_text_xml_cannot_carry_is_refused_naming_the_field(bad: str) -> None:
    """What every writer checks before a record is saved (an edit, each ingested and harvested
    item): a vertical tab or a lone surrogate would break every OAI-PMH page or the save."""
    from schemas.errors import InvalidInput
    from schemas.text import check_document

    with pytest.raises(InvalidInput, match=r"\$\.title\.zh"):
        check_document(minimal_record(title={"zh": f"剪纸{bad}"}))
    check_document(minimal_record(title={"zh": "剪纸\t窗花\n"}))  # tabs and newlines are text


def test_a_save_decided_on_an_earlier_read_never_writes_over_a_later_one(
    store: ObjectStore,
) -> None:
    """Two replicas: one read the record, the other saved meanwhile; the first one's save is
    refused and the record, with its history, is the second one's."""
    records, replica = RecordStore(store), RecordStore(store)
    first = minimal_record()
    records.save(first)
    _, read_at = records.load_versioned(first["id"])
    replica.save(minimal_record(subjects=["蔚县"]))
    with pytest.raises(WriteConflict):
        records.save(minimal_record(subjects=["丰宁"]), if_match=read_at)
    assert records.load(first["id"])["subjects"] == ["蔚县"]
    assert records.version_numbers(first["id"]) == [1]
    assert records.load_version(first["id"], 1) == first


def test_savers_in_many_processes_lose_no_edit(store: ObjectStore) -> None:
    """Six writers, each with its own RecordStore (as separate replicas have), add a subject by
    read + save(if_match) and retry when refused: every subject lands, and the versions are the
    chain of records each save replaced (at most an extra copy from a lost race)."""
    RecordStore(store).save(minimal_record(subjects=[]))
    item_id = minimal_record()["id"]

    def add(subject: str) -> None:
        records = RecordStore(store)
        while True:
            record, read_at = records.load_versioned(item_id)
            changed = {**record, "subjects": [*record["subjects"], subject]}
            try:
                records.save(changed, if_match=read_at)
                return
            except WriteConflict:
                continue

    threads = [threading.Thread(target=add, args=(f"县{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = RecordStore(store)
    assert sorted(records.load(item_id)["subjects"]) == sorted(f"县{n}" for n in range(6))
    lengths = [
        len(records.load_version(item_id, n)["subjects"]) for n in records.version_numbers(item_id)
    ]
    assert sorted(set(lengths)) == list(range(6))  # every replaced record kept


@pytest.mark.parametrize(
    ("description", "named"),
    [
        ({"slug": "ok", "title": {}}, "$.title"),
        ({"slug": "ok", "title": {"en": "x" * 201}}, "$.title.en"),
        ({"slug": "ok", "title": {"en": "two\nlines"}}, "$.title.en"),
        ({"slug": "ok", "title": {"en": "ok"}, "colour": "red"}, "colour"),
        ({"slug": "ok", "title": {"en": "ok"}, "default_status": "lost"}, "$.default_status"),
        ({"slug": "ok", "description": {"en": "nul \x00"}}, "$.description.en"),
    ],
)
def test_a_collection_description_is_validated_before_it_is_written(
    tmp_path, description: dict, named: str
) -> None:
    records = RecordStore(LocalStore(tmp_path))
    with pytest.raises(InvalidInput) as refused:
        records.save_collection(description)
    assert named in str(refused.value)
    assert records.load_collection("ok") is None


def test_a_damaged_collection_description_still_exists(tmp_path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    assert not records.collection_exists("cut") and not records.collection_exists("Bad/../x")
    records.save_collection({"slug": "cut", "title": {"en": "Cut"}})
    records.store.put_bytes("collections/cut.json", b'{"slug": "cu')
    assert records.load_collection("cut") is None and records.collection_exists("cut")


def test_a_collection_is_created_once_and_changed_only_over_what_was_read(
    store: ObjectStore,
) -> None:
    records = RecordStore(store)
    first = {"slug": "songs", "title": {"zh": "民歌"}}
    records.save_collection(first, create=True)
    with pytest.raises(WriteConflict):
        records.save_collection({"slug": "songs", "title": {"zh": "另一个"}}, create=True)
    second = {"slug": "songs", "title": {"zh": "漫瀚调"}}
    records.save_collection(second, over=first)  # another replica's edit
    with pytest.raises(WriteConflict):
        records.save_collection({"slug": "songs", "title": {"zh": "爬山调"}}, over=first)
    assert records.load_collection("songs") == second
