"""Transcoding configuration: from HERITAGE_* variables to the options the pipeline runs with."""

from __future__ import annotations

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
