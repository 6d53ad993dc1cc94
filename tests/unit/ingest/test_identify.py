"""identify: the real format from the bytes, never from the name."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.errors import DocumentError, IdentifyError, UnsupportedFormat
from ingest.identify import (
    JPEG,
    M4A,
    MARKDOWN,
    MP4,
    MULTIPAGE_TIFF,
    PNG,
    TAR,
    TEXT,
    TIFF,
    Format,
    identify,
    name_mismatch,
    require_supported,
    tiff_pages,
)
from tests.unit.support import images
from tests.unit.support.samples import Samples


@pytest.mark.parametrize(
    ("fmt", "expected", "mime"),
    [
        ("JPEG", "JPEG", "image/jpeg"),
        ("PNG", "PNG", "image/png"),
        ("TIFF", "TIFF", "image/tiff"),
        ("WEBP", "WebP", "image/webp"),
        ("GIF", "GIF", "image/gif"),
        ("BMP", "BMP", "image/bmp"),
        ("HEIF", "HEIC", "image/heic"),
        ("JPEG2000", "JPEG 2000", "image/jp2"),
    ],
)
def test_images_are_identified_whatever_their_name(
    tmp_path: Path, fmt: str, expected: str, mime: str
) -> None:
    path = tmp_path / "misnamed.txt"  # the extension must not matter
    images.halves((40, 20), images.RED, images.BLUE).save(path, fmt)
    found = identify(path)
    assert (found.name, found.mime, found.kind) == (expected, mime, "image")
    require_supported(found, "misnamed.txt")


def test_text_named_jpg_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    with pytest.raises(IdentifyError) as caught:
        identify(path, "album/photo.jpg")
    assert str(caught.value) == (
        "album/photo.jpg: the file is plain text, not a JPEG file as its name says; "
        "text is ingested only as a transcript named .txt or .md"
    )


def test_chinese_text_is_recognised_as_text(tmp_path: Path) -> None:
    path = tmp_path / "说明.png"
    path.write_bytes("这是一段说明文字，不是图片。".encode("gbk"))
    with pytest.raises(IdentifyError, match=r"^说明\.png: the file is plain text, not a PNG file"):
        identify(path)


@pytest.mark.parametrize(
    ("name", "encoding", "expected"),
    [("唱词.txt", "gbk", TEXT), ("notes.md", "utf-8", MARKDOWN), ("记录.TXT", "utf-8-sig", TEXT)],
)
def test_transcripts_are_text_by_name_and_content(
    tmp_path: Path, name: str, encoding: str, expected: Format
) -> None:
    path = tmp_path / name
    path.write_bytes("乌力格尔唱词：英雄格斯尔\n第二段".encode(encoding))
    assert identify(path) == expected
    assert expected.kind == "text"


def test_binary_named_txt_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "transcript.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IdentifyError, match=r"unknown file format .*, not a text file"):
        identify(path)


def test_a_latin1_transcript_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """ExifTool's t/images/Text2.txt: "this é is Latin1", é as the one byte E9."""
    path = tmp_path / "transcript.txt"
    path.write_bytes("this é is Latin1\r\n".encode("latin-1"))
    with pytest.raises(IdentifyError) as caught:
        identify(path)
    assert str(caught.value).startswith("transcript.txt: the text is neither UTF-8 nor GBK (")
    assert "save the transcript as UTF-8" in str(caught.value)


def test_latin1_bytes_named_otherwise_are_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.bin"
    path.write_bytes("this é is Latin1\r\n".encode("latin-1"))
    with pytest.raises(IdentifyError, match=r"^notes\.bin: unknown file format"):
        identify(path)


@pytest.mark.parametrize("name", ["logo.svg", "drawing.xml"])
def test_an_svg_drawing_is_refused_as_a_drawing_not_as_text(tmp_path: Path, name: str) -> None:
    """libvips' test-suite logo.svg opens with an XML declaration, then `<svg` and a line break."""
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- 剪纸图样 -->\n'
        '<svg\n   xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>\n'
    )
    with pytest.raises(IdentifyError) as caught:
        identify(path)
    assert str(caught.value) == (
        f"{name}: it is an SVG drawing (vector graphics), which is not ingested; export it as "
        "PNG or PDF and ingest that"
    )


def test_utf16_transcript_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "transcript.txt"
    path.write_text("唱词", encoding="utf-16")
    with pytest.raises(IdentifyError, match="UTF-16; save the transcript as UTF-8"):
        identify(path)


def test_zero_byte_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    with pytest.raises(IdentifyError, match=r"^empty\.jpg: the file is empty \(0 bytes\)"):
        identify(path)


def test_unknown_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blob.jpg"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(IdentifyError, match=r"^blob\.jpg: unknown file format \(first bytes 00 01"):
        identify(path)


@pytest.mark.parametrize(
    ("sample", "name", "kind"),
    [
        ("clip.mp4", "MP4", "video"),
        ("clip.mov", "QuickTime MOV", "video"),
        ("clip.mkv", "Matroska", "video"),
        ("clip.webm", "WebM", "video"),
        ("clip.avi", "AVI", "video"),
        ("clip.mts", "MPEG transport stream", "video"),
        ("interlaced.mts", "MPEG transport stream", "video"),
        ("tone.wav", "WAV", "audio"),
        ("tone.flac", "FLAC", "audio"),
        ("tone.mp3", "MP3", "audio"),
        ("covered.mp3", "MP3", "audio"),
        ("tone.m4a", "M4A", "audio"),
        ("tone.ogg", "Ogg Vorbis", "audio"),
        ("tone.opus", "Ogg Opus", "audio"),
    ],
)
def test_real_media_files_are_identified_from_their_bytes(
    samples: Samples, tmp_path: Path, sample: str, name: str, kind: str
) -> None:
    path = tmp_path / "renamed.bin"  # the name must not matter
    path.write_bytes(samples[sample].read_bytes())
    found = identify(path)
    assert (found.name, found.kind) == (name, kind)
    require_supported(found, "renamed.bin")


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "MP4", "video"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "QuickTime MOV", "video"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom", "M4A", "audio"),
        (b"\x00\x00\x01\xba\x44\x00\x04\x00", "MPEG program stream", "video"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", "AAC", "audio"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF", "document"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "MP3", "audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "WAV", "audio"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP", "archive"),
        (b"BZh91AY&SY", "bzip2", "archive"),
        (b"\xfd7zXZ\x00\x00\x04", "xz", "archive"),
    ],
)
def test_signatures(tmp_path: Path, head: bytes, name: str, kind: str) -> None:
    path = tmp_path / "item.bin"
    path.write_bytes(head + b"\x01" * 64)
    found = identify(path)
    assert (found.name, found.kind) == (name, kind)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("7-Zip", "7-Zip archives are not unpacked; re-pack it as ZIP or TAR"),
        ("ZIP", "ZIP-packaged document (Office Open XML, OpenDocument or EPUB)"),
        ("gzip", "compressed file that holds no TAR archive"),
    ],
)
def test_archives_that_reach_a_worker_are_refused_clearly(name: str, reason: str) -> None:
    fmt = Format(name, "application/octet-stream", "archive")
    with pytest.raises(UnsupportedFormat) as caught:
        require_supported(fmt, "box/item.bin")
    assert str(caught.value).startswith(f"box/item.bin: this is a {name} file; ")
    assert reason in caught.value.problem


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        # the first bytes of ExifTool's t/images/CanonRaw.cr3, FujiFilm.raf and Panasonic.rw2
        ("IMG_0001.CR3", b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "Canon CR3"),
        ("DSCF0001.RAF", b"FUJIFILMCCD-RAW 0201FF383501", "Fujifilm RAF"),
        ("P1000001.RW2", b"IIU\x00\x18\x00\x00\x00\x88\xe7t\xd8", "Panasonic RW2"),
        ("P0000001.ORF", b"IIRO\x08\x00\x00\x00", "Olympus ORF"),
    ],
)
def test_camera_raw_files_no_reader_opens_are_named_with_what_to_do(
    tmp_path: Path, name: str, head: bytes, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes(head + bytes(600))
    with pytest.raises(IdentifyError) as caught:
        identify(path)
    assert str(caught.value) == (
        f"{name}: it is a {kind} camera raw file, which this repository does not decode; "
        "export a TIFF or JPEG from it and ingest that (and keep the raw file)"
    )


def test_a_tar_without_the_ustar_magic_is_a_tar() -> None:
    """Pillow's hopper.tar (a V7 header: no magic, a checksum that holds), not "unknown"."""
    pillow = Path(__file__).parents[2] / "fixtures" / "pillow"
    assert identify(pillow / "hopper.tar") is TAR


def test_transport_stream_needs_sync_bytes_at_every_packet(tmp_path: Path) -> None:
    packets = bytearray(b"\x47" + bytes(187)) * 20
    path = tmp_path / "a.ts"
    path.write_bytes(bytes(packets))
    assert identify(path).name == "MPEG transport stream"
    packets[188 * 7] = 0  # one lost sync byte: not a transport stream
    path.write_bytes(bytes(packets))
    with pytest.raises(IdentifyError):
        identify(path)


def test_multipage_tiff_is_a_document_single_page_an_image(tmp_path: Path) -> None:
    pages = [images.halves((60, 80), images.RED, images.BLUE) for _ in range(3)]
    booklet, single = tmp_path / "booklet.tif", tmp_path / "page.tif"
    pages[0].save(booklet, "TIFF", save_all=True, append_images=pages[1:])
    pages[0].save(single, "TIFF")
    assert (identify(booklet).kind, identify(booklet).mime) == ("document", "image/tiff")
    assert identify(single).kind == "image"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # Pillow's, on the way
def test_a_tiff_whose_page_directory_points_past_the_end_is_read_as_its_first_page(
    tmp_path: Path,
) -> None:
    """Pillow counts its pages with a TypeError ("Missing dimensions"): the page count names
    the damage, and the file goes on as the one-page image it surely holds. Before, the
    TypeError escaped `identify` and every check that calls it (a public contribution's too)."""
    broken = images.broken_booklet(tmp_path / "booklet.tif")
    with pytest.raises(DocumentError, match="booklet.tif: the TIFF's page directory is damaged"):
        tiff_pages(broken)
    assert identify(broken, "scans/booklet.tif") == TIFF


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("a/clip.mp4", JPEG, "a/clip.mp4: its name (.mp4) says video, but its bytes are JPEG"),
        ("scan.pdf", PNG, "scan.pdf: its name (.pdf) says PDF file, but its bytes are PNG"),
        ("song.mp3", MP4, "song.mp3: its name (.mp3) says audio, but its bytes are MP4 (video)"),
    ],
)
def test_a_name_of_another_kind_is_a_warning(name: str, fmt: Format, expected: str) -> None:
    warning = name_mismatch(fmt, name)
    assert warning is not None and warning.startswith(expected)
    assert warning.endswith(f"ingested as the {fmt.kind} it is")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.mov", MP4), ("b.jpg", PNG), ("booklet.tif", MULTIPAGE_TIFF), ("x.mp4", M4A), ("y", JPEG)],
)
def test_names_of_the_same_kind_or_unknown_are_not_warned_about(name: str, fmt: Format) -> None:
    assert name_mismatch(fmt, name) is None


def test_heif_brand_mif1_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + b"\x00" * 32)
    assert identify(path).kind == "image"


def test_avif_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "a.avif"
    Image.new("RGB", (16, 16), images.RED).save(path, "AVIF")
    assert (identify(path).name, identify(path).kind) == ("AVIF", "image")
