"""The one place that runs ffprobe and ffmpeg.

Commands are built with `ffmpeg-python` and run here with `subprocess`, so every call has a
timeout scaled to the media's duration, a runaway process group is killed, and half-written
outputs never survive: ffmpeg writes to a `.part` name that is renamed only on success. A worker
process may also hand in a cancel event (`cancel_when`): an interrupted ingest run sets it and
every running ffmpeg stops within `CANCEL_POLL` seconds instead of finishing a long transcode.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, Protocol

import ffmpeg

from ingest.errors import ItemError
from schemas.errors import InvalidInput

PROBE_TIMEOUT = 30.0
CANCEL_POLL = 0.5  # seconds between looks at the cancel event while ffmpeg runs
SUMMARY_LIMIT = 300
INTERLACED_FIELD_ORDERS = frozenset({"tt", "bb", "tb", "bt"})
# ffmpeg's own wording of fatal errors → what it means for an archivist.
_HINTS = {
    "moov atom not found": "the MP4/MOV index (moov atom) is missing: the file is truncated "
    "or its recording was never finished",
    "Invalid data found when processing input": "the data is not a readable audio or video stream",
}
_ADDRESS = re.compile(r" @ 0x[0-9a-f]+\]")

OnStage = Callable[[str], None]
"""Told the name of each long step (transcoding, poster frame …) as it starts."""


def ignore_stage(stage: str) -> None:
    """The stage callback when nobody listens."""


class MediaError(ItemError):
    """A file ffmpeg cannot turn into access copies; the message names the file and why."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(str(path), problem)


class MediaTimeout(MediaError):
    """ffmpeg ran past its time limit and was stopped."""


class MediaCancelled(MediaError):
    """The ingest run was interrupted while ffmpeg ran; it was stopped."""


class _Cancel(Protocol):
    def is_set(self) -> bool: ...


_cancel: _Cancel | None = None


def cancel_when(event: _Cancel | None) -> None:
    """Stop every later ffmpeg/ffprobe call in this process once `event` is set."""
    global _cancel
    _cancel = event


@dataclass(frozen=True)
class TranscodeSettings:
    """How access copies are made. Defaults suit a laptop; override from configuration."""

    max_side: int = 1280
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    audio_format: Literal["m4a", "mp3"] = "m4a"
    poster_at: float = 0.05  # fraction of the duration
    preview_seconds: float | None = None  # None: no preview clip
    threads: int = 0  # per ffmpeg process; 0 lets ffmpeg choose
    thumbnail_side: int = 400
    waveform_size: tuple[int, int] = (1200, 200)
    waveform_colour: str = "0x7a1f1f"  # dark cinnabar red, reads as ink on a light page
    timeout_base: float = 60.0  # seconds every ffmpeg call may take...
    timeout_per_second: float = 4.0  # ...plus this much per second of media

    def __post_init__(self) -> None:
        problems = []
        if self.max_side < 16:
            problems.append(f"max_side must be at least 16, got {self.max_side}")
        if not 0 <= self.crf <= 51:
            problems.append(f"crf must be 0..51, got {self.crf}")
        if self.audio_format not in ("m4a", "mp3"):
            problems.append(f"audio_format must be 'm4a' or 'mp3', got {self.audio_format!r}")
        if not 0 <= self.poster_at < 1:
            problems.append(f"poster_at must be a fraction in [0, 1), got {self.poster_at}")
        if self.preview_seconds is not None and self.preview_seconds <= 0:
            problems.append(f"preview_seconds must be positive, got {self.preview_seconds}")
        if self.threads < 0:
            problems.append(f"threads must be 0 (auto) or more, got {self.threads}")
        if self.timeout_base <= 0 or self.timeout_per_second < 0:
            problems.append("timeout_base must be positive and timeout_per_second not negative")
        if problems:
            raise InvalidInput("invalid transcode settings: " + "; ".join(problems))

    def timeout_for(self, duration: float) -> float:
        return self.timeout_base + self.timeout_per_second * duration


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    width: int
    height: int
    frame_rate: float | None
    rotation: int  # display rotation in degrees, 0/90/180/270 (ffmpeg applies it itself)
    field_order: str | None  # progressive, tt, bb, tb, bt, unknown
    pixel_format: str | None
    sample_aspect_ratio: Fraction  # 1 when square or unknown

    @property
    def deinterlace(self) -> Literal["all", "interlaced"] | None:
        """Which frames to deinterlace: all when the field order says interlaced; when it is
        unknown (DV, some MPEG-2) only frames the decoder flags; none when progressive."""
        if self.field_order in INTERLACED_FIELD_ORDERS:
            return "all"
        return None if self.field_order == "progressive" else "interlaced"

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: pixel aspect and rotation applied."""
        width = max(1, round(self.width * self.sample_aspect_ratio))
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    channels: int
    sample_rate: int | None
    bit_rate: int | None


@dataclass(frozen=True)
class Probe:
    path: Path
    format_name: str  # ffprobe's demuxer list, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    format_long_name: str  # e.g. "QuickTime / MOV"
    duration: float | None
    bit_rate: int | None
    video: VideoStream | None  # first real video stream (cover pictures are not video)
    audio: AudioStream | None  # first audio stream

    @property
    def is_still_image(self) -> bool:
        return self.format_name == "image2" or self.format_name.endswith("_pipe")

    def require_duration(self) -> float:
        """The duration in seconds; `MediaError` when it is unknown or zero."""
        if self.duration is None:
            raise MediaError(self.path, "its duration cannot be read; the file may be damaged")
        if self.duration <= 0:
            raise MediaError(self.path, "is empty (duration 0 s): there is nothing to transcode")
        return self.duration

    def technical(self) -> dict[str, Any]:
        """Probe facts for the record's `technical` object (display orientation, no Nones)."""
        facts: dict[str, Any] = {
            "format": self.format_long_name or self.format_name,
            "container": self.format_name,
            "duration": None if self.duration is None else round(self.duration, 3),
            "bit_rate": self.bit_rate,
        }
        if self.video is not None:
            width, height = self.video.display_size
            facts |= {
                "width": width,
                "height": height,
                "video_codec": self.video.codec,
                "frame_rate": self.video.frame_rate,
                "pixel_format": self.video.pixel_format,
                "field_order": self.video.field_order,
                "rotation": self.video.rotation or None,
            }
        if self.audio is not None:
            facts |= {
                "audio_codec": self.audio.codec,
                "audio_channels": self.audio.channels,
                "sample_rate": self.audio.sample_rate,
                "audio_bit_rate": self.audio.bit_rate,
            }
        return {key: value for key, value in facts.items() if value is not None}


@dataclass(frozen=True)
class DerivedFile:
    """One file made from the original, ready for the pipeline to store and describe."""

    role: Literal["access", "poster", "thumbnail", "preview", "waveform"]
    path: Path
    media_type: str  # IANA type, e.g. video/mp4
    format: str  # e.g. "H.264/AAC MP4"
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    def to_record(self) -> dict[str, Any]:
        """The record's `files` entry without what storing adds (key, sha256, bytes)."""
        entry = {key: value for key, value in asdict(self).items() if value is not None}
        del entry["path"]
        return entry


@dataclass(frozen=True)
class MediaResult:
    """What the video or audio stage made: derived files, record facts, what happened."""

    media_type: Literal["video", "audio"]  # the record's media_type
    files: tuple[DerivedFile, ...]
    technical: dict[str, Any]  # for the record's `technical` (schema keys plus codec details)
    notes: tuple[str, ...] = ()  # what normalisation did, for the provenance event
    warnings: tuple[str, ...] = ()  # problems recovered from (the event's outcome: warning)


def probe(path: Path, *, timeout: float = PROBE_TIMEOUT) -> Probe:
    """Read container and stream facts with ffprobe; unreadable files raise `MediaError`."""
    if not path.is_file():
        raise MediaError(path, "the file does not exist")
    args = [
        "ffprobe",
        "-v",
        "error",
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        str(path.resolve()),
    ]
    returncode, stdout, stderr = _execute(args, path, timeout, capture_stdout=True)
    if returncode != 0:
        raise MediaError(path, "cannot read it as audio or video: " + _explain(stderr, path))
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise MediaError(path, f"ffprobe gave unreadable output: {exc}") from None
    return _parse_probe(path, data)


@dataclass(frozen=True)
class Ran:
    """What a successful ffmpeg run reports (its `-progress` lines): enough to check the output
    without probing it again."""

    errors: list[str]  # error lines logged while still succeeding (recovered decoding errors)
    frames: int  # video frames written (0 for audio or pictures-only outputs)
    seconds: float | None  # length of the output, None when ffmpeg did not say


def part_path(target: Path) -> Path:
    """The temporary name ffmpeg writes `target` under (same directory, same extension)."""
    return target.with_name(f".{target.stem}.part{target.suffix}")


def run(
    stream: ffmpeg.nodes.OutputStream,
    *,
    source: Path,
    timeout: float,
    outputs: Mapping[Path, Path],
) -> Ran:
    """Run an ffmpeg graph; rename each `.part` output to its target on success.

    Returns the recovered errors and what ffmpeg says it wrote (frames, length), so callers
    need no second ffprobe of the output. On failure or timeout every `.part` output is removed
    and `MediaError` is raised.
    """
    args = stream.global_args(
        "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1"
    ).compile(overwrite_output=True)
    try:
        returncode, stdout, stderr = _execute(args, source, timeout, capture_stdout=True)
        if returncode != 0:
            raise MediaError(source, "ffmpeg failed: " + _explain(stderr, source))
        missing = [part for part in outputs if not part.is_file() or part.stat().st_size == 0]
        if missing:
            raise MediaError(
                source,
                "ffmpeg produced no output (no decodable frames or samples)"
                + (f": {summarise(stderr, source)}" if stderr.strip() else ""),
            )
    except BaseException:
        for part in outputs:
            part.unlink(missing_ok=True)
        raise
    for part, target in outputs.items():
        os.replace(part, target)
    progress = _last_progress(stdout)
    frames = _integer(progress.get("frame")) or 0
    out_us = _integer(progress.get("out_time_us"))
    seconds = out_us / 1e6 if out_us is not None and out_us > 0 else None
    return Ran(meaningful_lines(stderr, source), frames, seconds)


def _last_progress(stdout: str) -> dict[str, str]:
    """The last value of each key in ffmpeg's `-progress` lines: its final report."""
    block: dict[str, str] = {}
    for line in stdout.splitlines():
        key, _, value = line.partition("=")
        block[key.strip()] = value.strip()
    return block


def summarise(stderr: str, path: Path, limit: int = SUMMARY_LIMIT) -> str:
    """The last distinct meaningful stderr lines, at most `limit` characters."""
    lines = meaningful_lines(stderr, path)
    if not lines:
        return "no error message from ffmpeg"
    picked: list[str] = []
    for line in reversed(lines):
        if line in picked:
            continue
        if picked and len("; ".join([line, *picked])) > limit:
            break
        picked.insert(0, line)
    text = "; ".join(picked)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _explain(stderr: str, path: Path) -> str:
    """A fatal error's summary, led by a plain-language hint when ffmpeg's wording is known."""
    hint = next((meaning for needle, meaning in _HINTS.items() if needle in stderr), None)
    if hint is None:
        return summarise(stderr, path)
    return f"{hint} ({summarise(stderr, path, SUMMARY_LIMIT - len(hint) - 3)})"


def meaningful_lines(stderr: str, path: Path) -> list[str]:
    """Stderr lines without blanks, repeat notices or memory addresses; paths shortened."""
    lines = []
    for raw in stderr.splitlines():
        line = _ADDRESS.sub("]", raw.strip())
        if not line or line.startswith("Last message repeated"):
            continue
        lines.append(line.replace(str(path.resolve()), path.name).replace(str(path), path.name))
    return lines


def _execute(
    args: list[str], path: Path, timeout: float, *, capture_stdout: bool
) -> tuple[int, str, str]:
    """Run in a new process group, killing the whole group if `timeout` passes or the cancel
    event is set."""
    _check_cancel(args, path)
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise MediaError(path, f"{args[0]} is not installed (needed for audio and video)") from None
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                stdout, stderr = process.communicate(timeout=max(0.0, min(left, CANCEL_POLL)))
                break
            except subprocess.TimeoutExpired:
                _check_cancel(args, path)
                if left <= CANCEL_POLL:
                    raise MediaTimeout(
                        path, f"{args[0]} took longer than {timeout:.1f} s and was stopped"
                    ) from None
    except BaseException:
        _kill_group(process)
        raise
    return (
        process.returncode,
        (stdout or b"").decode("utf-8", "replace"),
        stderr.decode("utf-8", "replace"),
    )


def _check_cancel(args: list[str], path: Path) -> None:
    if _cancel is not None and _cancel.is_set():
        raise MediaCancelled(path, f"{args[0]} stopped: the ingest run was interrupted")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _parse_probe(path: Path, data: dict[str, Any]) -> Probe:
    fmt = data.get("format", {})
    video = audio = None
    for stream in data.get("streams", []):
        kind = stream.get("codec_type")
        if (
            kind == "video"
            and video is None
            and not stream.get("disposition", {}).get("attached_pic")
        ):
            video = _video_stream(stream)
        elif kind == "audio" and audio is None:
            audio = _audio_stream(stream)
    return Probe(
        path=path,
        format_name=fmt.get("format_name", ""),
        format_long_name=fmt.get("format_long_name", ""),
        duration=_number(fmt.get("duration")),
        bit_rate=_integer(fmt.get("bit_rate")),
        video=video,
        audio=audio,
    )


def _video_stream(stream: dict[str, Any]) -> VideoStream | None:
    width, height = _integer(stream.get("width")), _integer(stream.get("height"))
    if not width or not height:
        return None
    return VideoStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", "unknown"),
        width=width,
        height=height,
        frame_rate=_frame_rate(stream),
        rotation=_rotation(stream),
        field_order=stream.get("field_order"),
        pixel_format=stream.get("pix_fmt"),
        sample_aspect_ratio=_ratio(stream.get("sample_aspect_ratio")),
    )


def _audio_stream(stream: dict[str, Any]) -> AudioStream:
    return AudioStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", "unknown"),
        channels=_integer(stream.get("channels")) or 0,
        sample_rate=_integer(stream.get("sample_rate")),
        bit_rate=_integer(stream.get("bit_rate")),
    )


def _rotation(stream: dict[str, Any]) -> int:
    """Display-matrix side data first (ffmpeg ≥ 5), then the older `rotate` tag."""
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    tag = stream.get("tags", {}).get("rotate")
    return round(float(tag)) % 360 if tag else 0


def _frame_rate(stream: dict[str, Any]) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _ratio(stream.get(key), default=Fraction(0))
        if rate > 0:
            return round(float(rate), 3)
    return None


def _ratio(text: str | None, default: Fraction = Fraction(1)) -> Fraction:
    """ffprobe writes aspect ratios as `16:15` and rates as `30000/1001`."""
    try:
        numerator, denominator = (int(part) for part in re.split("[:/]", str(text)))
    except ValueError:
        return default
    return Fraction(numerator, denominator) if numerator > 0 and denominator > 0 else default


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
