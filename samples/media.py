"""Make the sample collection's media: short clips, field recordings, a PDF booklet, a GBK
transcript and a ZIP bundle with GBK member names. All tiny (a few seconds, a few tens of KB).

Video is a slow pan across a scene drawn by scenes.py, with a pentatonic tune as its sound;
audio is the tune alone, or the tune over seeded pink noise for a "field recording". ffmpeg runs
single-threaded with bit-exact flags and no metadata, so the same ffmpeg build writes the same
bytes; the ZIP has fixed timestamps, the PDF no clock time.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import zipfile
from pathlib import Path

from booklet import build_booklet
from catalogue import Media
from PIL import Image
from scenes import SCENES

SUPERSAMPLE = 2
FRAME_RATE = 12
PAN = 1.3  # the drawn scene is this much larger than the frame; the camera pans across it
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
QUIET = ["-map_metadata", "-1", "-threads", "1"]
ZIP_TIME = (2023, 8, 14, 10, 0, 0)

# Container → encoder arguments. Low rates: these are demonstrations, not masters.
VIDEO_CODECS = {
    ".mp4": ["-c:v", "libx264", "-preset", "slow", "-crf", "30", "-c:a", "aac", "-b:a", "48k"],
    ".mov": ["-c:v", "libx264", "-preset", "slow", "-crf", "30", "-c:a", "aac", "-b:a", "48k"],
    ".mkv": ["-c:v", "libx264", "-preset", "slow", "-crf", "30", "-c:a", "libopus", "-b:a", "32k"],
}
AUDIO_CODECS = {
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "48k", "-ar", "22050"],
    ".flac": ["-c:a", "flac", "-sample_fmt", "s16", "-ar", "16000"],
    ".wav": ["-c:a", "pcm_s16le", "-ar", "16000"],
}


def make(media: Media, path: Path) -> None:
    """Write `media` at `path` (its folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    MAKERS[media.kind](media, path)


def draw(scene: str, size: tuple[int, int], seed: str) -> Image.Image:
    """A scene drawn at twice `size` and reduced (anti-aliased), like the photographs."""
    rng = random.Random(seed)
    big = SCENES[scene](rng, (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE))
    return big.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def tune_source(media: Media) -> list[str]:
    """ffmpeg input arguments for the tune: plucked notes, each fading before the next."""
    step = media.seconds / len(media.tune)
    frequency = "0"
    for index in reversed(range(len(media.tune))):
        frequency = f"if(lt(t,{(index + 1) * step:.4f}),{media.tune[index]:.2f},{frequency})"
    phase = f"mod(t,{step:.4f})"
    expression = f"0.3*sin(2*PI*({frequency})*t)*(1-exp(-80*{phase}))*exp(-3*{phase})"
    return ["-f", "lavfi", "-i", f"aevalsrc='{expression}':s=22050:d={media.seconds}"]


def video(media: Media, path: Path) -> None:
    width, height = media.size
    canvas = (round(width * PAN) // 2 * 2, round(height * PAN) // 2 * 2)
    with tempfile.TemporaryDirectory() as tmp:
        still = Path(tmp) / "scene.png"
        draw(media.scene, canvas, media.path).save(still)
        pan = f"crop={width}:{height}:x='(iw-ow)*t/{media.seconds}':y='(ih-oh)/2',format=yuv420p"
        ffmpeg(
            *["-loop", "1", "-framerate", str(FRAME_RATE), "-i", str(still)],
            *tune_source(media),
            *["-filter:v", pan, "-t", str(media.seconds), "-ac", "1"],
            *VIDEO_CODECS[path.suffix.lower()],
            str(path),
        )


def audio(media: Media, path: Path) -> None:
    sources = tune_source(media)
    mix: list[str] = []
    if media.field:  # wind over the steppe: seeded pink noise under the tune
        sources += ["-f", "lavfi", "-i", f"anoisesrc=d={media.seconds}:c=pink:a=0.05:seed=7"]
        mix = ["-filter_complex", "amix=inputs=2:duration=shortest:normalize=0"]
    ffmpeg(*sources, *mix, "-ac", "1", *AUDIO_CODECS[path.suffix.lower()], str(path))


def booklet(media: Media, path: Path) -> None:
    cover = draw(media.scene, media.size, media.path)
    info = dict(media.info)
    path.write_bytes(build_booklet(cover, info.get("Subject", ""), list(media.pages), info))


def transcript(media: Media, path: Path) -> None:
    path.write_bytes(media.text.encode(media.encoding))


class _GbkName(zipfile.ZipInfo):
    """A member whose name is written as GBK bytes with the UTF-8 flag (bit 11) clear."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits


def gbk_zip(media: Media, path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path, "w") as bundle:
        for member in media.members:
            made = Path(tmp) / member.path
            make(member, made)
            info = _GbkName(member.path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, made.read_bytes())


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args[:-1], *BITEXACT, *QUIET,
         args[-1]],
        check=True,
        timeout=300,
    )  # fmt: skip


MAKERS = {
    "video": video,
    "audio": audio,
    "booklet": booklet,
    "transcript": transcript,
    "gbk_zip": gbk_zip,
}
