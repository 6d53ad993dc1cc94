"""identify: the real format from the bytes, never from the name."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.errors import IdentifyError, UnsupportedFormat
from ingest.identify import identify, require_supported
from tests.unit.ingest import images


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
        "text is not a media file"
    )


def test_chinese_text_is_recognised_as_text(tmp_path: Path) -> None:
    path = tmp_path / "说明.png"
    path.write_bytes("这是一段说明文字，不是图片。".encode("gbk"))
    with pytest.raises(IdentifyError, match=r"^说明\.png: the file is plain text, not a PNG file"):
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
    ("head", "name", "kind"),
    [
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "MP4", "video"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "QuickTime MOV", "video"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom", "M4A", "audio"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF", "document"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "MP3", "audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "WAV", "audio"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP", "archive"),
    ],
)
def test_future_kinds_are_recognised_and_refused_clearly(
    tmp_path: Path, head: bytes, name: str, kind: str
) -> None:
    path = tmp_path / "item.bin"
    path.write_bytes(head + b"\x01" * 64)
    found = identify(path)
    assert (found.name, found.kind) == (name, kind)
    with pytest.raises(UnsupportedFormat) as caught:
        require_supported(found, "media/item.bin")
    assert str(caught.value).startswith(f"media/item.bin: this is a {name} {kind} file; ")
    assert "not" in caught.value.problem


def test_heif_brand_mif1_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + b"\x00" * 32)
    assert identify(path).kind == "image"


def test_avif_is_an_image(tmp_path: Path) -> None:
    path = tmp_path / "a.avif"
    Image.new("RGB", (16, 16), images.RED).save(path, "AVIF")
    assert (identify(path).name, identify(path).kind) == ("AVIF", "image")
