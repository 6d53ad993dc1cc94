"""Upload jobs through the real queue (HERITAGE_QUEUE=celery) on a real Redis: `heritage worker`
processes with scratch folders of their own, as if on other machines; the job followed from
another API replica; a worker killed with SIGKILL mid-transcode, its job finished by another,
nothing stored twice, nothing lost, staging emptied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.conftest import require_service
from tests.e2e.governance_support import ADMIN_TOKEN, settings_for
from tests.e2e.test_ingest_api import jpeg

LEASE = 6  # seconds: short, so a dead worker's job is taken over within the test
POLLS = 3000  # at 0.1 s: a bound for a busy machine, not a timing assertion
KEY = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def broker() -> str:
    return require_service("HERITAGE_TEST_REDIS_URL", "Redis")


def queued_settings(data_dir: Path, broker: str) -> Settings:
    return settings_for(
        data_dir,
        workers=1,
        ffmpeg_concurrency=1,
        queue="celery",
        broker_url=broker,
        queue_lease_seconds=LEASE,
    )


@contextmanager
def worker(settings: Settings, scratch: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`heritage worker` in a process group of its own (so SIGKILL reaches its children)."""
    env = {
        **os.environ,
        "HERITAGE_DATA_DIR": str(settings.data_dir),
        "HERITAGE_STORAGE": "local",
        "HERITAGE_SEARCH": "sqlite",
        "HERITAGE_INSTITUTION": settings.institution,
        "HERITAGE_WORKERS": "1",
        "HERITAGE_FFMPEG_CONCURRENCY": "1",
        "HERITAGE_QUEUE": "celery",
        "HERITAGE_BROKER_URL": settings.broker_url,
        "HERITAGE_QUEUE_LEASE_SECONDS": str(LEASE),
    }
    log = (scratch.parent / f"{scratch.name}.log").open("wb")
    command = [str(Path(sys.executable).parent / "heritage"), "worker", "--scratch", str(scratch)]
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def submit(client: TestClient, files: list[tuple[str, bytes]]) -> str:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    answer = client.post("/api/ingest", data={"collection": "queued"}, files=parts, headers=KEY)
    assert answer.status_code == 202, answer.text
    job: str = answer.json()["job"]
    return job


def job_of(client: TestClient, job_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/jobs/{job_id}", headers=KEY)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def wait_for(client: TestClient, job_id: str, states: set[str]) -> dict[str, Any]:
    for _ in range(POLLS):
        job = job_of(client, job_id)
        if job["state"] in states:
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} never reached {states}: {job}")


def video(path: Path, seconds: int) -> bytes:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=25:d={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def test_a_job_runs_on_a_worker_and_is_followed_from_another_replica(
    tmp_path: Path, broker: str
) -> None:
    settings = queued_settings(tmp_path / "data", broker)
    photos = [(f"p{n}.jpg", jpeg(n)) for n in range(3)]
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        job_id = submit(one, photos)
        assert job_of(two, job_id)["state"] == "queued"  # nothing runs in the API process
        store = one.app.state.services.store
        assert list(store.list(f"staging/{job_id}/"))  # the files wait in the store
        with worker(settings, tmp_path / "scratch-1"):
            job = wait_for(two, job_id, {"done", "failed"})
        assert job["state"] == "done", job
        assert job["counts"] == {"stored": 3}
        assert list(store.list(f"staging/{job_id}/")) == []
        assert not list((tmp_path / "scratch-1").glob("*/*"))
        report = two.get(f"/api/jobs/{job_id}/report", headers=KEY).json()
        assert sorted(item["source"] for item in report["items"]) == ["p0.jpg", "p1.jpg", "p2.jpg"]


def test_a_worker_killed_mid_transcode_leaves_its_job_to_another(
    tmp_path: Path, broker: str
) -> None:
    settings = queued_settings(tmp_path / "data", broker)
    files = [("festival.mp4", video(tmp_path / "festival.mp4", 24)), ("p.jpg", jpeg(7))]
    with TestClient(create_app(settings)) as api:
        job_id = submit(api, files)
        with worker(settings, tmp_path / "scratch-1") as first:
            running = wait_for(api, job_id, {"running", "done", "failed"})
            assert running["state"] == "running", running
            os.killpg(first.pid, signal.SIGKILL)  # the machine dies: no goodbye
            first.wait()
        taken = job_of(api, job_id)
        assert taken["state"] == "running"  # nobody has finished it
        with worker(settings, tmp_path / "scratch-2"):
            job = wait_for(api, job_id, {"done", "failed"})
        assert job["state"] == "done", job
        assert sum(job["counts"].values()) == 2 and "failed" not in job["counts"]
        records = api.app.state.services.records
        assert len(list(records.ids())) == 2  # each item once
        store = api.app.state.services.store
        assert list(store.list(f"staging/{job_id}/")) == []
        video_record = next(r for r in records if r["media_type"] == "video")
        assert {f["role"] for f in video_record["files"]} >= {"original", "access"}
