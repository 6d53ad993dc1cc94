"""CPU of our video stage against the same bare commands: ffprobe, access copy, poster.

On the generated clips of bench_transcode.py (1080p H.264/AAC MP4, 1080i MPEG-2 TS), takes turns
`--runs` times between

  ours  `make_video_derivatives` (probe, access copy, poster, thumbnail), as the ingest runs it
  bare  the commands a person would type for the same result: one `ffprobe` of the source, the
        access-copy `ffmpeg` and the poster `ffmpeg`, with identical settings, via subprocess

and prints the median CPU seconds of the child processes (`resource.getrusage(RUSAGE_CHILDREN)`,
user + system), the ratio ours / bare, how many ffprobe and ffmpeg processes each side started,
and ours' own in-process CPU (thumbnail, brightness check) beside it.

    .venv/bin/python bench/bench_transcode_cpu.py [--runs 5] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_transcode import CLIPS, _ffmpeg_version, _generate  # noqa: E402

from ingest.media import ffmpeg as media_ffmpeg  # noqa: E402
from ingest.media.ffmpeg import TranscodeSettings, probe  # noqa: E402
from ingest.media.video import fit_within, make_video_derivatives  # noqa: E402


def bare_commands(clip: Path, out: Path, settings: TranscodeSettings) -> list[list[str]]:
    """ffprobe, access copy and poster exactly as our stage configures them for `clip`."""
    facts = probe(clip)
    assert facts.video is not None and facts.audio is not None and facts.duration
    video = facts.video
    size = fit_within(*video.display_size, settings.max_side)
    deinterlace = f"bwdif=mode=send_frame:deint={video.deinterlace}," if video.deinterlace else ""
    filters = f"{deinterlace}scale={size[0]}:{size[1]},setsar=1"
    quiet = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    return [
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(clip)],
        [
            "ffmpeg", *quiet, "-i", str(clip), "-map", f"0:{video.index}",
            "-map", f"0:{facts.audio.index}", "-vf", filters, "-c:v", "libx264",
            "-preset", settings.preset, "-crf", str(settings.crf), "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", settings.audio_bitrate,
            "-movflags", "+faststart", "-map_metadata", "-1", "-threads", str(settings.threads),
            "-max_muxing_queue_size", "1024", "-f", "mp4", str(out / "bare.mp4"),
        ],
        [
            "ffmpeg", *quiet, "-ss", str(round(settings.poster_at * facts.duration, 3)),
            "-i", str(clip), "-map", f"0:{video.index}", "-vf", filters, "-frames:v", "1",
            "-c:v", "mjpeg", "-q:v", "3", "-threads", str(settings.threads), "-f", "image2",
            str(out / "bare.jpg"),
        ],
    ]  # fmt: skip


def cpu_of(action: Callable[[], object]) -> tuple[float, float]:
    """CPU seconds (user + system) of the child processes `action` ran, and of this process."""
    before = [resource.getrusage(w) for w in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
    action()
    after = [resource.getrusage(w) for w in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
    children, own = (
        a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    return children, own


def started_by_ours(clip: Path, out: Path, settings: TranscodeSettings) -> Counter[str]:
    """Which tools one run of our stage starts."""
    started: Counter[str] = Counter()
    real = media_ffmpeg._execute

    def counting(args: list[str], *rest: Any, **options: Any) -> Any:
        started[args[0]] += 1
        return real(args, *rest, **options)

    media_ffmpeg._execute = counting
    try:
        make_video_derivatives(clip, out, settings)
    finally:
        media_ffmpeg._execute = real
    return started


def compare(name: str, clip: Path, out: Path, settings: TranscodeSettings, runs: int) -> float:
    out.mkdir(exist_ok=True)
    commands = bare_commands(clip, out, settings)

    def bare() -> None:
        for command in commands:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    started = started_by_ours(clip, out, settings)  # also the warm-up of both sides
    bare()
    ours_cpu, own_cpu, bare_cpu = [], [], []
    for _ in range(runs):
        children, own = cpu_of(lambda: make_video_derivatives(clip, out, settings))
        ours_cpu.append(children)
        own_cpu.append(own)
        bare_cpu.append(cpu_of(bare)[0])
    ours, bare_median = statistics.median(ours_cpu), statistics.median(bare_cpu)
    print(f"{name}")
    print(
        f"  ours  child CPU {ours:6.2f} s  ({started['ffprobe']} ffprobe, "
        f"{started['ffmpeg']} ffmpeg; in-process {statistics.median(own_cpu):.2f} s)"
    )
    print(f"  bare  child CPU {bare_median:6.2f} s  (1 ffprobe, 2 ffmpeg)")
    print(
        f"  ours / bare     {ours / bare_median:6.3f}×   "
        f"(per run: {', '.join(f'{o / b:.3f}' for o, b in zip(ours_cpu, bare_cpu, strict=True))})"
    )
    return ours / bare_median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per side (median reported)")
    parser.add_argument("--seconds", type=float, default=10, help="clip length")
    args = parser.parse_args()
    settings = TranscodeSettings()
    print(
        f"ffmpeg {_ffmpeg_version()}; {os.cpu_count()} cores; max_side={settings.max_side} "
        f"crf={settings.crf} preset={settings.preset}; median of {args.runs} runs; "
        f"load {os.getloadavg()[0]:.2f}\n"
    )
    with tempfile.TemporaryDirectory(prefix="bench-transcode-cpu-") as tmp:
        work = Path(tmp)
        for name, encode in CLIPS.items():
            clip = work / ("clip.ts" if "-f" in encode else "clip.mp4")
            _generate(clip, encode, args.seconds)
            compare(f"{name}, {args.seconds:g} s", clip, work / "out", settings, args.runs)


if __name__ == "__main__":
    main()
