"""Video stage: an H.264/AAC MP4 access copy, a poster frame, a thumbnail, an optional preview.

The access copy streams in any browser: High profile, yuv420p, `+faststart` (index first),
longest side at most `max_side`, even dimensions, square pixels. ffmpeg applies the source's
display rotation itself before our filters, so the target size is computed in display
orientation. Interlaced sources are deinterlaced with bwdif: every frame when the field order
says interlaced, only decoder-flagged frames when the field order is unknown (DV tapes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg
from PIL import Image, ImageStat

from ingest.media.audio import make_audio_derivatives
from ingest.media.ffmpeg import (
    DerivedFile,
    MediaError,
    MediaResult,
    MediaTimeout,
    OnStage,
    Probe,
    Ran,
    TranscodeSettings,
    VideoStream,
    ignore_stage,
    part_path,
    probe,
    run,
    summarise,
)

ACCESS_FORMAT = "H.264/AAC MP4"
DARK_LUMA = 24  # mean luma (0-255) below which a poster candidate counts as black
LATER_POSTER_POSITIONS = (0.15, 0.3, 0.5, 0.7)
SHORTFALL_WARNING = 0.9  # warn when the copy keeps less than this share of the duration


def make_video_derivatives(
    src: Path, out_dir: Path, settings: TranscodeSettings, *, on_stage: OnStage | None = None
) -> MediaResult:
    """Probe `src` and write its access copy, poster, thumbnail (and preview) into `out_dir`.

    A file with only audio is handed to the audio stage. `on_stage` hears the name of each long
    step as it starts (for a progress display). Raises `MediaError` naming the file when it is
    not video, is empty, truncated, or cannot be decoded at all.
    """
    stage = on_stage or ignore_stage
    facts = probe(src)
    if facts.is_still_image:
        raise MediaError(src, f"is a still image ({facts.format_name}), not a video")
    if facts.video is None:
        if facts.audio is not None:
            return make_audio_derivatives(src, out_dir, settings, probed=facts, on_stage=on_stage)
        raise MediaError(src, "has no video or audio stream")
    duration = facts.require_duration()
    size = fit_within(*facts.video.display_size, settings.max_side)
    out_dir.mkdir(parents=True, exist_ok=True)
    access = out_dir / "access.mp4"
    stage(f"transcoding video ({duration:.0f} s)")
    ran = _encode(src, access, facts, settings, size, start=0, length=None)
    copy = _verified_copy(access, facts, size, ran)
    warnings = []
    if ran.errors:
        detail = summarise("\n".join(ran.errors), src)
        warnings.append(
            f"{src}: {len(ran.errors)} decoding problems skipped, the access copy may show "
            f"glitches ({detail})"
        )
    if copy.duration is not None and copy.duration < SHORTFALL_WARNING * duration:
        warnings.append(f"{src}: only {copy.duration:.1f} s of {duration:.1f} s could be decoded")
    stage("poster frame")
    poster, thumbnail, poster_time = _poster_and_thumbnail(src, out_dir, facts, settings, size)
    files = [copy, poster, thumbnail]
    if settings.preview_seconds is not None and duration > settings.preview_seconds:
        start = min(settings.poster_at * duration, duration - settings.preview_seconds)
        preview = out_dir / "preview.mp4"
        stage("preview clip")
        _encode(src, preview, facts, settings, size, start=start, length=settings.preview_seconds)
        files.append(
            DerivedFile(
                "preview",
                preview,
                "video/mp4",
                ACCESS_FORMAT,
                *size,
                duration=settings.preview_seconds,
            )
        )
    notes = [*_normalisation_notes(facts, size), f"poster frame taken at {poster_time:.2f} s"]
    return MediaResult("video", tuple(files), facts.technical(), tuple(notes), tuple(warnings))


def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Scale to fit a `max_side` box, never up, rounding each side down to an even number."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _normalisation_notes(facts: Probe, size: tuple[int, int]) -> list[str]:
    video = facts.video
    assert video is not None
    notes = [f"access copy H.264/AAC MP4 {size[0]}×{size[1]}"]
    if video.display_size != size:
        notes.append("scaled from {}×{}".format(*video.display_size))
    if video.rotation:
        notes.append(f"display rotation {video.rotation}° applied")
    if video.sample_aspect_ratio != 1:
        notes.append(f"pixel aspect {video.sample_aspect_ratio} made square")
    if video.deinterlace == "all":
        notes.append(f"deinterlaced with bwdif (field order {video.field_order})")
    elif video.deinterlace == "interlaced":
        notes.append("frames flagged interlaced deinterlaced with bwdif")
    if facts.audio is not None and facts.audio.channels > 2:
        notes.append(f"audio downmixed from {facts.audio.channels} to 2 channels")
    return notes


def _video_filters(stream: Any, video: VideoStream, size: tuple[int, int]) -> Any:
    if video.deinterlace is not None:
        stream = stream.filter("bwdif", mode="send_frame", deint=video.deinterlace)
    return stream.filter("scale", size[0], size[1]).filter("setsar", 1)


def _encode(
    src: Path,
    target: Path,
    facts: Probe,
    settings: TranscodeSettings,
    size: tuple[int, int],
    *,
    start: float,
    length: float | None,
) -> Ran:
    """One H.264/AAC MP4 of `size`: the whole file, or `length` seconds from `start`."""
    assert facts.video is not None and facts.duration is not None
    source = ffmpeg.input(str(src.resolve()), **({"ss": start} if start else {}))
    streams = [_video_filters(source[str(facts.video.index)], facts.video, size)]
    options: dict[str, Any] = {
        "vcodec": "libx264",
        "preset": settings.preset,
        "crf": settings.crf,
        "profile:v": "high",
        "pix_fmt": "yuv420p",
        "movflags": "+faststart",
        "map_metadata": -1,  # public copies carry no GPS or device tags; the record has facts
        "threads": settings.threads,
        "max_muxing_queue_size": 1024,  # sparse or late audio must not abort the mux
        "f": "mp4",
    }
    if facts.audio is not None:
        streams.append(source[str(facts.audio.index)])
        options |= {"acodec": "aac", "b:a": settings.audio_bitrate}
        if facts.audio.channels > 2:
            options["ac"] = 2
    if length is not None:
        options["t"] = length
    part = part_path(target)
    graph = ffmpeg.output(*streams, str(part), **options)
    timeout = settings.timeout_for(length or facts.duration)
    return run(graph, source=src, timeout=timeout, outputs={part: target})


def _verified_copy(access: Path, facts: Probe, size: tuple[int, int], ran: Ran) -> DerivedFile:
    """Describe the copy from what ffmpeg reports writing, refusing one without video frames.

    No ffprobe of the copy: the encoder's own count of frames and output length say the same
    for a fraction of the CPU, and the size is the one the scale filter was given.
    """
    if ran.frames == 0 or not ran.seconds:
        access.unlink(missing_ok=True)
        raise MediaError(facts.path, "no video could be decoded; the stream is unrecoverable")
    return DerivedFile(
        "access", access, "video/mp4", ACCESS_FORMAT, *size, duration=round(ran.seconds, 3)
    )


def _poster_and_thumbnail(
    src: Path, out_dir: Path, facts: Probe, settings: TranscodeSettings, size: tuple[int, int]
) -> tuple[DerivedFile, DerivedFile, float]:
    """A poster a few percent in, skipping near-black frames, and a thumbnail made from it."""
    assert facts.video is not None and facts.duration is not None
    poster = out_dir / "poster.jpg"
    brightest, taken_at = -1.0, 0.0
    for fraction in (settings.poster_at, *LATER_POSTER_POSITIONS):
        at = round(fraction * facts.duration, 3)
        candidate = out_dir / f"poster-{fraction:g}.jpg"
        frame = _video_filters(
            ffmpeg.input(str(src.resolve()), ss=at)[str(facts.video.index)], facts.video, size
        )
        part = part_path(candidate)
        graph = ffmpeg.output(
            frame, str(part), vframes=1, vcodec="mjpeg", q=3, f="image2", threads=settings.threads
        )
        try:
            run(graph, source=src, timeout=settings.timeout_base, outputs={part: candidate})
        except MediaTimeout:
            raise
        except MediaError:
            continue  # seeking past the last decodable frame yields nothing; try elsewhere
        luma = _mean_luma(candidate)
        if luma > brightest:
            brightest, taken_at = luma, at
            candidate.replace(poster)
        else:
            candidate.unlink()
        if luma >= DARK_LUMA:
            break
    if brightest < 0:
        raise MediaError(src, "no frame could be decoded for a poster image")
    thumbnail = out_dir / "thumbnail.jpg"
    with Image.open(poster) as image:
        image.thumbnail(
            (settings.thumbnail_side, settings.thumbnail_side), Image.Resampling.LANCZOS
        )
        part = part_path(thumbnail)
        image.save(part, "JPEG", quality=85, optimize=True)
        part.replace(thumbnail)
        thumb_size = image.size
    return (
        DerivedFile("poster", poster, "image/jpeg", "JPEG", *size),
        DerivedFile("thumbnail", thumbnail, "image/jpeg", "JPEG", *thumb_size),
        taken_at,
    )


def _mean_luma(path: Path) -> float:
    with Image.open(path) as image:
        return float(ImageStat.Stat(image.convert("L")).mean[0])
