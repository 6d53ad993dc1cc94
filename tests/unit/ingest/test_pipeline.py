"""Transcoding configuration: from HERITAGE_* variables to the options the pipeline runs with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.operations.ingesting import transcode_settings
from api.settings import Settings
from ingest import IngestOptions, run_ingest
from ingest.errors import IngestError
from repository import StoreConfig


def test_environment_sets_how_media_are_transcoded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HERITAGE_VIDEO_MAX_SIDE": "720",
        "HERITAGE_VIDEO_CRF": "28",
        "HERITAGE_VIDEO_PRESET": "fast",
        "HERITAGE_VIDEO_PREVIEW_SECONDS": "10",
        "HERITAGE_AUDIO_FORMAT": "mp3",
        "HERITAGE_AUDIO_BITRATE": "96k",
        "HERITAGE_FFMPEG_CONCURRENCY": "3",
        "HERITAGE_FFMPEG_THREADS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    transcode = transcode_settings(settings)
    assert (transcode.max_side, transcode.crf, transcode.preset) == (720, 28, "fast")
    assert (transcode.audio_format, transcode.audio_bitrate) == ("mp3", "96k")
    assert (transcode.preview_seconds, transcode.threads) == (10, 2)
    assert settings.ffmpeg_concurrency == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HERITAGE_VIDEO_CRF", "60"),
        ("HERITAGE_VIDEO_PRESET", "quick"),
        ("HERITAGE_AUDIO_FORMAT", "ogg"),
        ("HERITAGE_AUDIO_BITRATE", "loud"),
        ("HERITAGE_FFMPEG_CONCURRENCY", "0"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("HERITAGE_").lower()):
        Settings(_env_file=None)


def test_ffmpeg_concurrency_below_one_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="ffmpeg concurrency must be at least 1, not 0"):
        run_ingest(
            [tmp_path],
            IngestOptions("c", ffmpeg_concurrency=0),
            StoreConfig(local_root=tmp_path / "store"),
            None,
        )


LEAN_SCRIPT = """
import multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor
with open(sys.argv[1], "a") as marker:  # runs each time this file is executed as a module
    marker.write("ran\\n")
from ingest.pipeline import _lean_spawn
if __name__ == "__main__":
    with _lean_spawn():
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        seen = [pool.submit(os.getenv, "OPENBLAS_NUM_THREADS") for _ in range(4)]
    print(sorted({future.result() for future in seen}), os.getenv("OPENBLAS_NUM_THREADS"))
    print(__file__ == sys.argv[0])
    pool.shutdown()
"""


@pytest.mark.parametrize("user", [None, "3"])
def test_workers_skip_the_main_module_and_start_no_blas_threads(
    tmp_path: Path, user: str | None
) -> None:
    """A console script's main module (the whole CLI) is not run again in each worker, and
    OpenBLAS runs one thread there unless the user set otherwise; the CLI's own state is back."""
    script, marker = tmp_path / "heritage_cli.py", tmp_path / "ran"
    script.write_text(LEAN_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    if user is not None:
        env["OPENBLAS_NUM_THREADS"] = user
    done = subprocess.run(
        [sys.executable, str(script), str(marker)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"['{user or 1}'] {user}", "True"]
    assert marker.read_text() == "ran\n"  # by the parent only
