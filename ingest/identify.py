"""Identify a file's real format from its first bytes (magic numbers), never from its extension.

Archivists' folders hold misnamed files (a `.jpg` that is a saved web page, a `.mov` renamed
`.mp4`), so the extension is only used to word the error when the bytes disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingest.errors import IdentifyError, UnsupportedFormat

Kind = Literal["image", "video", "audio", "document", "archive"]

SUPPORTED_KINDS: frozenset[Kind] = frozenset({"image"})
"""Kinds the pipeline ingests today; the others are recognised and refused with a clear reason."""

HEAD_BYTES = 4096


@dataclass(frozen=True)
class Format:
    name: str  # JPEG, PNG, HEIF, MP4 …
    mime: str
    kind: Kind


JPEG = Format("JPEG", "image/jpeg", "image")
PNG = Format("PNG", "image/png", "image")
GIF = Format("GIF", "image/gif", "image")
TIFF = Format("TIFF", "image/tiff", "image")
WEBP = Format("WebP", "image/webp", "image")
BMP = Format("BMP", "image/bmp", "image")
HEIF = Format("HEIF", "image/heif", "image")
HEIC = Format("HEIC", "image/heic", "image")
AVIF = Format("AVIF", "image/avif", "image")
JP2 = Format("JPEG 2000", "image/jp2", "image")
PDF = Format("PDF", "application/pdf", "document")
MP4 = Format("MP4", "video/mp4", "video")
MOV = Format("QuickTime MOV", "video/quicktime", "video")
M4A = Format("M4A", "audio/mp4", "audio")
AVI = Format("AVI", "video/x-msvideo", "video")
MKV = Format("Matroska/WebM", "video/x-matroska", "video")
MPEG_PS = Format("MPEG program stream", "video/mpeg", "video")
WAV = Format("WAV", "audio/wav", "audio")
MP3 = Format("MP3", "audio/mpeg", "audio")
FLAC = Format("FLAC", "audio/flac", "audio")
OGG = Format("Ogg", "audio/ogg", "audio")
ZIP = Format("ZIP", "application/zip", "archive")
TAR = Format("TAR", "application/x-tar", "archive")
GZIP = Format("gzip", "application/gzip", "archive")
SEVEN_Z = Format("7-Zip", "application/x-7z-compressed", "archive")
RAR = Format("RAR", "application/vnd.rar", "archive")

_PREFIXES: tuple[tuple[bytes, Format], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
    (b"BM", BMP),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", JP2),
    (b"\xffO\xffQ", JP2),  # raw JPEG 2000 codestream
    (b"%PDF-", PDF),
    (b"\x1aE\xdf\xa3", MKV),
    (b"\x00\x00\x01\xba", MPEG_PS),
    (b"ID3", MP3),
    (b"fLaC", FLAC),
    (b"OggS", OGG),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # empty ZIP
    (b"\x1f\x8b", GZIP),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_Z),
    (b"Rar!\x1a\x07", RAR),
)

_RIFF_TYPES = {b"WEBP": WEBP, b"AVI ": AVI, b"WAVE": WAV}

# ISO base media file format brands (ftyp box): HEIF stills, AVIF, MP4/MOV video, M4A audio.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"F4A "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

_MEDIA_SUFFIXES = {
    f".{suffix}": name
    for name, suffixes in {
        "JPEG": ("jpg", "jpeg", "jpe", "jfif"),
        "PNG": ("png",),
        "TIFF": ("tif", "tiff"),
        "GIF": ("gif",),
        "WebP": ("webp",),
        "BMP": ("bmp",),
        "HEIC/HEIF": ("heic", "heif", "hif"),
        "AVIF": ("avif",),
        "JPEG 2000": ("jp2", "j2k", "jpf"),
        "PDF": ("pdf",),
        "video": ("mp4", "m4v", "mov", "avi", "mkv", "webm", "mpg", "mpeg"),
        "audio": ("mp3", "wav", "flac", "ogg", "m4a", "aac"),
        "ZIP": ("zip",),
        "TAR": ("tar", "tgz", "gz"),
    }.items()
    for suffix in suffixes
}

_NOT_YET = {
    "video": "video ingest is not supported yet (only images are ingested for now)",
    "audio": "audio ingest is not supported yet (only images are ingested for now)",
    "document": "document ingest is not supported yet (only images are ingested for now)",
    "archive": "archives are not unpacked yet; unpack it and ingest the folder",
}


def sniff(head: bytes) -> Format | None:
    """The format these leading bytes announce, or None when no signature matches."""
    for prefix, fmt in _PREFIXES:
        if head.startswith(prefix):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] in _RIFF_TYPES:
        return _RIFF_TYPES[head[8:12]]
    if head[4:8] == b"ftyp":
        return _iso_bmff(head)
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if len(head) > 262 and head[257:262] == b"ustar":
        return TAR
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return MP3  # MPEG audio frame sync without an ID3 tag
    return None


def _iso_bmff(head: bytes) -> Format:
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, min(box_size, len(head)), 4)}
    # The major brand decides; compatible brands only break ties (an MP4 may list mif1).
    for group, fmt in ((_AVIF_BRANDS, AVIF), (_HEIC_BRANDS, HEIC), (_HEIF_BRANDS, HEIF)):
        if major in group:
            return fmt
    if major in _AUDIO_BRANDS:
        return M4A
    if major == b"qt  ":
        return MOV
    if brands & _HEIC_BRANDS and not brands & {b"isom", b"mp41", b"mp42", b"avc1"}:
        return HEIC
    return MP4


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 text has NULs
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the read boundary
                return True
    return False


def identify(path: Path, name: str | None = None) -> Format:
    """Read the first bytes of `path`; raise IdentifyError naming the file when they are unusable.

    `name` is how the archivist knows the file (its relative path); defaults to the file name.
    """
    shown = name or path.name
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        raise IdentifyError(shown, "the file is empty (0 bytes); it may have failed to copy")
    fmt = sniff(head)
    if fmt is not None:
        return fmt
    claimed = _MEDIA_SUFFIXES.get(path.suffix.lower())
    pretends = f", not a {claimed} file as its name says" if claimed else ""
    if _looks_like_text(head):
        raise IdentifyError(shown, f"the file is plain text{pretends}; text is not a media file")
    raise IdentifyError(
        shown,
        f"unknown file format (first bytes {head[:8].hex(' ')}){pretends}; "
        "it is no image or other media format this repository reads",
    )


def require_supported(fmt: Format, name: str) -> None:
    """Refuse recognised formats of kinds the pipeline does not ingest yet."""
    if fmt.kind not in SUPPORTED_KINDS:
        raise UnsupportedFormat(name, f"this is a {fmt.name} {fmt.kind} file; {_NOT_YET[fmt.kind]}")
