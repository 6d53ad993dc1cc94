"""`heritage verify` (the real console script) on a LocalStore and on a real MinIO: one flipped
byte, one deleted file and one orphan are found, the damaged items get fixity-check events, the
run is in the audit log, and the exit code says so."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.commands import app
from api.settings import Settings
from repository import LocalStore, RecordStore, open_store
from repository.audit import AuditLog
from tests.conftest import require_service
from tests.e2e.governance_support import ingest_rows

HERITAGE = Path(sys.executable).parent / "heritage"
PUBLIC = {"status": "published", "access": "public"}
TITLES = {
    "fx-1": ("唢呐一", "Suona one"),
    "fx-2": ("唢呐二", "Suona two"),
    "fx-3": ("唢呐三", "Suona three"),
}


@dataclass
class Stored:
    env: dict[str, str]
    settings: Settings
    ids: dict[str, str]
    cwd: Path

    def heritage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(HERITAGE), *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=self.env,
            timeout=300,
        )

    def in_process(self, *args: str) -> Result:
        """The same command through typer's runner: no interpreter start-up per call."""
        return CliRunner().invoke(app, list(args), env=self.env)

    def records(self) -> RecordStore:
        return RecordStore(open_store(self.settings.store_config()))


def _environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env.update({f"HERITAGE_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture(params=["local", "minio"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stored]:
    config = {"data_dir": str(tmp_path / "data"), "storage": "local", "search": "sqlite"}
    if request.param == "minio":
        config.update(
            storage="s3",
            s3_endpoint=require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO"),
            s3_access_key=os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
            s3_secret_key=os.environ["HERITAGE_TEST_S3_SECRET_KEY"],
            s3_bucket=f"verify-{uuid.uuid4().hex[:12]}",
        )
    settings = Settings(**config, _env_file=None)
    two = {"fx-1": PUBLIC, "fx-2": PUBLIC}
    ids, _ = ingest_rows(settings, tmp_path / "source", two, "verify-one", TITLES)
    more, _ = ingest_rows(settings, tmp_path / "more", {"fx-3": PUBLIC}, "verify-two", TITLES)
    yield Stored(_environment(**config), settings, ids | more, tmp_path)
    if request.param == "minio":
        store = open_store(settings.store_config())
        for key in list(store.list("")):
            store.delete(key)
        store._client.remove_bucket(config["s3_bucket"])


def file_key(records: RecordStore, item_id: str, role: str) -> str:
    return next(f["key"] for f in records.load(item_id)["files"] if f["role"] == role)


def flip_one_byte(records: RecordStore, key: str) -> None:
    store = records.store
    if isinstance(store, LocalStore):  # bit rot on the disk itself, behind the store's back
        path = store.root / key
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x10
        path.write_bytes(bytes(data))
    else:
        data = bytearray(store.get_bytes(key))
        data[len(data) // 2] ^= 0x10
        store.put_bytes(key, bytes(data))


def test_verify_finds_a_flipped_byte_a_deleted_file_and_an_orphan(stored: Stored) -> None:
    clean = stored.heritage("verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "checked 3 records, 9 files" in clean.stdout.lower()
    assert "all intact; 0 orphaned blobs" in clean.stdout

    records = stored.records()
    changed = file_key(records, stored.ids["fx-1"], "original")
    missing = file_key(records, stored.ids["fx-2"], "access")
    flip_one_byte(records, changed)
    records.store.delete(missing)
    orphan = records.store.put_blob(io.BytesIO(b"a blob no record names")).key

    damaged = stored.heritage("verify")
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    out = damaged.stdout
    assert f"changed: {stored.ids['fx-1']} original ({changed})" in out
    assert f"missing: {stored.ids['fx-2']} access ({missing})" in out
    assert f"orphan: {orphan}" in out
    assert "1 missing, 1 changed, 0 unreadable records; 1 orphaned blobs" in out

    events = {name: records.load(stored.ids[name])["events"] for name in TITLES}
    for name, key, problem in (("fx-1", changed, "changed"), ("fx-2", missing, "missing")):
        last = events[name][-1]
        assert (last["type"], last["outcome"], last["agent"]) == (
            "fixity-check",
            "failure",
            "heritage-verify",
        )
        assert f"{problem}: " in last["detail"] and key in last["detail"]
    assert events["fx-3"][-1]["type"] == "validation"  # intact: nothing appended

    day = datetime.now(UTC).date()
    runs = [e for e in AuditLog(records.store).day(day) if e["action"] == "verify"]
    assert len(runs) == 2
    assert runs[-1]["damaged_items"] == sorted([stored.ids["fx-1"], stored.ids["fx-2"]])
    assert runs[-1]["actor"]["agent"].startswith("heritage-cli (")


def test_verify_one_collection_or_a_sample(stored: Stored) -> None:
    records = stored.records()
    flip_one_byte(records, file_key(records, stored.ids["fx-1"], "thumbnail"))
    other = stored.in_process("verify", "--collection", "verify-two")
    assert other.exit_code == 0, other.output
    assert "of collection verify-two: checked 1 records, 3 files" in other.stdout
    assert "orphan" not in other.stdout
    damaged = stored.in_process("verify", "--collection", "verify-one")
    assert damaged.exit_code == 1
    assert f"changed: {stored.ids['fx-1']} thumbnail" in damaged.stdout
    sample = stored.in_process("verify", "--sample", "2")
    assert "a sample of 2: checked 2 records, 6 files" in sample.stdout
    found = f"changed: {stored.ids['fx-1']} thumbnail" in sample.stdout
    assert sample.exit_code == (1 if found else 0)
    assert stored.in_process("verify", "--sample", "0").exit_code == 2


def test_verify_clears_what_a_killed_writer_left_in_the_local_store(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", storage="local", _env_file=None)
    ingest_rows(settings, tmp_path / "source", {"fx-1": PUBLIC}, "verify-one", TITLES)
    folder = settings.local_store_path / ".tmp"
    killed, running = folder / "b-killed", folder / "w-running"
    for path, age in ((killed, 2 * 3600), (running, 5)):
        path.write_bytes(b"half written")
        os.utime(path, (time.time() - age, time.time() - age))
    env = _environment(data_dir=str(tmp_path / "data"), storage="local", search="sqlite")

    result = CliRunner().invoke(app, ["verify"], env=env)

    assert result.exit_code == 0, result.output
    assert "all intact; 0 orphaned blobs" in result.output
    assert not killed.exists() and running.exists()
