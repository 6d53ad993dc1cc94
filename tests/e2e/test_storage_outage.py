"""The object store goes away for 20 seconds in the middle of a batch (a private MinIO, killed
and started again on the same data): the items that met the outage fail with a reason naming
the store, nothing half-written is visible, and running the same command again finishes the
batch, storing nothing twice."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from repository.s3 import S3Store
from tests.conftest import require_service
from tests.support.server import free_port

USER, SECRET = "outage", "outage-secret-key"
PHOTOS = 40
OUTAGE = 20  # seconds, as the issue asks


@contextmanager
def minio(binary: str, data: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "MINIO_ROOT_USER": USER,
        "MINIO_ROOT_PASSWORD": SECRET,
        "MINIO_BROWSER": "off",
        "MINIO_UPDATE": "off",
    }
    command = [binary, "server", str(data), "--address", f"127.0.0.1:{port}"]
    command += ["--certs-dir", str(data.parent / "certs")]
    log = (data.parent / "minio.log").open("ab")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # at 0.1 s: a bound for a busy machine
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/minio/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the private MinIO did not come up")
        yield server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()


def photos(folder: Path) -> Path:
    folder.mkdir()
    for n in range(PHOTOS):
        rng = random.Random(n)
        image = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
        image.save(folder / f"photo-{n:02d}.jpg", quality=90)
    return folder


def ingest(folder: Path, data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "HERITAGE_DATA_DIR": str(data_dir),
        "HERITAGE_STORAGE": "s3",
        "HERITAGE_S3_ENDPOINT": f"127.0.0.1:{port}",
        "HERITAGE_S3_ACCESS_KEY": USER,
        "HERITAGE_S3_SECRET_KEY": SECRET,
        "HERITAGE_S3_BUCKET": "outage",
        "HERITAGE_SEARCH": "sqlite",
        "HERITAGE_WORKERS": "1",
    }
    command = [str(Path(sys.executable).parent / "heritage"), "ingest", str(folder)]
    command += ["--collection", "outage"]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def stored_records(data: Path) -> int:
    """Records MinIO holds, counted on its disk (the server may be down)."""
    folder = data / "outage" / "records"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def test_a_store_outage_mid_batch_fails_items_by_name_and_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    binary = require_service("HERITAGE_TEST_MINIO_BIN", "MinIO")
    port, data = free_port(), tmp_path / "minio" / "data"
    data.mkdir(parents=True)
    folder = photos(tmp_path / "photos")
    with minio(binary, data, port) as server:
        run = ingest(folder, tmp_path / "heritage", port)
        for _ in range(3000):  # until the batch is under way
            if stored_records(data) >= 3 or run.poll() is not None:
                break
            time.sleep(0.05)
        assert run.poll() is None, "the batch ended before the outage could start"
        server.kill()  # the store goes away mid-batch
        server.wait()
        time.sleep(OUTAGE)  # the outage itself, not a wait for something to happen
    with minio(binary, data, port):
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 1, output  # done, with failed items (not an abort)
        assert "Traceback" not in output
        failed = [line for line in output.splitlines() if "failed" in line and "photo-" in line]
        assert failed, output
        assert f"127.0.0.1:{port}" in output  # a failure names the store
        again = ingest(folder, tmp_path / "heritage", port)
        rerun, _ = again.communicate(timeout=600)
        assert again.returncode == 0, rerun
        store = S3Store(f"127.0.0.1:{port}", USER, SECRET, "outage")
        ids = [key for key in store.list("records/")]
        assert len(ids) == PHOTOS  # every photo once
        report_keys = list(store.list("reports/"))
        last = max(
            (json.loads(store.get_bytes(key)) for key in report_keys), key=lambda r: r["started"]
        )
        outcomes = {item["outcome"] for item in last["items"]}
        assert outcomes <= {"stored", "unchanged"} and "stored" in outcomes
