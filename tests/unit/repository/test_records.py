from __future__ import annotations

import json
import pickle

import pytest

from repository import (
    DamagedRecord,
    LocalStore,
    RecordNotFound,
    RecordStore,
    make_event,
    record_key,
)
from schemas import SchemaError, validate_record
from schemas.errors import Unavailable
from tests.unit.records import minimal_record


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
    records.save(record)
    calls.clear()
    records.load(record["id"])
    records.load(record["id"])
    assert calls == [record["id"]]
    record["title"] = {"zh": "改过的标题"}
    records.save(record)
    calls.clear()
    assert records.load(record["id"])["title"] == {"zh": "改过的标题"}
    assert calls == [record["id"]]


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
