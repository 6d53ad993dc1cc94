"""`ingest.media.ffmpeg`: probing, the guarded runner, settings and error summaries."""

from __future__ import annotations

import os
import pickle
from fractions import Fraction
from pathlib import Path

import ffmpeg
import pytest

from ingest.errors import ItemError
from ingest.media.ffmpeg import (
    SUMMARY_LIMIT,
    MediaError,
    TranscodeSettings,
    part_path,
    probe,
    run,
    summarise,
)
from tests.unit.support.samples import Samples, ffprobe


def test_probe_reads_container_and_streams(samples: Samples) -> None:
    path = samples["clip.mp4"]
    facts = probe(path)
    reference = ffprobe(path)
    assert facts.format_name == reference["format"]["format_name"]
    assert facts.duration == pytest.approx(float(reference["format"]["duration"]))
    assert facts.video is not None and facts.audio is not None
    assert (facts.video.codec, facts.video.width, facts.video.height) == ("h264", 320, 240)
    assert facts.video.frame_rate == 25
    assert facts.video.pixel_format == "yuv420p"
    assert facts.video.field_order == "progressive" and facts.video.deinterlace is None
    assert facts.audio.codec == "aac" and facts.audio.channels == 1
    assert facts.audio.sample_rate == 44100


def test_probe_reads_rotation_from_display_matrix(samples: Samples) -> None:
    video = probe(samples["rotated.mp4"]).video
    assert video is not None
    assert video.rotation in (90, 270)
    assert video.display_size == (240, 320)


def test_probe_reads_field_order_and_pixel_aspect(samples: Samples) -> None:
    woven = probe(samples["interlaced.mts"]).video
    assert woven is not None and woven.field_order == "tt" and woven.deinterlace == "all"
    tape = probe(samples["tape.dv"]).video
    assert tape is not None
    assert tape.sample_aspect_ratio == Fraction(64, 45)
    assert tape.display_size == (1024, 576)
    assert tape.field_order != "progressive" and tape.deinterlace is not None


def test_probe_ignores_cover_art_and_counts_channels(samples: Samples) -> None:
    covered = probe(samples["covered.mp3"])
    assert covered.video is None and covered.audio is not None
    surround = probe(samples["surround.wav"]).audio
    assert surround is not None and surround.channels == 6


def test_technical_facts_use_display_orientation(samples: Samples) -> None:
    technical = probe(samples["rotated.mp4"]).technical()
    assert (technical["width"], technical["height"]) == (240, 320)
    assert technical["video_codec"] == "h264" and technical["audio_codec"] == "aac"
    assert technical["format"] == "QuickTime / MOV"
    assert None not in technical.values()


def test_probe_of_truncated_mp4_names_file_and_cause(samples: Samples) -> None:
    with pytest.raises(MediaError) as caught:
        probe(samples["truncated.mp4"])
    message = str(caught.value)
    assert "truncated.mp4" in message
    assert "moov" in message and "truncated" in message
    assert "ffprobe version" not in message and "0x" not in message
    assert len(caught.value.problem) <= SUMMARY_LIMIT + 60


def test_media_error_survives_the_trip_to_a_worker_process(tmp_path: Path) -> None:
    error = MediaError(tmp_path / "reel.mov", "is empty")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ItemError) and type(copy) is MediaError
    assert (copy.subject, copy.problem, str(copy)) == (error.subject, error.problem, str(error))


def test_probe_of_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="nowhere.mp4: the file does not exist"):
        probe(tmp_path / "nowhere.mp4")


def test_probe_sees_a_still_image(samples: Samples) -> None:
    assert probe(samples["photo.mp4"]).is_still_image
    assert not probe(samples["clip.mp4"]).is_still_image


def test_summarise_keeps_the_last_distinct_lines_within_limit(tmp_path: Path) -> None:
    source = tmp_path / "reel.mov"
    stderr = "\n".join(
        [f"[h264 @ 0x55d0c0ffee{n:02d}] error while decoding MB {n} 14" for n in range(40)]
        + ["    Last message repeated 3 times", "", f"{source}: Invalid data found"]
    )
    summary = summarise(stderr, source)
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.endswith("reel.mov: Invalid data found")
    assert "[h264] error while decoding MB 39 14" in summary
    assert "MB 0 14" not in summary  # the oldest lines give way
    assert "0x" not in summary and "Last message" not in summary and str(tmp_path) not in summary


def test_run_kills_the_process_on_timeout_and_removes_partial_output(tmp_path: Path) -> None:
    target = tmp_path / "endless.mp4"
    part = part_path(target)
    graph = ffmpeg.input("testsrc2=s=1280x720:r=25:d=600", f="lavfi").output(
        str(part), vcodec="libx264", preset="ultrafast", f="mp4"
    )
    with pytest.raises(MediaError, match=r"took longer than 0\.5 s and was stopped"):
        run(graph, source=target, timeout=0.5, outputs={part: target})
    assert list(tmp_path.iterdir()) == []
    assert not _processes_mentioning(str(tmp_path))


def test_run_failure_removes_partial_output(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    part = part_path(target)
    graph = ffmpeg.input(str(tmp_path / "absent.mp4")).output(str(part), f="mp4")
    with pytest.raises(MediaError, match="ffmpeg failed: .*absent.mp4"):
        run(graph, source=tmp_path / "absent.mp4", timeout=30, outputs={part: target})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("audio_format", "ogg"),
        ("crf", 60),
        ("poster_at", 1.5),
        ("max_side", 8),
        ("preview_seconds", 0),
        ("threads", -1),
    ],
)
def test_settings_reject_bad_values_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TranscodeSettings(**{field: value})  # type: ignore[arg-type]


def test_timeout_grows_with_duration() -> None:
    settings = TranscodeSettings(timeout_base=10, timeout_per_second=2)
    assert settings.timeout_for(0) == 10
    assert settings.timeout_for(60) == 10 + 2 * 60


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
