"""Upload jobs through the real queue (HERITAGE_QUEUE=celery) on a real Redis: `heritage worker`
processes with scratch folders of their own, as if on other machines; the job followed from
another API replica; a worker killed with SIGKILL mid-transcode, its job finished by another,
nothing stored twice, nothing lost, staging emptied. Items fan out: one `heritage ingest`
batch made by two item-only workers, and an item whose worker died mid-transcode made by
the other."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.http.app import create_app
from api.services import Services
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


def queue_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker or command on "another machine" with these settings."""
    env = {
        **os.environ,
        "HERITAGE_DATA_DIR": str(settings.data_dir),
        "HERITAGE_STORAGE": settings.storage,
        "HERITAGE_SEARCH": settings.search,
        "HERITAGE_INSTITUTION": settings.institution,
        "HERITAGE_WORKERS": "1",
        "HERITAGE_FFMPEG_CONCURRENCY": "1",
        "HERITAGE_QUEUE": "celery",
        "HERITAGE_BROKER_URL": settings.broker_url,
        "HERITAGE_QUEUE_LEASE_SECONDS": str(LEASE),
    }
    if settings.storage == "s3":
        env["HERITAGE_S3_ENDPOINT"] = settings.s3_endpoint
        env["HERITAGE_S3_ACCESS_KEY"] = settings.s3_access_key
        env["HERITAGE_S3_SECRET_KEY"] = settings.s3_secret_key.get_secret_value()
        env["HERITAGE_S3_BUCKET"] = settings.s3_bucket
    if settings.search != "sqlite":
        env["HERITAGE_SEARCH_URL"] = settings.search_url
        env["HERITAGE_SEARCH_INDEX"] = settings.search_index
    return env


HERITAGE = str(Path(sys.executable).parent / "heritage")


@contextmanager
def worker(settings: Settings, scratch: Path, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """`heritage worker` in a process group of its own (so SIGKILL reaches its children);
    its log beside its scratch folder."""
    log = (scratch.parent / f"{scratch.name}.log").open("wb")
    command = [HERITAGE, "worker", "--scratch", str(scratch), *options]
    process = subprocess.Popen(
        command,
        env=queue_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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


# --- items fanned out to item-only workers, on MinIO and OpenSearch ----------------------------


@pytest.fixture
def on_servers(tmp_path: Path, broker: str) -> Iterator[Settings]:
    """Queue settings on the real MinIO and OpenSearch (a bucket and an index of its own);
    the local data folder holds only reports and scratch."""
    suffix = uuid.uuid4().hex[:10]
    servers = {
        "storage": "s3",
        "s3_endpoint": require_service("HERITAGE_TEST_S3_ENDPOINT", "MinIO"),
        "s3_access_key": os.environ["HERITAGE_TEST_S3_ACCESS_KEY"],
        "s3_secret_key": SecretStr(os.environ["HERITAGE_TEST_S3_SECRET_KEY"]),
        "s3_bucket": f"queue-{suffix}",
        "search": "opensearch",
        "search_url": require_service("HERITAGE_TEST_OPENSEARCH_URL", "OpenSearch"),
        "search_index": f"queue-{suffix}",
    }
    settings = queued_settings(tmp_path / "data", broker).model_copy(update=servers)
    yield settings
    services = Services.from_settings(settings)
    try:
        drop = getattr(services.index, "drop", None)
        if drop is not None:
            drop()
    finally:
        services.close()


def log_of(scratch: Path) -> str:
    return (scratch.parent / f"{scratch.name}.log").read_text(errors="replace")


def wait_in_log(scratch: Path, text: str) -> None:
    for _ in range(POLLS):
        if text in log_of(scratch):
            return
        time.sleep(0.1)
    pytest.fail(f"{text!r} never appeared in the log of {scratch.name}:\n{log_of(scratch)}")


MADE = "Task heritage.ingest_item["  # … succeeded in …s: the item worker's own log line


def made_by(scratch: Path) -> int:
    return sum(1 for line in log_of(scratch).splitlines() if MADE in line and "succeeded" in line)


def ingest_batch(settings: Settings, folder: Path) -> subprocess.Popen[str]:
    """`heritage ingest` as an archivist runs it, with the queue configured: it coordinates."""
    return subprocess.Popen(
        [HERITAGE, "ingest", str(folder), "-c", "fanned"],
        env=queue_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def outcomes(output: str) -> list[str]:
    """The items' outcomes in the report the command wrote (and named on its last line)."""
    named = [line for line in output.splitlines() if line.startswith("Report: ")]
    assert named, output
    report = json.loads(Path(named[-1].removeprefix("Report: ")).read_text())
    return [item["outcome"] for item in report["items"]]


def stored_once(settings: Settings, count: int) -> None:
    """`count` records, each original stored once, nothing left in staging."""
    services = Services.from_settings(settings)
    try:
        records = list(services.records)
        assert len(records) == count
        originals = [f["sha256"] for r in records for f in r["files"] if f["role"] == "original"]
        assert len(originals) == len(set(originals)) == count
        assert list(services.store.list("staging/")) == []
    finally:
        services.close()


def test_one_batch_is_made_by_every_item_worker(tmp_path: Path, on_servers: Settings) -> None:
    settings = on_servers
    folder = tmp_path / "photos"
    folder.mkdir()
    for n in range(8):
        (folder / f"p{n}.jpg").write_bytes(jpeg(100 + n))
    a, b = tmp_path / "scratch-a", tmp_path / "scratch-b"
    items_only = ("--queues", "images,av", "--concurrency", "1")
    with worker(settings, a, *items_only), worker(settings, b, *items_only):
        wait_in_log(a, "ready.")
        wait_in_log(b, "ready.")
        run = ingest_batch(settings, folder)
        output, _ = run.communicate(timeout=600)
    assert outcomes(output) == ["stored"] * 8
    assert made_by(a) + made_by(b) == 8
    assert made_by(a) >= 1 and made_by(b) >= 1  # both machines made some of the batch
    stored_once(settings, 8)


def test_an_item_whose_worker_dies_mid_transcode_is_made_by_another(
    tmp_path: Path, on_servers: Settings
) -> None:
    settings = on_servers
    folder = tmp_path / "films"
    folder.mkdir()
    video(folder / "festival.mp4", 24)
    first, second = tmp_path / "scratch-1", tmp_path / "scratch-2"
    items_only = ("--queues", "images,av", "--concurrency", "1")
    with worker(settings, first, *items_only) as doomed:
        wait_in_log(first, "ready.")
        run = ingest_batch(settings, folder)
        wait_in_log(first, "Task heritage.ingest_item[")  # received: it is transcoding
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    assert made_by(first) == 0
    with worker(settings, second, *items_only):
        output, _ = run.communicate(timeout=900)
    assert outcomes(output) == ["stored"]
    assert made_by(second) == 1
    stored_once(settings, 1)


def test_a_transcode_longer_than_the_lease_is_made_once(tmp_path: Path, broker: str) -> None:
    """The item's worker beats while it transcodes: neither Redis (its message was taken) nor
    the coordinator (the beat goes on) gives it to the idle second worker."""
    settings = queued_settings(tmp_path / "data", broker)
    folder = tmp_path / "long"
    folder.mkdir()
    video(folder / "ceremony.mp4", 60)
    a, b = tmp_path / "scratch-a", tmp_path / "scratch-b"
    items_only = ("--queues", "images,av", "--concurrency", "1")
    with worker(settings, a, *items_only), worker(settings, b, *items_only):
        wait_in_log(a, "ready.")
        wait_in_log(b, "ready.")
        run = ingest_batch(settings, folder)
        output, _ = run.communicate(timeout=900)
    assert outcomes(output) == ["stored"]
    logs = log_of(a) + log_of(b)
    assert logs.count("Task heritage.ingest_item[") == 2  # received once, succeeded once
    took = re.search(r"Task heritage\.ingest_item\[[^]]+\] succeeded in ([0-9.]+)s", logs)
    assert took is not None and float(took.group(1)) > LEASE  # it did outlive the lease
    stored_once(settings, 1)


CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:01.500\n安代舞的第一段\n"


def test_captions_and_ocr_are_made_by_the_item_worker(tmp_path: Path, broker: str) -> None:
    """What travels with an item to another machine: its caption files (staged with it) and
    the OCR of its scanned pages (read there, where the page pictures were made)."""
    from tests.e2e.test_ocr import PAGE_1, PAGE_2, scanned_pdf
    from tests.unit.support.ocr_pages import horizontal_page

    settings = queued_settings(tmp_path / "data", broker)
    folder = tmp_path / "batch"
    folder.mkdir()
    video(folder / "dance.mp4", 2)
    (folder / "dance.zh.vtt").write_text(CAPTIONS, encoding="utf-8")
    scanned_pdf(folder / "scan.pdf", horizontal_page(PAGE_1), horizontal_page(PAGE_2))
    scratch = tmp_path / "scratch"
    env = {**queue_env(settings), "HERITAGE_OCR": "auto"}
    with worker(settings, scratch, "--queues", "images,av", "--concurrency", "1"):
        wait_in_log(scratch, "ready.")
        run = subprocess.run(
            [HERITAGE, "ingest", str(folder), "-c", "fanned"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(outcomes(run.stdout)) == ["stored", "stored"]
    assert made_by(scratch) == 2  # both items were made on the worker
    services = Services.from_settings(settings)
    try:
        records = {r["media_type"]: r for r in services.records}
        clip, scan = records["video"], records["document"]
        assert [f["role"] for f in clip["files"]].count("captions") == 1
        assert [cue["text"] for cue in clip["cues"]] == ["安代舞的第一段"]
        assert "喜鹊登梅" in "".join(scan.get("text", "").split())
        assert [p["page"] for p in scan["ocr"]["pages"]] == [1, 2]
        assert list(services.store.list("staging/")) == []
    finally:
        services.close()
