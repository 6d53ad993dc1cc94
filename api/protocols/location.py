"""Blank the position a photo carries (EXIF GPS, XMP GPS) in an original served to the public.

Why blank in place rather than re-encode or cut: the served file keeps its exact length, so
`Content-Length`, HTTP Range and resumed downloads work on the stored object streamed as it is,
with a few byte ranges overwritten on the way (`redacted`). Nothing is decoded or held in memory
but the metadata blocks.

What is blanked, found by walking each format's own structure (never by guessing):
- the EXIF GPS IFD of every IFD chain (JPEG APP1, TIFF, PNG eXIf, WebP EXIF, HEIF/AVIF Exif
  item, and the extra images of a JPEG MPF file): its entry count and entries become zeros (an
  empty IFD) and the values they pointed to become zeros;
- every XMP property whose name starts with GPS/Gps (exif:GPSLatitude, drone-dji:GpsLongitude …):
  its text becomes spaces (JPEG APP1, TIFF tag 700, PNG iTXt, WebP "XMP ", HEIF mime item);
- in MP4/MOV/M4A: the `©xyz` and `loci` user-data boxes (become `free` boxes of zeros) and
  `location` keys of the movie's metadata (their values become spaces).
A PNG chunk that changes gets its CRC recomputed. Out-of-range offsets are skipped: a reader
cannot find a position there either.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator

Patch = tuple[int, bytes]
"""(absolute offset, bytes of the same length to put there)."""
Read = Callable[[int, int], bytes]
"""read(offset, length) -> at most `length` bytes of the file from `offset`."""

GPS_POINTER = 0x8825
XMP_TAG = 700
MPF_ENTRIES = 0xB002
MAX_IFDS = 64  # an IFD chain longer than this is a loop or an attack
MAX_ENTRIES = 4096
MAX_VALUE = 1 << 20  # a GPS value larger than this is not one
MAX_BLOCK = 16 << 20  # metadata blocks (XMP, PNG chunks) larger than this are left alone
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_XMP_GPS = re.compile(
    # the lookbehind anchors a name at its start: without it a long run of letters is tried
    # from every position (quadratic time on a hostile XMP block)
    rb"""(?<![\w.-])[\w.-]+:gps\w*(?:\s*=\s*(?:"([^"]*)"|'([^']*)')|\s*>([^<]*)<)""",
    re.IGNORECASE,
)
_XMP_HEADERS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")

REDACTED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/tiff",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/avif",
        "video/mp4",
        "video/quicktime",
        "audio/mp4",
    }
)
"""Originals whose embedded position is blanked for the public."""
MOVIES = frozenset({"video/mp4", "video/quicktime", "audio/mp4"})
_MOVIE_PLACES = (b"\xa9xyz", b"loci")
"""User-data boxes of a movie that hold where it was made (ISO 6709 text, 3GPP binary)."""


def gps_patches(read: Read, size: int, media_type: str) -> list[Patch]:
    """The patches that blank every GPS block of a file of `media_type` (none: nothing to do)."""
    if media_type not in REDACTED_TYPES or size < 8:
        return []
    walker = {
        "image/jpeg": _jpeg,
        "image/tiff": lambda r, n: _tiff(r, 0, n),
        "image/png": _png,
        "image/webp": _webp,
    }.get(media_type, _movie if media_type in MOVIES else _heif)
    try:
        found = walker(read, size)
    except (struct.error, IndexError, ValueError):  # cut short where a reader stops too
        return []
    return sorted(p for p in found if p[1] and p[0] >= 0 and p[0] + len(p[1]) <= size)


def redacted(chunks: Iterator[bytes], start: int, patches: list[Patch]) -> Iterator[bytes]:
    """`chunks` (the bytes from offset `start` on) with `patches` written over them."""
    position = start
    last = max((o + len(b) for o, b in patches), default=start)
    for chunk in chunks:
        if position >= last:  # past the metadata: the rest goes out untouched
            yield chunk
            continue
        end = position + len(chunk)
        hits = [(o, b) for o, b in patches if o < end and o + len(b) > position]
        if hits:
            buffer = bytearray(chunk)
            for offset, data in hits:
                lo, hi = max(offset, position), min(offset + len(data), end)
                buffer[lo - position : hi - position] = data[lo - offset : hi - offset]
            chunk = bytes(buffer)
        position = end
        yield chunk


def block_reader(
    open_range: Callable[[int, int], Iterator[bytes]], size: int, block: int = 1 << 18
) -> Read:
    """A `Read` over a stored object that fetches aligned blocks (a few kept), so walking many
    small headers costs a few ranged reads, not one each."""
    kept: OrderedDict[int, bytes] = OrderedDict()

    def fetch(index: int) -> bytes:
        if index not in kept:
            start = index * block
            kept[index] = b"".join(open_range(start, min(start + block, size) - 1))
            while len(kept) > 8:
                kept.popitem(last=False)
        return kept[index]

    def read(offset: int, length: int) -> bytes:
        end = min(offset + length, size)
        if offset < 0 or offset >= end:
            return b""
        parts = [fetch(i) for i in range(offset // block, (end - 1) // block + 1)]
        first = offset - (offset // block) * block
        return b"".join(parts)[first : first + end - offset]

    return read


class PatchCache:
    """Patches per stored blob (content-addressed, so they never go stale), most recent kept."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._found: OrderedDict[str, list[Patch]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, compute: Callable[[], list[Patch]]) -> list[Patch]:
        with self._lock:
            if sha256 in self._found:
                self._found.move_to_end(sha256)
                return self._found[sha256]
        patches = compute()
        with self._lock:
            self._found[sha256] = patches
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return patches


# --- TIFF structures (EXIF) ----------------------------------------------------------------------


def _tiff(read: Read, base: int, limit: int) -> list[Patch]:
    """Blank the GPS IFDs of a TIFF structure at `base` (offsets inside are relative to it) and
    the GPS properties of an XMP packet in IFD0."""
    head = read(base, 8)
    if len(head) < 8 or head[:4] not in (b"II*\x00", b"MM\x00*"):
        return []
    order = "<" if head[:2] == b"II" else ">"
    patches: list[Patch] = []
    offset, seen = struct.unpack(order + "I", head[4:8])[0], set[int]()
    while offset and offset not in seen and len(seen) < MAX_IFDS:
        seen.add(offset)
        entries, offset = _ifd(read, base, offset, order, limit)
        for tag, kind, count, value in entries:
            if tag == GPS_POINTER:
                patches += _blank_ifd(read, base, _long(value, order), order, limit)
            elif tag == XMP_TAG and len(seen) == 1:
                length = count * TYPE_SIZES.get(kind, 1)
                if 4 < length <= MAX_BLOCK:
                    start = base + _long(value, order)
                    patches += _xmp(read(start, length), start)
    return patches


def _long(value: bytes, order: str) -> int:
    result: int = struct.unpack(order + "I", value)[0]
    return result


def _ifd(
    read: Read, base: int, offset: int, order: str, limit: int
) -> tuple[list[tuple[int, int, int, bytes]], int]:
    """(tag, type, count, 4-byte value field) of each entry, and the next IFD's offset."""
    if base + offset + 2 > limit:
        return [], 0
    count = min(struct.unpack(order + "H", read(base + offset, 2))[0], MAX_ENTRIES)
    data = read(base + offset + 2, 12 * count + 4)
    entries = [
        (*struct.unpack(order + "HHI", data[i : i + 8]), data[i + 8 : i + 12])
        for i in range(0, min(len(data) // 12, count) * 12, 12)
    ]
    following = data[12 * count : 12 * count + 4]
    return entries, struct.unpack(order + "I", following)[0] if len(following) == 4 else 0


def _blank_ifd(read: Read, base: int, offset: int, order: str, limit: int) -> list[Patch]:
    """Zero a GPS IFD's count and entries (an empty IFD, ending the chain) and its values."""
    entries, _ = _ifd(read, base, offset, order, limit)
    if not entries:
        return []
    patches = []
    for _tag, kind, count, value in entries:
        length = count * TYPE_SIZES.get(kind, 1)
        if 4 < length <= MAX_VALUE:
            start = base + _long(value, order)
            if start + length <= limit:
                patches.append((start, bytes(length)))
    start = base + offset
    patches.append((start, bytes(min(2 + 12 * len(entries), max(0, limit - start)))))
    return patches


def _xmp(packet: bytes, start: int) -> list[Patch]:
    """Spaces over the value of every GPS property of an XMP packet starting at `start`."""
    patches = []
    for match in _XMP_GPS.finditer(packet):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        if match.end(group) > match.start(group):
            patches.append(
                (start + match.start(group), b" " * (match.end(group) - match.start(group)))
            )
    return patches


# --- containers ----------------------------------------------------------------------------------


def _jpeg(read: Read, size: int, start: int = 0, depth: int = 0) -> list[Patch]:
    """The markers up to the image data: APP1 Exif and XMP, and the MPF images (APP2)."""
    if read(start, 2) != b"\xff\xd8":
        return []
    patches: list[Patch] = []
    position = start + 2
    while position + 4 <= size:
        marker = read(position, 4)
        if len(marker) < 4 or marker[0] != 0xFF:
            break
        code = marker[1]
        if code == 0xFF:  # fill byte
            position += 1
            continue
        if code in (0xDA, 0xD9):  # start of scan, end of image: no metadata after
            break
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            position += 2
            continue
        body, length = position + 4, struct.unpack(">H", marker[2:4])[0] - 2
        end = min(body + length, size)
        if code == 0xE1:
            head = read(body, 36)
            if head.startswith(b"Exif\x00\x00"):
                patches += _tiff(read, body + 6, end)
            elif head.startswith(_XMP_HEADERS):
                patches += _xmp(read(body, length), body)
        elif code == 0xE2 and depth == 0 and read(body, 4) == b"MPF\x00":
            for image in _mpf_images(read, body + 4, end):
                patches += _jpeg(read, size, image, depth + 1)
        position = body + length
    return patches


def _mpf_images(read: Read, base: int, limit: int) -> list[int]:
    """Absolute offsets of the images after the first that a JPEG's MPF index lists."""
    head = read(base, 8)
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return []
    order = "<" if head[:2] == b"II" else ">"
    entries, _ = _ifd(read, base, struct.unpack(order + "I", head[4:8])[0], order, limit)
    offsets = []
    for tag, _kind, count, value in entries:
        if tag == MPF_ENTRIES and 16 <= count <= 16 * 64:
            table = read(base + _long(value, order), count)
            for i in range(0, len(table) - 15, 16):
                offset = struct.unpack(order + "I", table[i + 8 : i + 12])[0]
                if offset:  # the first image (offset 0) is the file itself
                    offsets.append(base + offset)
    return offsets


def _png(read: Read, size: int) -> list[Patch]:
    """eXIf and XMP iTXt chunks (before or after the image data); a changed chunk gets a new
    CRC, as decoders check it."""
    if read(0, 8) != b"\x89PNG\r\n\x1a\n":
        return []
    patches: list[Patch] = []
    position = 8
    while position + 12 <= size:
        length, kind = struct.unpack(">I4s", read(position, 8))
        body = position + 8
        if kind == b"IEND":
            break
        found: list[Patch] = []
        if kind == b"eXIf":
            skip = 6 if read(body, 6) == b"Exif\x00\x00" else 0
            found = _tiff(read, body + skip, body + length)
        elif kind == b"iTXt" and length <= MAX_BLOCK and read(body, 18) == b"XML:com.adobe.xmp\x00":
            data = read(body, length)
            if data[18:19] == b"\x00":  # not compressed
                found = _xmp(data, body)
        if found and length <= MAX_BLOCK:
            chunk = bytearray(read(position + 4, 4 + length))
            for offset, data in found:
                chunk[offset - position - 4 : offset - position - 4 + len(data)] = data
            patches += [*found, (body + length, struct.pack(">I", zlib.crc32(chunk)))]
        position = body + length + 4
    return patches


def _webp(read: Read, size: int) -> list[Patch]:
    """The RIFF chunks EXIF (a TIFF structure, after an optional 'Exif\\0\\0') and 'XMP '."""
    head = read(0, 12)
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return []
    patches: list[Patch] = []
    position = 12
    while position + 8 <= size:
        kind, length = struct.unpack("<4sI", read(position, 8))
        body = position + 8
        if kind == b"EXIF":
            skip = 6 if read(body, 6) == b"Exif\x00\x00" else 0
            patches += _tiff(read, body + skip, body + length)
        elif kind == b"XMP " and length <= MAX_BLOCK:
            patches += _xmp(read(body, length), body)
        position = body + length + (length & 1)
    return patches


def _boxes(read: Read, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each ISO-BMFF box in [start, end)."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", read(position, 8))
        body = position + 8
        if size == 1:
            size, body = struct.unpack(">Q", read(body, 8))[0], body + 8
        elif size == 0:
            size = end - position
        if size < body - position:
            return
        yield kind, body, min(position + size, end)
        position += size


def _heif(read: Read, size: int) -> list[Patch]:
    """HEIF/AVIF: the 'Exif' item (a 4-byte offset, then a TIFF structure) and XMP 'mime'
    items, located through the meta box's iinf and iloc."""
    meta = next(((b, e) for k, b, e in _boxes(read, 0, size) if k == b"meta"), None)
    if meta is None:
        return []
    children = {k: (b, e) for k, b, e in _boxes(read, meta[0] + 4, meta[1])}
    if b"iinf" not in children or b"iloc" not in children:
        return []
    kinds = _item_kinds(read, *children[b"iinf"])
    patches: list[Patch] = []
    for item, (offset, length) in _single_extents(read, *children[b"iloc"]).items():
        if item not in kinds:
            continue
        if kinds[item] == "Exif" and length > 4:
            tiff = offset + 4 + struct.unpack(">I", read(offset, 4))[0]
            tiff += 6 if read(tiff, 6) == b"Exif\x00\x00" else 0
            patches += _tiff(read, tiff, offset + length)
        elif kinds[item] == "xmp" and length <= MAX_BLOCK:
            patches += _xmp(read(offset, length), offset)
    return patches


def _movie(read: Read, size: int) -> list[Patch]:
    """MP4/MOV: a `©xyz` or `loci` box in the movie's user data becomes a `free` box of zeros
    (which every reader skips), and the value of a `location` key in its metadata (QuickTime `mdta`
    keys such as com.apple.quicktime.location.ISO6709) becomes spaces."""
    moov = next(((b, e) for k, b, e in _boxes(read, 0, size) if k == b"moov"), None)
    if moov is None:
        return []
    patches: list[Patch] = []
    metas = []
    for kind, body, end in _boxes(read, *moov):
        if kind == b"meta":
            metas.append((body, end))
        elif kind == b"udta":
            for inner, inner_body, inner_end in _boxes(read, body, end):
                if inner in _MOVIE_PLACES and inner_end - inner_body <= MAX_BLOCK:
                    patches.append((inner_body - 4, b"free" + bytes(inner_end - inner_body)))
                elif inner == b"meta":
                    metas.append((inner_body, inner_end))
    for body, end in metas:
        full = read(body + 4, 4) != b"hdlr"  # ISO meta is a full box, QuickTime's is not
        patches += _movie_metadata(read, body + (4 if full else 0), end)
    return patches


def _movie_metadata(read: Read, start: int, end: int) -> list[Patch]:
    children = {k: (b, e) for k, b, e in _boxes(read, start, end)}
    if b"ilst" not in children:
        return []
    located = set()
    if b"keys" in children:
        body, box_end = children[b"keys"]
        position, count = body + 8, struct.unpack(">I", read(body + 4, 4))[0]
        for index in range(1, min(count, MAX_ENTRIES) + 1):
            length = struct.unpack(">I", read(position, 4))[0]
            if length < 8 or position + length > box_end:
                break
            if b"location" in read(position + 8, length - 8).lower():
                located.add(struct.pack(">I", index))
            position += length
    patches = []
    for kind, body, box_end in _boxes(read, *children[b"ilst"]):
        if kind in located or kind == b"\xa9xyz":
            for inner, data, data_end in _boxes(read, body, box_end):
                if inner == b"data" and data_end - data > 8:
                    patches.append((data + 8, b" " * (data_end - data - 8)))
    return patches


def _item_kinds(read: Read, start: int, end: int) -> dict[int, str]:
    """Item id -> 'Exif' or 'xmp' for the items that may hold a position."""
    version = read(start, 1)[0]
    first = start + 4 + (2 if version == 0 else 4)
    kinds = {}
    for kind, body, box_end in _boxes(read, first, end):
        if kind != b"infe":
            continue
        data = read(body, min(box_end - body, 512))
        if data[0] < 2:
            continue
        id_size = 2 if data[0] == 2 else 4
        item = int.from_bytes(data[4 : 4 + id_size], "big")
        item_type = data[6 + id_size : 10 + id_size]
        rest = data[10 + id_size :].split(b"\x00")
        if item_type == b"Exif":
            kinds[item] = "Exif"
        elif item_type == b"mime" and len(rest) > 1 and rest[1].startswith(b"application/rdf+xml"):
            kinds[item] = "xmp"
    return kinds


def _single_extents(read: Read, start: int, end: int) -> dict[int, tuple[int, int]]:
    """Item id -> (absolute offset, length) of items stored in the file (method 0) in one
    extent, the only ones patched; the others are skipped over without being read."""
    data = read(start, min(end - start, MAX_BLOCK))
    version = data[0]
    offset_size, length_size = data[4] >> 4, data[4] & 15
    base_size, index_size = data[5] >> 4, (data[5] & 15) if version in (1, 2) else 0
    position = 6

    def number(width: int) -> int:
        nonlocal position
        value = int.from_bytes(data[position : position + width], "big")
        position += width
        return value

    items: dict[int, tuple[int, int]] = {}
    for _ in range(number(2 if version < 2 else 4)):
        if position >= len(data):
            break
        item = number(2 if version < 2 else 4)
        method = number(2) & 15 if version in (1, 2) else 0
        number(2)  # data_reference_index
        base = number(base_size)
        count = number(2)
        if count != 1:
            position += count * (index_size + offset_size + length_size)
            continue
        number(index_size)
        extent_offset, extent_length = number(offset_size), number(length_size)
        if method == 0 and position <= len(data):
            items[item] = (base + extent_offset, extent_length)
    return items
