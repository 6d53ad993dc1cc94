"""`make_audio_derivatives` on every common audio format."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.media.audio import make_audio_derivatives
from ingest.media.ffmpeg import MediaError, TranscodeSettings
from tests.unit.support.samples import Samples, ffprobe, streams, top_level_boxes


@pytest.mark.parametrize(
    "name", ["tone.wav", "tone.flac", "tone.mp3", "tone.m4a", "tone.ogg", "tone.opus"]
)
def test_every_format_becomes_an_m4a_access_copy(
    samples: Samples, tmp_path: Path, name: str
) -> None:
    result = make_audio_derivatives(samples[name], tmp_path, TranscodeSettings())
    assert result.media_type == "audio" and result.warnings == ()
    access, waveform = result.files
    assert (access.role, access.media_type, access.path.name) == (
        "access",
        "audio/mp4",
        "access.m4a",
    )
    (audio,) = streams(access.path, "audio")
    assert audio["codec_name"] == "aac" and audio["channels"] == 2
    assert streams(access.path, "video") == []
    boxes = top_level_boxes(access.path)
    assert boxes.index("moov") < boxes.index("mdat")
    source_duration = float(ffprobe(samples[name])["format"]["duration"])
    assert access.duration == pytest.approx(source_duration, abs=0.06)
    assert result.technical["duration"] == pytest.approx(source_duration, abs=0.001)
    assert result.technical["sample_rate"] == 48000
    assert waveform.role == "waveform" and waveform.path.name == "waveform.png"
    assert {p.name for p in tmp_path.iterdir()} == {"access.m4a", "waveform.png"}


def test_mp3_access_copy_when_configured(samples: Samples, tmp_path: Path) -> None:
    result = make_audio_derivatives(
        samples["tone.flac"], tmp_path, TranscodeSettings(audio_format="mp3")
    )
    access = result.files[0]
    assert access.path.name == "access.mp3" and access.media_type == "audio/mpeg"
    assert ffprobe(access.path)["format"]["format_name"] == "mp3"


def test_surround_is_downmixed_to_stereo(samples: Samples, tmp_path: Path) -> None:
    result = make_audio_derivatives(samples["surround.wav"], tmp_path, TranscodeSettings())
    (audio,) = streams(result.files[0].path, "audio")
    assert audio["channels"] == 2
    assert result.technical["audio_channels"] == 6


def test_waveform_draws_the_signal_in_ink_red(samples: Samples, tmp_path: Path) -> None:
    settings = TranscodeSettings()
    result = make_audio_derivatives(samples["fade-in.flac"], tmp_path, settings)
    waveform = result.files[1]
    with Image.open(waveform.path) as image:
        assert image.size == settings.waveform_size == (waveform.width, waveform.height)
        rgba = image.convert("RGBA")
    width, height = rgba.size
    ink = tuple(int(settings.waveform_colour[i : i + 2], 16) for i in (2, 4, 6))

    def inked(x0: int, x1: int) -> int:
        return sum(
            1
            for x in range(x0, x1)
            for y in range(height)
            if rgba.getpixel((x, y))[3] > 0 and rgba.getpixel((x, y))[:3] == ink
        )

    assert rgba.getpixel((0, 0))[3] == 0  # transparent background
    assert 0 < inked(0, width // 4) < inked(3 * width // 4, width)  # the fade-in grows


def test_file_without_audio_is_refused(samples: Samples, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"silent\.mp4: has no audio stream"):
        make_audio_derivatives(samples["silent.mp4"], tmp_path, TranscodeSettings())


def test_picture_is_refused(samples: Samples, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"frame\.jpg: is a still image"):
        make_audio_derivatives(samples["frame.jpg"], tmp_path, TranscodeSettings())
