"""`make_video_derivatives` on real files of every common container, and on broken ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from ingest.media.ffmpeg import MediaError, MediaResult, Probe, Ran, TranscodeSettings
from ingest.media.video import DARK_LUMA, _verified_copy, fit_within, make_video_derivatives
from schemas import validate_record
from tests.unit.support.records import minimal_record
from tests.unit.support.samples import (
    Samples,
    ffmpeg,
    interlace_counts,
    streams,
    top_level_boxes,
)


def derive(samples: Samples, name: str, out: Path, **overrides: object) -> MediaResult:
    settings = TranscodeSettings(**overrides)  # type: ignore[arg-type]
    return make_video_derivatives(samples[name], out, settings)


def assert_streamable_mp4(path: Path, *, max_side: int, audio: bool) -> tuple[int, int]:
    """H.264 High yuv420p (+ AAC), index before data, even sides within `max_side`."""
    (video,) = streams(path, "video")
    assert video["codec_name"] == "h264" and video["profile"] == "High"
    assert video["pix_fmt"] == "yuv420p"
    width, height = video["width"], video["height"]
    assert max(width, height) <= max_side and width % 2 == 0 and height % 2 == 0
    assert [s["codec_name"] for s in streams(path, "audio")] == (["aac"] if audio else [])
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    return width, height


def files_by_role(result: MediaResult) -> dict[str, Path]:
    return {f.role: f.path for f in result.files}


@pytest.mark.parametrize(
    "name", ["clip.mp4", "clip.mov", "clip.mkv", "clip.avi", "clip.mts", "clip.webm"]
)
def test_every_container_becomes_a_streamable_mp4(
    samples: Samples, tmp_path: Path, name: str
) -> None:
    result = derive(samples, name, tmp_path)
    assert result.media_type == "video" and result.warnings == ()
    paths = files_by_role(result)
    assert set(paths) == {"access", "poster", "thumbnail"}
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in paths.values()}
    size = assert_streamable_mp4(paths["access"], max_side=1280, audio=True)
    assert size == (320, 240)  # never upscaled
    access = result.files[0]
    assert (access.width, access.height) == size and access.media_type == "video/mp4"
    assert access.duration == pytest.approx(1.0, abs=0.1)
    assert result.technical["duration"] == pytest.approx(1.0, abs=0.1)
    assert (result.technical["width"], result.technical["height"]) == (320, 240)


def test_large_video_is_scaled_to_max_side(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "hd.mp4", tmp_path)
    size = assert_streamable_mp4(files_by_role(result)["access"], max_side=1280, audio=False)
    assert size == fit_within(1920, 1080, 1280)
    assert result.technical["width"] == 1920


def test_rotated_phone_video_comes_out_portrait(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "rotated.mp4", tmp_path)
    paths = files_by_role(result)
    width, height = assert_streamable_mp4(paths["access"], max_side=1280, audio=True)
    assert height > width
    (video,) = streams(paths["access"], "video")
    assert not any("rotation" in side for side in video.get("side_data_list", []))
    assert any("rotation 90" in note for note in result.notes)
    # The picture is turned, not squeezed: it matches the unrotated frame turned a quarter.
    reference = tmp_path / "reference.png"
    ffmpeg("-ss", "0.05", "-i", str(samples["clip.mp4"]), "-frames:v", "1", str(reference))
    with Image.open(paths["poster"]) as poster, Image.open(reference) as frame:
        frame = frame.convert("RGB")
        turned = [
            _difference(poster, frame.transpose(t))
            for t in (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)
        ]
        squeezed = _difference(poster, frame.resize(poster.size))
    assert min(turned) < squeezed / 3


def _difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b)).mean) / 3


def test_odd_dimensions_become_even(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "odd.mkv", tmp_path)
    width, height = assert_streamable_mp4(
        files_by_role(result)["access"], max_side=1280, audio=False
    )
    assert (width, height) == fit_within(321, 241, 1280)


@pytest.mark.parametrize("name", ["interlaced.mts", "tape.dv"])
def test_interlaced_video_is_deinterlaced(samples: Samples, tmp_path: Path, name: str) -> None:
    source = interlace_counts(samples[name])
    assert source["Progressive"] < source["TFF"] + source["BFF"]  # the sample is really combed
    result = derive(samples, name, tmp_path)
    access = files_by_role(result)["access"]
    assert_streamable_mp4(access, max_side=1280, audio=True)
    copy = interlace_counts(access)
    assert copy["Progressive"] > copy["TFF"] + copy["BFF"]
    assert any("deinterlaced" in note for note in result.notes)


def test_anamorphic_tape_gets_square_pixels(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "tape.dv", tmp_path)
    (video,) = streams(files_by_role(result)["access"], "video")
    assert video["sample_aspect_ratio"] == "1:1"
    assert video["width"] / video["height"] == pytest.approx(16 / 9, rel=0.01)


def test_video_without_audio_gets_a_silent_copy(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "silent.mp4", tmp_path)
    assert_streamable_mp4(files_by_role(result)["access"], max_side=1280, audio=False)
    assert "audio_codec" not in result.technical


@pytest.mark.parametrize("preview", [None, 0.5])
def test_the_source_is_probed_once_and_the_copy_never(
    samples: Samples, tmp_path: Path, tool_runs: Counter[str], preview: float | None
) -> None:
    """ffprobe costs ~0.1 s CPU a run: the stage starts it once, on the original."""
    derive(samples, "clip.mp4", tmp_path, preview_seconds=preview)
    assert tool_runs["ffprobe"] == 1
    assert tool_runs["ffmpeg"] == (3 if preview else 2)  # copy, poster (, preview)


def test_audio_only_file_is_probed_once_too(
    samples: Samples, tmp_path: Path, tool_runs: Counter[str]
) -> None:
    derive(samples, "covered.mp3", tmp_path)
    assert tool_runs == {"ffprobe": 1, "ffmpeg": 2}  # copy, waveform


def test_a_copy_without_video_frames_is_refused_and_removed(tmp_path: Path) -> None:
    access = tmp_path / "access.mp4"
    access.write_bytes(b"an mp4 with an audio track only")
    facts = Probe(tmp_path / "reel.mov", "mov", "QuickTime / MOV", 5.0, None, None, None)
    with pytest.raises(MediaError, match=r"reel\.mov: no video could be decoded"):
        _verified_copy(access, facts, (320, 240), Ran([], frames=0, seconds=5.0))
    assert not access.exists()
    access.write_bytes(b"an mp4 with 25 frames")
    made = _verified_copy(access, facts, (320, 240), Ran([], frames=25, seconds=1.0123))
    assert (made.width, made.height, made.duration) == (320, 240, 1.012)


def test_audio_only_file_is_routed_to_the_audio_stage(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "covered.mp3", tmp_path)
    assert result.media_type == "audio"
    assert set(files_by_role(result)) == {"access", "waveform"}


def test_poster_skips_a_black_opening(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "dark-start.mp4", tmp_path)
    paths = files_by_role(result)
    with Image.open(paths["poster"]) as poster:
        assert ImageStat.Stat(poster.convert("L")).mean[0] >= DARK_LUMA
    with Image.open(paths["thumbnail"]) as thumbnail:
        assert max(thumbnail.size) <= 400
    assert {p.name for p in tmp_path.iterdir()} == {"access.mp4", "poster.jpg", "thumbnail.jpg"}


def test_thumbnail_fits_400_and_keeps_aspect(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "hd.mp4", tmp_path)
    thumbnail = next(f for f in result.files if f.role == "thumbnail")
    with Image.open(thumbnail.path) as image:
        assert image.size == (thumbnail.width, thumbnail.height)
        assert max(image.size) == 400
        assert image.width / image.height == pytest.approx(16 / 9, rel=0.02)


def test_optional_preview_clip(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "long.mp4", tmp_path, preview_seconds=1.0)
    preview = files_by_role(result)["preview"]
    assert_streamable_mp4(preview, max_side=1280, audio=False)
    (video,) = streams(preview, "video")
    assert float(video["duration"]) == pytest.approx(1.0, abs=0.1)


def test_recoverable_corruption_gives_a_copy_and_a_warning(
    samples: Samples, tmp_path: Path
) -> None:
    result = derive(samples, "glitchy.mp4", tmp_path)
    assert_streamable_mp4(files_by_role(result)["access"], max_side=1280, audio=False)
    assert result.warnings
    assert all("glitchy.mp4" in warning for warning in result.warnings)
    assert "decoding problems" in result.warnings[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zero.mp4", r"zero\.mp4: is empty \(duration 0 s\)"),
        ("truncated.mp4", r"truncated\.mp4: .*moov atom\) is missing: the file is truncated"),
        ("photo.mp4", r"photo\.mp4: is a still image \(jpeg_pipe\), not a video"),
        ("dead.mp4", r"dead\.mp4: ffmpeg failed: the data is not a readable audio or video"),
    ],
)
def test_bad_inputs_fail_clearly_and_leave_nothing(
    samples: Samples, tmp_path: Path, name: str, expected: str
) -> None:
    with pytest.raises(MediaError, match=expected) as caught:
        derive(samples, name, tmp_path)
    assert caught.value.subject == str(samples[name])
    assert len(caught.value.problem) <= 360
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_transcode_timeout_stops_and_cleans_up(samples: Samples, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="took longer than .* and was stopped"):
        derive(samples, "clip.mp4", tmp_path, timeout_base=0.01, timeout_per_second=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((1920, 1080), 1280, (1280, 720)),
        ((1080, 1920), 1280, (720, 1280)),
        ((640, 480), 1280, (640, 480)),
        ((321, 241), 1280, (320, 240)),
        ((1024, 576), 1280, (1024, 576)),
        ((4000, 3), 1280, (1280, 2)),
    ],
)
def test_fit_within(size: tuple[int, int], box: int, expected: tuple[int, int]) -> None:
    assert fit_within(*size, box) == expected


def test_result_fills_a_valid_record(samples: Samples, tmp_path: Path) -> None:
    result = derive(samples, "clip.mov", tmp_path)
    stored = {"key": "blobs/sha256/ab/cd/" + "ab" * 32, "sha256": "ab" * 32, "bytes": 1}
    record = minimal_record(
        media_type=result.media_type,
        technical=result.technical,
        files=[{**f.to_record(), **stored} for f in result.files],
    )
    validate_record(record)
    assert [f["role"] for f in record["files"]] == ["access", "poster", "thumbnail"]
    assert record["files"][0]["format"] == "H.264/AAC MP4"
