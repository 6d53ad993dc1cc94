"""Builders for the archives the unpack tests feed in, including the malformed ones no
well-behaved tool writes (GBK names without the UTF-8 flag, links, forged flags, bombs)."""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

Entry = tuple[str | zipfile.ZipInfo, bytes]


class RawNameInfo(zipfile.ZipInfo):
    """A member whose name bytes and flag bits are written exactly as given.

    zipfile itself re-encodes any non-ASCII name as UTF-8 and sets flag bit 11, and clears the
    flags it did not set; Chinese Windows tools write GBK bytes with bit 11 clear.
    """

    def __init__(self, raw_name: bytes, extra_flags: int = 0):
        super().__init__(raw_name.decode("cp437"))
        self.raw_name = raw_name
        self.extra_flags = extra_flags

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.raw_name, self.flag_bits | self.extra_flags


def zip_bytes(entries: Iterable[Entry], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


def write_zip(path: Path, entries: Iterable[Entry]) -> Path:
    path.write_bytes(zip_bytes(entries))
    return path


def gbk_member(name: str, *, encrypted: bool = False) -> zipfile.ZipInfo:
    return RawNameInfo(name.encode("gbk"), extra_flags=0x1 if encrypted else 0)


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode in the high 16 bits counts
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def unicode_path_member(raw_name: bytes, real_name: str) -> zipfile.ZipInfo:
    """A legacy-encoded name with an Info-ZIP Unicode Path extra field carrying the real one."""
    info = RawNameInfo(raw_name)
    utf8 = real_name.encode("utf-8")
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw_name)) + utf8
    info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    return info


def write_bomb(path: Path, size: int) -> Path:
    """A ZIP whose one member is `size` zero bytes, streamed in (never held in memory)."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
    return path


def tar_entry(
    name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, linkname: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def write_tar(
    path: Path,
    entries: Iterable[tuple[tarfile.TarInfo, bytes]],
    mode: str = "w",
    encoding: str = "utf-8",
    fmt: int = tarfile.PAX_FORMAT,
) -> Path:
    with tarfile.open(path, mode, format=fmt, encoding=encoding) as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path
