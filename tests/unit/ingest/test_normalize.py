"""normalize: each kind reaches its maker, and what comes back is named as the archivist knows."""

from __future__ import annotations

import shutil
import threading
import warnings
from pathlib import Path

import pytest

from ingest.errors import ItemError
from ingest.identify import identify
from ingest.media import ffmpeg
from ingest.media.ffmpeg import MediaCancelled, MediaError, TranscodeSettings
from ingest.normalize import normalize
from ingest.task import Settings
from schemas import validate_record
from tests.unit.support import images
from tests.unit.support.pdfs import Page, build_pdf
from tests.unit.support.records import minimal_record
from tests.unit.support.samples import Samples

SETTINGS = Settings(max_pixels=10_000_000, transcode=TranscodeSettings(preset="ultrafast"))


def run(path: Path, relpath: str, out: Path, stages: list[str] | None = None):  # noqa: ANN201
    fmt = identify(path, relpath)
    return normalize(path, relpath, fmt, out, SETTINGS, stages.append if stages else None)


@pytest.mark.parametrize(
    ("sample", "media_type", "roles"),
    [
        ("clip.mov", "video", ["access", "poster", "thumbnail"]),
        ("tone.opus", "audio", ["access", "waveform"]),
        ("silent.mp4", "video", ["access", "poster", "thumbnail"]),
    ],
)
def test_audio_and_video_fill_a_valid_record(
    samples: Samples, tmp_path: Path, sample: str, media_type: str, roles: list[str]
) -> None:
    stages = ["start"]
    made = run(samples[sample], f"av/{sample}", tmp_path / "out", stages)
    assert made.media_type == media_type
    assert [m.entry["role"] for m in made.derived] == roles
    assert all(m.path.is_file() for m in made.derived)
    assert made.original["duration"] > 0 and made.technical["duration"] > 0
    assert stages[1].startswith(f"transcoding {media_type}")
    stored = {"key": "blobs/sha256/ab/cd/" + "ab" * 32, "sha256": "ab" * 32, "bytes": 1}
    original = {"role": "original", "media_type": "video/mp4", **stored, **made.original}
    record = minimal_record(
        media_type=made.media_type,
        technical=made.technical,
        files=[original, *({**m.entry, **stored} for m in made.derived)],
    )
    validate_record(record)


def test_audio_only_mp4_becomes_an_audio_item(samples: Samples, tmp_path: Path) -> None:
    path = tmp_path / "interview.mp4"
    shutil.copyfile(samples["tone.m4a"], path)
    made = normalize(path, "interview.mp4", identify(path), tmp_path / "out", SETTINGS)
    assert made.media_type == "audio"


def test_documents_and_transcripts(tmp_path: Path) -> None:
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(build_pdf([Page("one"), Page("two")], info={"Title": "唱本"}))
    made = run(pdf, "docs/b.pdf", tmp_path / "pdf")
    assert (made.media_type, made.original) == ("document", {"pages": 2})
    assert made.technical["title"] == "唱本" and made.text == "one\n\ntwo"
    roles = [(m.entry["role"], m.entry.get("page")) for m in made.derived]
    assert roles == [("access", None), ("thumbnail", None), ("page", 1), ("page", 2)]
    assert made.derived[2].path == made.derived[0].path  # page 1 is the access copy
    assert made.text_pages == [0, 5]

    txt = tmp_path / "唱词.txt"
    txt.write_bytes("第一段".encode("gbk"))
    made = run(txt, "docs/唱词.txt", tmp_path / "txt")
    assert (made.media_type, made.text, made.derived) == ("text", "第一段", [])

    tiff = tmp_path / "scan.tif"
    pages = [images.halves((40, 60), images.RED, images.BLUE)] * 2
    pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:])
    made = run(tiff, "docs/scan.tif", tmp_path / "tif")
    assert made.media_type == "document" and made.original == {
        "width": 40,
        "height": 60,
        "pages": 2,
    }
    assert [m.entry.get("page") for m in made.derived if m.entry["role"] == "page"] == [1, 2]


def test_errors_and_warnings_name_the_relative_path_not_the_scratch_copy(
    samples: Samples, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch" / "unpacked-x" / "bundle.zip"
    scratch.mkdir(parents=True)
    for name in ("truncated.mp4", "glitchy.mp4"):
        shutil.copyfile(samples[name], scratch / name)
    with pytest.raises(MediaError) as caught:
        run(scratch / "truncated.mp4", "a/bundle.zip/truncated.mp4", tmp_path / "t")
    assert caught.value.subject == "a/bundle.zip/truncated.mp4"
    assert str(scratch) not in str(caught.value)
    made = run(scratch / "glitchy.mp4", "a/bundle.zip/glitchy.mp4", tmp_path / "g")
    assert made.warnings and all(
        w.startswith("a/bundle.zip/glitchy.mp4: ") and str(scratch) not in w for w in made.warnings
    )


def test_corrupt_pdf_is_an_item_error_naming_the_file(tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7\nnothing else")
    with pytest.raises(ItemError, match=r"^docs/x\.pdf: the PDF is corrupt or truncated"):
        run(pdf, "docs/x.pdf", tmp_path / "out")


def test_a_set_cancel_event_stops_ffmpeg_calls(samples: Samples, tmp_path: Path) -> None:
    event = threading.Event()
    event.set()
    ffmpeg.cancel_when(event)
    try:
        with pytest.raises(MediaCancelled, match="ingest run was interrupted"):
            run(samples["long.mp4"], "long.mp4", tmp_path / "out")
    finally:
        ffmpeg.cancel_when(None)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


PILLOW_IMAGES = Path(__file__).parents[2] / "fixtures" / "pillow"
EXIFTOOL_IMAGES = Path(__file__).parents[2] / "fixtures" / "exiftool"


def test_a_dng_is_kept_with_its_preview_as_the_copies_and_a_warning(tmp_path: Path) -> None:
    normalized = run(EXIFTOOL_IMAGES / "DNG.dng", "raw/DNG.dng", tmp_path / "out")

    assert normalized.media_type == "image"
    assert normalized.technical["camera"] == "Canon EOS 350D DIGITAL"
    assert [w.split(":")[0] for w in normalized.warnings] == ["a DNG camera raw file"]
    assert "a preview of 8×8 pixels and its full picture is not decoded" in normalized.warnings[0]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("hopper_bad_exif.jpg", "Corrupt EXIF data. Expecting to read 12 bytes but only got 2."),
        (
            "sugarshack_bad_mpo_header.jpg",
            "Image appears to be a malformed MPO file, it will be interpreted as a base JPEG file",
        ),
    ],
)
def test_a_decoders_warning_is_the_files_warning(tmp_path: Path, name: str, said: str) -> None:
    """Pillow warns of some damage it decodes past; the file's warning says so, naming it in
    the report, every time (not once per process), and nothing is passed on to be printed."""
    source = tmp_path / name
    shutil.copyfile(PILLOW_IMAGES / name, source)
    with warnings.catch_warnings(record=True) as passed_on:
        warnings.simplefilter("always")
        made = [run(source, f"box/{name}", tmp_path / f"out{n}") for n in range(2)]
    for normalized in made:
        assert [w for w in normalized.warnings if w.startswith("the decoder warned: ")] == [
            f"the decoder warned: {said}"
        ]
    assert [str(w.message) for w in passed_on] == []
