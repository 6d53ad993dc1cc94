from __future__ import annotations

import io
import os
import uuid

import pytest

from repository import LocalStore, ObjectStore, RecordStore, blob_key
from repository.transfer import transfer
from tests.conftest import require_service
from tests.unit.support.records import minimal_record


def _populated_source(root) -> tuple[LocalStore, dict]:
    source = LocalStore(root)
    blob = source.put_blob(io.BytesIO("长调 long-song recording".encode() * 500))
    record = minimal_record()
    record["files"][0].update(key=blob.key, sha256=blob.sha256, bytes=blob.size)
    RecordStore(source).save(record)
    source.put_bytes("collections/test.json", b'{"slug": "test"}')
    return source, record


@pytest.fixture(params=["local", "s3"])
def target(request, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "target")
    from repository.s3 import S3Store

    endpoint = require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO")
    return S3Store(
        endpoint,
        os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
        f"transfer-{uuid.uuid4().hex[:10]}",
    )


def test_transfer_copies_everything_and_resumes(tmp_path, target: ObjectStore) -> None:
    source, record = _populated_source(tmp_path / "source")
    first = transfer(source, target)
    assert first.ok, first.problems
    assert first.records == 1 and first.copied == 2  # one blob, one collection document
    assert RecordStore(target).load(record["id"]) == record
    key = record["files"][0]["key"]
    assert target.get_bytes(key) == source.get_bytes(key)
    again = transfer(source, target)
    assert again.ok and again.copied == 0 and again.skipped == 2 and again.records == 1


def test_damaged_blob_is_reported_and_its_record_held_back(tmp_path, target: ObjectStore) -> None:
    source, record = _populated_source(tmp_path / "source")
    path = tmp_path / "source" / record["files"][0]["key"]
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF  # bit rot at the source
    path.write_bytes(bytes(data))
    report = transfer(source, target)
    assert not report.ok
    assert any(record["files"][0]["key"] in p and "damaged" in p for p in report.problems)
    assert any(record["id"] in p and "missing" in p for p in report.problems)
    assert RecordStore(target).get(record["id"]) is None
    assert target.stat(record["files"][0]["key"]) is None
    assert target.stat(blob_key(record["files"][0]["sha256"])) is None
