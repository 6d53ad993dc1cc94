from __future__ import annotations

import json

import pytest

from repository import LocalStore, RecordNotFound, RecordStore, make_event, record_key
from schemas import SchemaError, validate_record
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


def test_tampered_record_fails_validation_on_read(tmp_path) -> None:
    store = LocalStore(tmp_path)
    records = RecordStore(store)
    record = minimal_record()
    records.save(record)
    record["access"] = "everyone"
    store.put_bytes(record_key(record["id"]), json.dumps(record).encode())
    with pytest.raises(SchemaError):
        records.load(record["id"])


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
