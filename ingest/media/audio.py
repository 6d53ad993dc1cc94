"""Audio stage: an AAC/M4A (or MP3) access copy and a waveform picture for the catalogue page.

Inputs are anything ffmpeg decodes: WAV, FLAC, MP3, M4A/AAC, OGG/Vorbis, Opus. A cover picture
embedded in the file is not video and is ignored; so is the picture of a video handed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg

from ingest.media.ffmpeg import (
    DerivedFile,
    MediaError,
    MediaResult,
    OnStage,
    Probe,
    TranscodeSettings,
    ignore_stage,
    part_path,
    probe,
    run,
    summarise,
)

# audio_format → (file suffix, ffmpeg muxer, encoder, media type, format label)
_FORMATS = {
    "m4a": (".m4a", "ipod", "aac", "audio/mp4", "AAC M4A"),
    "mp3": (".mp3", "mp3", "libmp3lame", "audio/mpeg", "MP3"),
}


def make_audio_derivatives(
    src: Path,
    out_dir: Path,
    settings: TranscodeSettings,
    *,
    probed: Probe | None = None,
    on_stage: OnStage | None = None,
) -> MediaResult:
    """Probe `src` (unless `probed` is given) and write its access copy and waveform PNG.

    `on_stage` hears the name of each long step as it starts. Raises `MediaError` naming the
    file when it has no audio, is empty or cannot be decoded.
    """
    stage = on_stage or ignore_stage
    facts = probed or probe(src)
    if facts.is_still_image:
        raise MediaError(src, f"is a still image ({facts.format_name}), not audio")
    if facts.audio is None:
        raise MediaError(src, "has no audio stream")
    duration = facts.require_duration()
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix, muxer, encoder, media_type, label = _FORMATS[settings.audio_format]
    access = out_dir / f"access{suffix}"
    source = ffmpeg.input(str(src.resolve()))[str(facts.audio.index)]
    options: dict[str, Any] = {
        "acodec": encoder,
        "b:a": settings.audio_bitrate,
        "map_metadata": -1,
        "f": muxer,
    }
    if muxer == "ipod":
        options["movflags"] = "+faststart"
    if facts.audio.channels > 2:
        options["ac"] = 2
    part = part_path(access)
    timeout = settings.timeout_for(duration)
    stage(f"transcoding audio ({duration:.0f} s)")
    ran = run(
        ffmpeg.output(source, str(part), **options),
        source=src,
        timeout=timeout,
        outputs={part: access},
    )
    if not ran.seconds:  # ffmpeg's own report of the copy's length: no second ffprobe
        access.unlink(missing_ok=True)
        raise MediaError(src, "no audio could be decoded; the stream is unrecoverable")
    stage("waveform")
    waveform = _waveform(src, out_dir, facts, settings, timeout)
    warnings = []
    if ran.errors:
        detail = summarise("\n".join(ran.errors), src)
        warnings.append(
            f"{src}: {len(ran.errors)} decoding problems skipped, the access copy may have gaps "
            f"({detail})"
        )
    notes = [f"access copy {label} {settings.audio_bitrate}b/s"]
    if facts.audio.channels > 2:
        notes.append(f"downmixed from {facts.audio.channels} to 2 channels")
    access_file = DerivedFile("access", access, media_type, label, duration=round(ran.seconds, 3))
    return MediaResult(
        "audio", (access_file, waveform), facts.technical(), tuple(notes), tuple(warnings)
    )


def _waveform(
    src: Path, out_dir: Path, facts: Probe, settings: TranscodeSettings, timeout: float
) -> DerivedFile:
    """One mono peak waveform on a transparent background, drawn in the catalogue's ink red."""
    assert facts.audio is not None
    width, height = settings.waveform_size
    picture = (
        ffmpeg.input(str(src.resolve()))[str(facts.audio.index)]
        .filter("aformat", channel_layouts="mono")
        .filter(
            "showwavespic",
            s=f"{width}x{height}",
            colors=settings.waveform_colour,
            scale="sqrt",
            filter="peak",
        )
    )
    target = out_dir / "waveform.png"
    part = part_path(target)
    run(
        ffmpeg.output(picture, str(part), vframes=1, vcodec="png", f="image2"),
        source=src,
        timeout=timeout,
        outputs={part: target},
    )
    return DerivedFile("waveform", target, "image/png", "PNG", width, height)
