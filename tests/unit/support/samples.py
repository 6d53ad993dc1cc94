"""Small real media files made with ffmpeg's lavfi sources, and independent checks of outputs.

The checks call ffprobe/ffmpeg directly (not our wrapper) so they judge our code from outside.
"""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

VIDEO = ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1"]
TONE = ["-f", "lavfi", "-i", "sine=f=440:d=1"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast"]
# 50 progressive frames woven into 25 interlaced ones: real combing that a deinterlacer removes.
WOVEN = ["-f", "lavfi", "-i", "testsrc2=s=720x576:r=50:d=1"]
STEREO_TONE = [
    "-f",
    "lavfi",
    "-i",
    "sine=f=330:d=1.5,aformat=channel_layouts=stereo",
    "-ar",
    "48000",
]
# A tone fading in over 1.5 s, so its waveform must grow from left to right.
FADE_IN = ["-f", "lavfi", "-i", "sine=f=330:d=1.5,volume='t/1.5':eval=frame"]

RECIPES: dict[str, list[str]] = {
    "clip.mp4": [*VIDEO, *TONE, *X264, "-c:a", "aac"],
    "clip.mov": [*VIDEO, *TONE, *X264, "-c:a", "pcm_s16le"],
    "clip.mkv": [*VIDEO, *TONE, "-c:v", "ffv1", "-c:a", "flac"],
    "clip.avi": [*VIDEO, *TONE, "-c:v", "mpeg4", "-c:a", "libmp3lame"],
    "clip.mts": [*VIDEO, *TONE, *X264, "-c:a", "aac", "-f", "mpegts"],
    "clip.webm": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
    ],
    "long.mp4": ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", *X264],
    "silent.mp4": [*VIDEO, *X264],
    "odd.mkv": [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=1,scale=321:241",
        *X264,
        "-pix_fmt",
        "yuv444p",
    ],
    "hd.mp4": ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=25:d=0.5", *X264],
    "interlaced.mts": [
        *WOVEN,
        *TONE,
        "-vf",
        "tinterlace=interleave_top",
        "-c:v",
        "mpeg2video",
        "-b:v",
        "4M",
        "-flags",
        "+ilme+ildct",
        "-top",
        "1",
        "-c:a",
        "mp2",
    ],
    "tape.dv": [
        *WOVEN,
        *STEREO_TONE,
        "-vf",
        "tinterlace=interleave_bottom",
        "-target",
        "pal-dv",
        "-aspect",
        "16:9",
    ],
    "dark-start.mp4": [
        "-f",
        "lavfi",
        "-i",
        "color=black:s=320x240:r=25:d=1.2",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=25:d=0.8",
        "-filter_complex",
        "[0:v][1:v]concat=n=2:v=1:a=0",
        *X264,
    ],
    "tone.wav": [*STEREO_TONE],
    "tone.flac": [*STEREO_TONE],
    "tone.mp3": [*STEREO_TONE],
    "tone.m4a": [*STEREO_TONE],
    "tone.ogg": [*STEREO_TONE, "-c:a", "libvorbis"],
    "tone.opus": [*STEREO_TONE],
    "surround.wav": ["-f", "lavfi", "-i", "sine=d=1,aformat=channel_layouts=5.1"],
    "fade-in.flac": [*FADE_IN],
}


class Samples:
    """Makes each sample once per test session, on first use."""

    def __init__(self, root: Path):
        self.root = root
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    def _make(self, name: str) -> Path:
        path = self.root / name
        if name in RECIPES:
            ffmpeg(*RECIPES[name], str(path))
        elif name == "rotated.mp4":
            ffmpeg(
                "-i", str(self["clip.mp4"]), "-c", "copy", "-metadata:s:v", "rotate=90", str(path)
            )
        elif name == "covered.mp3":  # an MP3 with cover art: a picture stream, still audio
            ffmpeg(
                "-i",
                str(self["tone.mp3"]),
                "-i",
                str(self["frame.jpg"]),
                "-map",
                "0",
                "-map",
                "1",
                "-c",
                "copy",
                "-disposition:v",
                "attached_pic",
                str(path),
            )
        elif name == "frame.jpg":
            ffmpeg(*VIDEO, "-frames:v", "1", str(path))
        elif name == "photo.mp4":  # a JPEG with a video name
            path.write_bytes(self["frame.jpg"].read_bytes())
        elif name == "zero.mp4":
            ffmpeg("-i", str(self["clip.mp4"]), "-c", "copy", "-t", "0", str(path))
        elif name == "truncated.mp4":  # the moov index sits at the end and is cut off
            path.write_bytes(self["clip.mp4"].read_bytes()[:20_000])
        elif name == "glitchy.mp4":
            data = bytearray(self["long.mp4"].read_bytes())
            _scramble(data, len(data) // 3, len(data) // 3 + len(data) // 10)
            path.write_bytes(data)
        elif name == "dead.mp4":  # every media byte scrambled, the index intact
            data = bytearray(self["clip.mp4"].read_bytes())
            _scramble(data, data.index(b"mdat") + 68, data.index(b"moov") - 4)
            path.write_bytes(data)
        else:
            raise KeyError(name)
        return path


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120
    )


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return json.loads(out)


def streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind]


def top_level_boxes(path: Path) -> list[str]:
    """The MP4 top-level box types in file order (to see whether moov precedes mdat)."""
    kinds = []
    data = path.read_bytes()
    position = 0
    while position + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[position + 8 : position + 16])
        elif size == 0:
            size = len(data) - position
        kinds.append(kind.decode("latin-1"))
        position += size
    return kinds


def interlace_counts(path: Path) -> dict[str, int]:
    """ffmpeg's idet verdicts (TFF, BFF, Progressive, Undetermined) over every frame."""
    result = subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-vf",
            "idet",
            "-f",
            "null",
            "-",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = next(ln for ln in result.stderr.splitlines() if "Multi frame detection" in ln)
    return {k: int(v) for k, v in re.findall(r"(\w+):\s+(\d+)", line.split("detection:")[1])}


def _scramble(data: bytearray, start: int, end: int) -> None:
    noise = random.Random(7)
    for index in range(start, end):
        data[index] = noise.randrange(256)
