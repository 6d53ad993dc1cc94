"""An archivist's run is killed (kill -9) or interrupted (Ctrl-C) midway; the same command again
finishes the job, stores nothing twice and leaves no record pointing at a missing file."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from repository import LocalStore, RecordStore

HERITAGE = Path(sys.executable).parent / "heritage"
FILES = 24


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for number in range(FILES):
        rng = random.Random(number)
        path = root / f"roll-{number // 8}" / f"剪纸-{number:02}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        noise = Image.frombytes("RGB", (300, 200), rng.randbytes(300 * 200 * 3))
        noise.resize((2400, 1600)).save(path, quality=90)
    return root


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env.update(HERITAGE_DATA_DIR=str(data_dir), HERITAGE_WORKERS="2")
    return env


def _start(collection: Path, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(HERITAGE), "ingest", str(collection), "--collection", "papercuts"],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal job
    )


def _wait_for_records(data_dir: Path, at_least: int, timeout: float = 120) -> int:
    records = data_dir / "store" / "records"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = len(list(records.glob("*.json"))) if records.is_dir() else 0
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError(f"no progress: fewer than {at_least} records after {timeout} s")


def _assert_complete_and_unique(data_dir: Path) -> None:
    store = LocalStore(data_dir / "store")
    records = list(RecordStore(store))
    assert len(records) == FILES
    for record in records:
        for file in record["files"]:
            assert store.stat(file["key"]) is not None, f"{record['id']} lost {file['role']}"
    names = [f["name"] for r in records for f in r["files"] if f["role"] == "original"]
    assert len(names) == len(set(names)) == FILES


def _rerun(collection: Path, data_dir: Path) -> dict:
    result = subprocess.run(
        [str(HERITAGE), "ingest", str(collection), "--collection", "papercuts"],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = sorted((data_dir / "reports").glob("*.json"))[-1]
    return json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_kill_9_midway_then_rerun_completes(collection: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = _start(collection, data_dir)
    done_before = _wait_for_records(data_dir, 3)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # reaped, its pipe read and closed
    assert done_before < FILES, "the run finished before it could be killed"
    report = _rerun(collection, data_dir)
    counts = report["counts"]
    assert counts.get("stored", 0) + counts.get("unchanged", 0) == FILES
    assert counts.get("unchanged", 0) >= done_before
    assert "failed" not in counts
    _assert_complete_and_unique(data_dir)


@pytest.mark.slow
def test_ctrl_c_midway_stops_cleanly_then_rerun_completes(collection: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = _start(collection, data_dir)
    done_before = _wait_for_records(data_dir, 2)
    os.killpg(process.pid, signal.SIGINT)
    assert done_before < FILES, "the run finished before it could be interrupted"
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0, output
    assert "Traceback" not in output
    named = [line for line in output.splitlines() if line.startswith("Report: ")]
    assert len(named) == 1, output  # the report of the interrupted run is written and named
    stopped = json.loads(Path(named[0].removeprefix("Report: ").strip()).read_text("utf-8"))
    assert 0 < stopped["counts"].get("stored", 0) < FILES
    report = _rerun(collection, data_dir)
    assert report["counts"].get("stored", 0) + report["counts"].get("unchanged", 0) == FILES
    _assert_complete_and_unique(data_dir)
    leftovers = list((data_dir / "store" / ".tmp").iterdir())
    assert leftovers == [], leftovers
