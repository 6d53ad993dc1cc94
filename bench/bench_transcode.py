"""Video stage cost against bare ffmpeg, and memory while storing a multi-gigabyte original.

1. On generated 1080p clips (testsrc2 + sine), the median wall time of the full
   `make_video_derivatives` (probe, access copy, poster, thumbnail) against the
   bare `ffmpeg` commands with identical settings (access copy; access copy + poster), run the
   same number of times, interleaved so load from other processes hits both alike.
2. Peak RSS of a fresh Python process while `LocalStore.put_blob` hashes and copies a sparse
   file of `--blob-gib` GiB (both files are deleted afterwards).

Run: .venv/bin/python bench/bench_transcode.py [--runs 3] [--seconds 10] [--blob-gib 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ingest.media.ffmpeg import TranscodeSettings
from ingest.media.video import fit_within, make_video_derivatives

SOURCE = "testsrc2=s=1920x1080:r=25:d={seconds}"
TONE = "sine=f=440:d={seconds}"
CLIPS: dict[str, list[str]] = {
    "1080p H.264/AAC MP4": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    # 50p woven into 25i: the field order says interlaced, so both sides run bwdif.
    "1080i MPEG-2 TS": [
        "-vf",
        "tinterlace=interleave_top",
        "-c:v",
        "mpeg2video",
        "-b:v",
        "15M",
        "-flags",
        "+ilme+ildct",
        "-top",
        "1",
        "-c:a",
        "mp2",
        "-f",
        "mpegts",
    ],
}
RSS_CHILD = """
import json, sys, time
from repository.local import LocalStore
def hwm():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))
before = hwm()
store = LocalStore(sys.argv[2])
start = time.perf_counter()
with open(sys.argv[1], 'rb') as handle:
    blob = store.put_blob(handle)
seconds = time.perf_counter() - start
print(json.dumps({'before_kib': before, 'peak_kib': hwm(), 'seconds': seconds, 'size': blob.size}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per side (median reported)")
    parser.add_argument("--seconds", type=float, default=10, help="clip length")
    parser.add_argument("--blob-gib", type=float, default=2, help="size of the stored file")
    args = parser.parse_args()
    settings = TranscodeSettings()
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        work = Path(tmp)
        print(
            f"ffmpeg: {_ffmpeg_version()}; {os.cpu_count()} cores; settings: "
            f"max_side={settings.max_side} crf={settings.crf} preset={settings.preset} "
            f"audio={settings.audio_bitrate}; median of {args.runs} runs\n"
        )
        for name, encode in CLIPS.items():
            clip = work / ("clip.ts" if "-f" in encode else "clip.mp4")
            _generate(clip, encode, args.seconds)
            _compare(name, clip, work / "out", settings, args.runs, args.seconds)
        _measure_rss(work, args.blob_gib)


def _compare(
    name: str, clip: Path, out: Path, settings: TranscodeSettings, runs: int, seconds: float
) -> None:
    interlaced = "MPEG-2" in name
    size = fit_within(1920, 1080, settings.max_side)
    filters = ("bwdif=mode=send_frame:deint=all," if interlaced else "") + (
        f"scale={size[0]}:{size[1]},setsar=1"
    )
    access = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(clip),
        "-map", "0:v:0", "-map", "0:a:0", "-vf", filters, "-c:v", "libx264",
        "-preset", settings.preset, "-crf", str(settings.crf), "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", settings.audio_bitrate,
        "-movflags", "+faststart", "-map_metadata", "-1", "-threads", str(settings.threads),
        "-max_muxing_queue_size", "1024", "-f", "mp4", str(out / "bare.mp4"),
    ]  # fmt: skip
    poster = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-ss", str(round(settings.poster_at * seconds, 3)), "-i", str(clip), "-map", "0:v:0",
        "-vf", filters, "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3", "-f", "image2",
        str(out / "bare.jpg"),
    ]  # fmt: skip
    out.mkdir(exist_ok=True)
    times: dict[str, list[tuple[float, float]]] = {"ours": [], "access": [], "both": []}
    for _ in range(runs):
        times["ours"].append(_timed(lambda: make_video_derivatives(clip, out, settings)))
        times["access"].append(_timed(lambda: subprocess.run(access, check=True)))
        times["both"].append(
            _timed(lambda: (subprocess.run(access, check=True), subprocess.run(poster, check=True)))
        )
    wall = {k: statistics.median(t[0] for t in v) for k, v in times.items()}
    cpu = {k: statistics.median(t[1] for t in v) for k, v in times.items()}
    print(f"{name}, {seconds:g} s → {size[0]}×{size[1]}   (wall s / CPU s)")
    rows = [("ours, full make_video_derivatives", "ours"),
            ("bare ffmpeg, access copy only", "access"),
            ("bare ffmpeg, access copy + poster", "both")]  # fmt: skip
    for label, key in rows:
        print(f"  {label:40} {wall[key]:7.2f} {cpu[key]:7.2f}")
    for label, key in rows[1:]:
        print(
            f"  ratio ours / {label.removeprefix('bare ffmpeg, '):26} "
            f"{wall['ours'] / wall[key]:7.2f} {cpu['ours'] / cpu[key]:7.2f}"
        )
    print()


def _measure_rss(work: Path, gib: float) -> None:
    source = work / "big.bin"
    with source.open("wb") as handle:  # sparse: costs no disk and reads back as zeros
        handle.truncate(int(gib * 1024**3))
    try:
        root = Path(__file__).resolve().parents[1]
        result = subprocess.run(
            [sys.executable, "-c", RSS_CHILD, str(source), str(work / "store")],
            check=True,
            capture_output=True,
            text=True,
            cwd=root,
        )
        figures = json.loads(result.stdout)
    finally:
        source.unlink()
        shutil.rmtree(work / "store", ignore_errors=True)
    rate = figures["size"] / figures["seconds"] / 1024**2
    print(
        f"LocalStore.put_blob of a {figures['size'] / 1024**3:.2f} GiB file: "
        f"{figures['seconds']:.1f} s ({rate:.0f} MiB/s, hash + copy + fsync)"
    )
    print(
        f"  peak RSS {figures['peak_kib'] / 1024:.1f} MiB "
        f"(after imports {figures['before_kib'] / 1024:.1f} MiB, "
        f"growth {(figures['peak_kib'] - figures['before_kib']) / 1024:.1f} MiB)"
    )


def _generate(clip: Path, encode: list[str], seconds: float) -> None:
    rate_source = SOURCE.replace("r=25", "r=50") if "tinterlace" in " ".join(encode) else SOURCE
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", rate_source.format(seconds=seconds),
         "-f", "lavfi", "-i", TONE.format(seconds=seconds), *encode, str(clip)],
        check=True,
    )  # fmt: skip


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process and its children, user + system)."""
    start, cpu = time.perf_counter(), _cpu()
    action()
    return time.perf_counter() - start, _cpu() - cpu


def _cpu() -> float:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _ffmpeg_version() -> str:
    first = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
    return first.split("\n", 1)[0].removeprefix("ffmpeg version ").split(" Copyright")[0]


if __name__ == "__main__":
    main()
