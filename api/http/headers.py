"""The HTTP header logic of file downloads: Range, If-None-Match and Content-Disposition.

Pure functions of header strings, so the rules (RFC 9110) are tested without a server.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from schemas.errors import InvalidInput

_BYTE_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ -]+")


class RangeNotSatisfiable(InvalidInput):
    """A well-formed byte range that lies outside the file: answer 416."""

    def __init__(self, size: int):
        super().__init__(f"the requested range is outside the file ({size} bytes)")
        self.size = size


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) to send for a `Range` header, or None to send the whole file.

    Headers we may ignore (RFC 9110 §14.2) — another unit, bad syntax, several ranges — give None,
    so the client gets a plain 200. A valid single range that cannot be met raises
    RangeNotSatisfiable.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _BYTE_RANGE.match(spec)
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else int(last)
    if last != "" and end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, min(end, size - 1)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def safe_filename(name: str | None, fallback: str = "download") -> str:
    """The last path component of `name` without control characters or quotes."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    cleaned = "".join(
        ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in "\"'`;"
    ).strip(" .")
    return cleaned or fallback


def content_disposition(name: str | None, disposition: str = "attachment") -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266 / RFC 5987) for any name."""
    filename = safe_filename(name)
    path = PurePosixPath(filename)
    stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode()
    ascii_stem = _UNSAFE_ASCII.sub("_", stem).strip("_ .-") or "download"
    ascii_name = (ascii_stem + _UNSAFE_ASCII.sub("", path.suffix)).rstrip(".")
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
