"""Identify a file's real format from its first bytes (magic numbers), never from its extension.

Archivists' folders hold misnamed files (a `.jpg` that is a saved web page, a `.mov` renamed
`.mp4`), so the extension only words an error, or a warning when the bytes are of another kind
than the name says (a `.mp4` that is a JPEG is ingested as the image it is, and its record says
so). Two kinds need more than a signature: a TIFF with several pages is a document (a scanned
booklet), one page an image; and text is a transcript only when it is named `.txt` or `.md`
AND its bytes are UTF-8 or GBK text.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from PIL import Image

from ingest.errors import DocumentError, IdentifyError, UnsupportedFormat

Kind = Literal["image", "video", "audio", "document", "text", "archive"]
AV_KINDS: frozenset[Kind] = frozenset({"video", "audio"})
"""The kinds ffmpeg makes (the lanes and the progress display treat them apart)."""

HEAD_BYTES = 4096
TAR_BLOCK = 512
TS_PACKET = 188
M2TS_PACKET = 192  # AVCHD/Blu-ray .mts: a 4-byte timestamp before each TS packet
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})


@dataclass(frozen=True)
class Format:
    name: str  # JPEG, PNG, HEIF, MP4 …
    mime: str
    kind: Kind


JPEG = Format("JPEG", "image/jpeg", "image")
PNG = Format("PNG", "image/png", "image")
GIF = Format("GIF", "image/gif", "image")
TIFF = Format("TIFF", "image/tiff", "image")
MULTIPAGE_TIFF = Format("multi-page TIFF", "image/tiff", "document")
WEBP = Format("WebP", "image/webp", "image")
BMP = Format("BMP", "image/bmp", "image")
HEIF = Format("HEIF", "image/heif", "image")
HEIC = Format("HEIC", "image/heic", "image")
AVIF = Format("AVIF", "image/avif", "image")
JP2 = Format("JPEG 2000", "image/jp2", "image")
PDF = Format("PDF", "application/pdf", "document")
TEXT = Format("plain text", "text/plain", "text")
MARKDOWN = Format("Markdown", "text/markdown", "text")
MP4 = Format("MP4", "video/mp4", "video")
MOV = Format("QuickTime MOV", "video/quicktime", "video")
M4A = Format("M4A", "audio/mp4", "audio")
AVI = Format("AVI", "video/x-msvideo", "video")
MKV = Format("Matroska", "video/x-matroska", "video")
WEBM = Format("WebM", "video/webm", "video")
MPEG_PS = Format("MPEG program stream", "video/mpeg", "video")
MPEG_TS = Format("MPEG transport stream", "video/mp2t", "video")
OGG_VIDEO = Format("Ogg Theora", "video/ogg", "video")
WAV = Format("WAV", "audio/wav", "audio")
MP3 = Format("MP3", "audio/mpeg", "audio")
AAC = Format("AAC", "audio/aac", "audio")
FLAC = Format("FLAC", "audio/flac", "audio")
OGG = Format("Ogg Vorbis", "audio/ogg", "audio")
OPUS = Format("Ogg Opus", "audio/ogg", "audio")
ZIP = Format("ZIP", "application/zip", "archive")
TAR = Format("TAR", "application/x-tar", "archive")
GZIP = Format("gzip", "application/gzip", "archive")
BZIP2 = Format("bzip2", "application/x-bzip2", "archive")
XZ = Format("xz", "application/x-xz", "archive")
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
    (b"\x00\x00\x01\xba", MPEG_PS),
    (b"ID3", MP3),
    (b"fLaC", FLAC),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # empty ZIP
    (b"\x1f\x8b", GZIP),
    (b"BZh", BZIP2),
    (b"\xfd7zXZ\x00", XZ),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_Z),
    (b"Rar!\x1a\x07", RAR),
)

_RIFF_TYPES = {b"WEBP": WEBP, b"AVI ": AVI, b"WAVE": WAV}
# The codec's identification header opens the first Ogg page's payload (offset 28).
_OGG_CODECS = {b"OpusHead": OPUS, b"\x80theora": OGG_VIDEO, b"\x01vorbis": OGG, b"\x7fFLAC": OGG}

# ISO base media file format brands (ftyp box): HEIF stills, AVIF, MP4/MOV video, M4A audio.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"F4A "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

# What a file's name claims: (how to call it, the kinds its bytes may be without surprise).
_NAMED: dict[str, tuple[str, frozenset[Kind]]] = {
    f".{suffix}": (label, frozenset(cast(set[Kind], kinds)))
    for label, kinds, suffixes in (
        ("JPEG", {"image"}, ("jpg", "jpeg", "jpe", "jfif")),
        ("PNG", {"image"}, ("png",)),
        ("TIFF", {"image", "document"}, ("tif", "tiff")),
        ("GIF", {"image"}, ("gif",)),
        ("WebP", {"image"}, ("webp",)),
        ("BMP", {"image"}, ("bmp",)),
        ("HEIC/HEIF", {"image"}, ("heic", "heif", "hif")),
        ("AVIF", {"image"}, ("avif",)),
        ("JPEG 2000", {"image"}, ("jp2", "j2k", "jpf")),
        ("PDF", {"document"}, ("pdf",)),
        ("text", {"text"}, ("txt", "text", "md", "markdown")),
        ("video", {"video", "audio"}, ("mp4", "m4v", "mov", "mkv", "webm", "ogv")),
        ("video", {"video"}, ("avi", "mpg", "mpeg", "vob", "ts", "mts", "m2ts", "3gp")),
        ("audio", {"audio"}, ("mp3", "wav", "flac", "m4a", "aac", "opus", "oga")),
        ("audio", {"audio", "video"}, ("ogg",)),
        ("ZIP", {"archive"}, ("zip",)),
        ("TAR", {"archive"}, ("tar", "tgz", "gz", "bz2", "xz", "tbz2", "txz")),
    )
    for suffix in suffixes
}

_NOT_INGESTED = {
    "ZIP": "it is a ZIP-packaged document (Office Open XML, OpenDocument or EPUB), which is not "
    "ingested; save it as PDF and ingest that",
    "gzip": "it is a compressed file that holds no TAR archive; only TAR archives are unpacked",
    "bzip2": "it is a compressed file that holds no TAR archive; only TAR archives are unpacked",
    "xz": "it is a compressed file that holds no TAR archive; only TAR archives are unpacked",
    "7-Zip": "7-Zip archives are not unpacked; re-pack it as ZIP or TAR",
    "RAR": "RAR archives are not unpacked; re-pack it as ZIP or TAR",
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
    if head.startswith(b"\x1aE\xdf\xa3"):  # EBML: its DocType says Matroska or WebM
        return WEBM if b"webm" in head[:64] else MKV
    if head.startswith(b"OggS"):
        return next((f for sig, f in _OGG_CODECS.items() if head[28:].startswith(sig)), OGG)
    if _transport_stream(head):
        return MPEG_TS
    if is_tar(head):
        return TAR
    if len(head) > 1 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return AAC  # ADTS frame: sync, MPEG-4/2 id, layer 0
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06 in (0x02, 0x04):
            # MPEG audio frame sync without an ID3 tag, layer III or II (layer I is unseen in
            # the wild, and its bits would match a UTF-16 byte-order mark, FF FE).
            return MP3
    return None


_CAMERA_RAW_PREFIXES = (
    (b"FUJIFILMCCD-RAW", "Fujifilm RAF"),
    (b"IIU\x00", "Panasonic RW2"),
    (b"IIRO", "Olympus ORF"),
    (b"IIRS", "Olympus ORF"),
    (b"MMOR", "Olympus ORF"),
)


def _camera_raw(head: bytes) -> str | None:
    """Camera raw formats that no TIFF or video reader here opens: by their own signatures, and
    Canon's CR3 by its ISO-BMFF brand (without it, an MP4 with no stream ffmpeg can decode).
    A raw that begins as a TIFF (DNG, NEF, ARW…) is read as one, for its preview
    (`ingest.media.image`)."""
    for prefix, name in _CAMERA_RAW_PREFIXES:
        if head.startswith(prefix):
            return name
    if head[4:12] == b"ftypcrx ":
        return "Canon CR3"
    return None


def is_tar(head: bytes) -> bool:
    """A TAR archive's first header: POSIX's "ustar" magic, or a member name and a header
    checksum that holds, as `tarfile` checks it: what a V7 or early GNU tar writes (no magic)."""
    if head[257:262] == b"ustar":
        return True
    digits = head[148:156].split(b"\0", 1)[0].strip()
    if len(head) < TAR_BLOCK or not head[0] or not digits or digits.strip(b"01234567"):
        return False
    # the checksum field itself counts as eight spaces; old tars summed signed bytes
    unsigned = 8 * 0x20 + sum(head[:148]) + sum(head[156:TAR_BLOCK])
    signed = unsigned - 256 * sum(b > 0x7F for b in head[:TAR_BLOCK])
    return int(digits, 8) in (unsigned, signed)


def _transport_stream(head: bytes) -> bool:
    """Sync byte 0x47 at every packet start (188 bytes, or 192 with timestamps), 3+ packets."""
    for packet, offset in ((TS_PACKET, 0), (M2TS_PACKET, 4)):
        starts = range(offset, len(head), packet)
        if len(starts) >= 3 and all(head[i] == 0x47 for i in starts):
            return True
    return False


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


def _is_text(head: bytes) -> bool:
    """UTF-8 or GBK/GB18030 bytes (a character cut by the read boundary is fine)."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:
                return True
    return False


_SVG = re.compile(rb"<svg[\s>]", re.IGNORECASE)
"""An SVG root element, after whatever XML declaration, comments or doctype come first."""
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")


def _is_legacy_text(head: bytes) -> bool:
    """Text in a single-byte encoding (Latin-1, Windows-1252…): no control characters but
    line breaks and tabs, and mostly ASCII; UTF-8 and GBK are told apart before this."""
    if any(b < 0x20 and b not in _TEXT_CONTROLS or b == 0x7F for b in head):
        return False
    return sum(b < 0x80 for b in head) >= 0.9 * len(head)


def _is_utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))


def identify(path: Path, name: str | None = None) -> Format:
    """Read the first bytes of `path`; raise IdentifyError naming the file when they are unusable.

    `name` is how the archivist knows the file (its relative path); defaults to the file name.
    """
    shown = name or path.name
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        raise IdentifyError(shown, "the file is empty (0 bytes); it may have failed to copy")
    if raw := _camera_raw(head):
        raise IdentifyError(
            shown,
            f"it is a {raw} camera raw file, which this repository does not decode; export a "
            "TIFF or JPEG from it and ingest that (and keep the raw file)",
        )
    fmt = sniff(head)
    if fmt is TIFF:
        try:
            return MULTIPAGE_TIFF if tiff_pages(path) > 1 else TIFF
        except DocumentError:
            return TIFF  # the image stage names the damage
    if fmt is not None:
        return fmt
    suffix = Path(shown).suffix.lower()
    if suffix in TEXT_SUFFIXES and _is_text(head):
        return MARKDOWN if suffix in (".md", ".markdown") else TEXT
    claimed = _NAMED.get(suffix)
    pretends = f", not a {claimed[0]} file as its name says" if claimed else ""
    if _is_text(head) or _is_utf16(head):
        if suffix in TEXT_SUFFIXES:
            problem = "the text is UTF-16; save the transcript as UTF-8 (or GBK) and ingest that"
        elif _SVG.search(head):
            problem = (
                "it is an SVG drawing (vector graphics), which is not ingested; export it as "
                "PNG or PDF and ingest that"
            )
        else:
            problem = (
                f"the file is plain text{pretends}; text is ingested only as a transcript "
                "named .txt or .md"
            )
        raise IdentifyError(shown, problem)
    if suffix in TEXT_SUFFIXES and _is_legacy_text(head):
        raise IdentifyError(
            shown,
            "the text is neither UTF-8 nor GBK (a single-byte encoding such as Latin-1 or "
            "Windows-1252); save the transcript as UTF-8 and ingest that",
        )
    raise IdentifyError(
        shown,
        f"unknown file format (first bytes {head[:8].hex(' ')}){pretends}; "
        "it is no image, video, audio, document or archive format this repository reads",
    )


def require_supported(fmt: Format, name: str) -> None:
    """Refuse what reaches a worker as a file but is a container: discover unpacks the
    archives it can (ZIP, TAR and compressed TAR), so these are the ones it cannot."""
    if fmt.kind == "archive":
        reason = _NOT_INGESTED.get(fmt.name, "this archive could not be unpacked")
        raise UnsupportedFormat(name, f"this is a {fmt.name} file; {reason}")


def name_mismatch(fmt: Format, name: str) -> str | None:
    """A warning when the name promises another kind of file than the bytes hold."""
    suffix = Path(name).suffix.lower()
    claimed = _NAMED.get(suffix)
    if claimed is None or fmt.kind in claimed[1]:
        return None
    label = claimed[0] if claimed[0] in ("video", "audio", "text") else f"{claimed[0]} file"
    return (
        f"{name}: its name ({suffix}) says {label}, but its bytes are {fmt.name} "
        f"({fmt.kind}); ingested as the {fmt.kind} it is"
    )


def tiff_pages(src: Path) -> int:
    """The number of pages (IFDs); only headers are read, no page is decoded."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # the image stage has checked the first page's size already
    try:
        with Image.open(src) as im:
            return getattr(im, "n_frames", 1)
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, KeyError, struct.error) as exc:
        # Pillow reads a later page's directory that points past the file as "Missing
        # dimensions" (TypeError)
        raise DocumentError(src.name, f"the TIFF's page directory is damaged ({exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
