"""Unpack ZIP, TAR (plain, gzip, bzip2, xz) and BagIt bags safely into a scratch folder.

Archives come from outside, so nothing in them is trusted: every member name is checked before a
byte is written (no absolute paths, no `..`, no links, no devices), sizes are counted while the
bytes stream out (headers lie), and the unpacked tree appears under `dest` by one rename at the
end. Links are refused altogether rather than resolved: an archivist's bundle has no need for
them, and a link is the usual way out of the extraction folder.

A bad member spoils only itself: it is refused by name and the good members are unpacked (so is
a nested archive that cannot be read, or an invalid bag inside an archive, with all its files).
What spoils the whole archive: a container that cannot be read (a ZIP's damaged directory, a TAR
stream that breaks — nothing after the break can be found), and an exceeded budget (a bomb, too
many entries or bytes): nothing in such an archive is trusted.

Chinese Windows tools write ZIP names in GBK/CP936 without saying so (no UTF-8 flag); Python
reads those as CP437, so such names are re-decoded here (UTF-8 first, then GB18030, a superset
of GBK). Archives inside archives are unpacked too, to `UnpackLimits.max_depth` levels, under the
same budget. A BagIt bag (a directory, or found inside an archive) is validated
(`ingest.bags`) before anything in it is unpacked further; its payload files carry the
bag-info.txt fields. A bag's payload is opaque (RFC 8493): a folder inside it that looks like a
bag is payload like any other, never validated or left out as a bag of its own.
"""

from __future__ import annotations

import bz2
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, Protocol

from ingest.bags import BagProblem, check_bag, is_bag

__all__ = ["is_bag"]  # also ingest.discover's view of what a bag is
from ingest.errors import ItemError
from ingest.identify import TAR_BLOCK, is_tar
from schemas.errors import InvalidInput

ArchiveKind = Literal["zip", "tar"]

CHUNK = 1024 * 1024
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNICODE_PATH_EXTRA = 0x7075  # Info-ZIP Unicode Path extra field (7-Zip, WinRAR write it)
_ZIP_METHODS = {
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL, tabs, escapes: no file name holds one
_DRIVE = re.compile(r"^[A-Za-z]:")
_SNIFF_INPUT = 2 * 1024 * 1024  # a bzip2 block can need ~900 KiB of input before any output
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError, OSError)


class _Decompressor(Protocol):
    """What `archive_kind` needs of zlib, bz2 and lzma decompressor objects."""

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes: ...


def _gzip() -> _Decompressor:
    return zlib.decompressobj(wbits=31)  # gzip framing only


_COMPRESSED_MAGIC: tuple[tuple[bytes, Callable[[], _Decompressor]], ...] = (
    (b"\x1f\x8b", _gzip),
    (b"BZh", bz2.BZ2Decompressor),
    (b"\xfd7zXZ\x00", lzma.LZMADecompressor),
)


class UnpackError(ItemError):
    """An archive or bag is refused; `archive` and `member` name exactly what is wrong."""

    def __init__(self, archive: str, member: str | None, problem: str):
        super().__init__(archive if member is None else f"{archive}: {member}", problem)
        self.archive = archive
        self.member = member

    def __reduce__(self) -> tuple[type, tuple[str | None, ...]]:
        return (type(self), (self.archive, self.member, self.problem))


class _OverBudget(UnpackError):
    """A budget of `UnpackLimits` is exceeded: the whole `unpack` call is refused."""


@dataclass(frozen=True)
class UnpackLimits:
    """Budgets for one `unpack` call, shared by every archive nested inside it."""

    max_members: int = 100_000  # entries (files and folders) across all levels
    max_total_bytes: int = 50 * 1024**3  # bytes written across all levels
    max_ratio: float = 200.0  # expanded ÷ compressed, per ZIP member / per TAR stream
    ratio_floor: int = 1024 * 1024  # outputs this small are never called bombs
    max_depth: int = 2  # levels of archives inside the given one (0: none allowed)

    def __post_init__(self) -> None:
        if min(self.max_members, self.max_total_bytes, self.ratio_floor) < 1:
            raise InvalidInput("max_members, max_total_bytes and ratio_floor must be positive")
        if self.max_ratio < 1 or self.max_depth < 0:
            raise InvalidInput("max_ratio must be at least 1 and max_depth not negative")


@dataclass(frozen=True)
class BagInfo:
    """A validated BagIt bag: where it sits and its bag-info.txt fields (repeated tags kept)."""

    relpath: str  # the bag's folder inside the source; "" when the source itself is the bag
    info: dict[str, list[str]]


@dataclass(frozen=True)
class Member:
    """One unpacked file, named the way `ingest.discover` names files."""

    path: Path  # the file on disk
    relpath: str  # POSIX, NFC, inside the source; nested archives add a level: "a.zip/x.jpg"
    size: int
    bag: BagInfo | None = None  # the innermost bag whose payload holds the file


@dataclass(frozen=True)
class Unpacked:
    """What `unpack` made of a source: its files, and each member it refused (by name, why)."""

    members: list[Member]  # sorted by relpath
    refused: list[UnpackError]


def archive_kind(path: Path) -> ArchiveKind | None:
    """What `unpack` would make of this file, from its bytes; None for anything else.

    ZIP-based document formats (OOXML, ODF, EPUB) are documents, not bundles: None.
    """
    with path.open("rb") as handle:
        head = handle.read(TAR_BLOCK)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return None if _is_packaged_document(path) else "zip"
        for magic, make in _COMPRESSED_MAGIC:
            if head.startswith(magic):
                handle.seek(0)
                head = _decompressed_head(handle, make())
                break
    return "tar" if is_tar(head) else None


def unpack(
    source: Path,
    dest: Path,
    limits: UnpackLimits | None = None,
    *,
    name: str | None = None,
    kind: ArchiveKind | None = None,
) -> Unpacked:
    """Unpack an archive file, or validate a bag directory: its files, and the members refused.

    Unpacked files land in `dest/<source name>/`, which must not exist yet. A bag directory is
    read in place (only archives inside it are unpacked into `dest`). `name` is how errors name
    the source (default: its file name). `kind`, when the caller has read it with
    `archive_kind` already, spares sniffing the bytes again. Raises `UnpackError` when the
    source as a whole is refused (see the module's docstring); then nothing is left in `dest`.
    """
    shown = name or source.name
    limits = limits or UnpackLimits()
    if source.is_dir():
        if not is_bag(source):
            raise UnpackError(shown, None, "is a folder without bagit.txt, not a BagIt bag")
        kind = None
    else:
        kind = kind or archive_kind(source)
        if kind is None:
            raise UnpackError(
                shown,
                None,
                "is not an archive this repository unpacks (ZIP, TAR, TAR.GZ, "
                "TAR.BZ2, TAR.XZ) — its bytes say otherwise, whatever its name",
            )
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / source.name
    if final.exists() or final.is_symlink():
        raise UnpackError(shown, None, "was unpacked into this folder before; use an empty one")
    work = Path(tempfile.mkdtemp(prefix=f".{source.name}.partial-", dir=dest))
    try:
        run = _Run(shown, limits, work, source)
        if kind is None:
            members = run.expand(source, "", 0, None)
        else:
            run.extract(kind, source, work, "")
            members = run.expand(work, "", 0, None)
        if not any(work.iterdir()):
            work.rmdir()
            return Unpacked(members, run.refused)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Unpacked([_moved(m, work, final) for m in members], run.refused)


def _moved(member: Member, old: Path, new: Path) -> Member:
    if not member.path.is_relative_to(old):
        return member  # a payload file of a bag directory, read in place
    return Member(new / member.path.relative_to(old), member.relpath, member.size, member.bag)


class _Run:
    """One `unpack` call: its budget, its scratch folder and how it names what it refuses."""

    def __init__(self, shown: str, limits: UnpackLimits, work: Path, source: Path):
        self.shown = shown
        self.limits = limits
        self.work = work
        self.source = source
        self.entries = 0
        self.written = 0
        self.refused: list[UnpackError] = []

    def fail(self, member: str | None, problem: str) -> UnpackError:
        return UnpackError(self.shown, member, problem)

    def over_budget(self, member: str, problem: str) -> _OverBudget:
        return _OverBudget(self.shown, member, problem)

    @contextmanager
    def member(self) -> Iterator[None]:
        """Refuse one member and go on: a bad member spoils only itself (budgets excepted)."""
        try:
            yield
        except _OverBudget:
            raise
        except UnpackError as exc:
            self.refused.append(exc)

    # -- walking what is on disk -------------------------------------------------------------

    def expand(self, root: Path, prefix: str, depth: int, bag: BagInfo | None) -> list[Member]:
        """The files under `root`: bags validated first (their manifests describe the bytes as
        they are now), then archives among them unpacked in place, one level deeper. Inside a
        bag's payload (`bag`) nothing is taken for a bag of its own."""
        files = sorted(self._files(root, prefix))
        bags = {} if bag else self._bags(root, prefix, files)
        members: list[Member] = []
        for path in files:
            relpath = _relpath(prefix, root, path)
            owner = _owning_bag(path, bags, bag)
            if isinstance(owner, _NotPayload):
                continue
            kind = archive_kind(path)
            if kind is None:
                members.append(Member(path, relpath, path.stat().st_size, owner))
            else:
                members += self._nested(kind, path, relpath, depth, owner)
        return members

    def _bags(self, root: Path, prefix: str, files: list[Path]) -> dict[Path, BagInfo | None]:
        """The outermost bags among `files`, validated: None for a refused one (its files are
        left out, the rest goes on), unless it is the source itself."""
        marked = {
            p.parent for p in files if p.name == "bagit.txt" or p.name.startswith("manifest-")
        }
        bags: dict[Path, BagInfo | None] = {}
        for folder in sorted(marked, key=lambda f: len(f.parts)):
            if any(outer in folder.parents for outer in bags) or not is_bag(folder):
                continue  # inside a bag (payload or tag folder), or merely a file named so
            try:
                bags[folder] = self._validate_bag(folder, _relpath(prefix, root, folder))
            except UnpackError as exc:
                if folder == self.source:
                    raise
                self.refused.append(exc)
                bags[folder] = None
                if folder.is_relative_to(self.work) and folder != self.work:
                    shutil.rmtree(folder)  # our extracted copy: nothing of it is used
        return bags

    def _nested(
        self, kind: ArchiveKind, path: Path, relpath: str, depth: int, owner: BagInfo | None
    ) -> list[Member]:
        """The members of an archive found among the files, unpacked in its place; one that
        cannot be is refused as a member, and the rest goes on."""
        target = self.work.joinpath(*relpath.split("/"))
        if depth >= self.limits.max_depth:
            self.refused.append(
                self.fail(
                    relpath,
                    f"is an archive nested more than {self.limits.max_depth} levels deep; "
                    "unpack it by hand first",
                )
            )
            if path == target:
                path.unlink()
            return []
        scratch = Path(tempfile.mkdtemp(prefix=".nested-", dir=self.work))
        before = len(self.refused)
        try:
            self.extract(kind, path, scratch, relpath + "/")
        except _OverBudget:
            raise
        except UnpackError as exc:
            shutil.rmtree(scratch)
            del self.refused[before:]  # refused as a whole: its members' refusals say no more
            self.refused.append(exc)
            if path == target:
                path.unlink()
            return []
        if path == target:
            path.unlink()  # our own extracted copy: its contents replace it
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch.rename(target)
        return self.expand(target, relpath + "/", depth + 1, owner)

    def _files(self, root: Path, prefix: str) -> Iterator[Path]:
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            for entry in [*dirnames, *filenames]:
                mode = os.lstat(here / entry).st_mode
                if stat.S_ISLNK(mode):
                    raise self.fail(
                        _relpath(prefix, root, here / entry),
                        "is a symbolic link; links are refused",
                    )
                if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                    raise self.fail(
                        _relpath(prefix, root, here / entry),
                        "is a device file, FIFO or socket, not a regular file",
                    )
            yield from (here / f for f in filenames)

    def _validate_bag(self, root: Path, relpath: str) -> BagInfo:
        try:
            info = check_bag(root)
        except BagProblem as exc:
            where = f"{relpath}/" if relpath else ""
            raise self.fail(
                where + exc.file if exc.file else relpath or None, exc.problem
            ) from None
        return BagInfo(relpath, info)

    # -- extracting one archive --------------------------------------------------------------

    def extract(self, kind: ArchiveKind, archive: Path, into: Path, prefix: str) -> None:
        if kind == "zip":
            self._extract_zip(archive, into, prefix)
        else:
            self._extract_tar(archive, into, prefix)

    def _extract_zip(self, archive: Path, into: Path, prefix: str) -> None:
        archive_size = archive.stat().st_size
        seen: set[tuple[str, ...]] = set()
        try:
            zf = zipfile.ZipFile(archive)
        except _READ_ERRORS as exc:
            raise self.fail(
                prefix.rstrip("/") or None, f"corrupt ZIP archive: {_why(exc)}"
            ) from exc
        with zf:
            for info in zf.infolist():  # members are independent: each is refused on its own
                with self.member():
                    self._zip_member(zf, info, into, prefix, seen, archive_size)

    def _zip_member(
        self,
        zf: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        into: Path,
        prefix: str,
        seen: set[tuple[str, ...]],
        archive_size: int,
    ) -> None:
        raw_name = _zip_name(info)
        shown = prefix + raw_name
        self._count(shown)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise self.fail(shown, "is a symbolic link; links are refused")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise self.fail(shown, "is a device file, FIFO or socket, not a regular file")
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise self.fail(
                shown, "is password-protected (encrypted); re-create the archive without a password"
            )
        if info.compress_type not in _ZIP_METHODS:
            raise self.fail(
                shown,
                f"uses ZIP compression method {info.compress_type}, which "
                "is not supported; re-create the archive with Deflate",
            )
        target = self._prepare(into, raw_name, shown, info.is_dir(), seen)
        if target is None:
            return
        # Header sizes are not trusted: output is counted as it streams, against the
        # compressed size bounded by the archive's real size.
        bound = min(info.compress_size, archive_size)
        try:
            stream = zf.open(info)
        except _READ_ERRORS as exc:
            raise self.fail(shown, f"is corrupt: {_why(exc)}") from exc
        with stream:
            self._copy(stream, target, shown, _Ratio(self.limits, lambda: bound))

    def _extract_tar(self, archive: Path, into: Path, prefix: str) -> None:
        seen: set[tuple[str, ...]] = set()
        with archive.open("rb") as raw:
            counted = _CountingReader(raw)
            guard = _Ratio(self.limits, lambda: counted.consumed)  # over the whole stream
            try:
                with tarfile.open(  # type: ignore[call-overload]  # a readable stream is enough
                    fileobj=counted, mode="r|*", encoding="utf-8", errors="surrogateescape"
                ) as tf:
                    for info in tf:
                        target = None
                        with self.member():  # a refused member's bytes are skipped
                            target = self._tar_member(info, into, prefix, seen)
                        if target is not None:  # a read error here breaks the whole stream
                            self._tar_copy(tf, info, target, prefix, guard)
            except _READ_ERRORS as exc:
                raise self.fail(
                    prefix.rstrip("/") or None, f"corrupt or truncated TAR archive: {_why(exc)}"
                ) from exc

    def _tar_member(
        self, info: tarfile.TarInfo, into: Path, prefix: str, seen: set[tuple[str, ...]]
    ) -> Path | None:
        """Check a TAR entry; the file to write, or None for a folder."""
        raw_name = _tar_name(info.name)
        shown = prefix + raw_name
        self._count(shown)
        if info.issym() or info.islnk():
            kind = "symbolic" if info.issym() else "hard"
            raise self.fail(shown, f"is a {kind} link (to {info.linkname!r}); links are refused")
        if info.ischr() or info.isblk() or info.isfifo():
            raise self.fail(shown, "is a device file or FIFO, not a regular file")
        if not (info.isreg() or info.isdir()):
            raise self.fail(shown, f"has unsupported TAR entry type {info.type!r}")
        return self._prepare(into, raw_name, shown, info.isdir(), seen)

    def _tar_copy(
        self, tf: tarfile.TarFile, info: tarfile.TarInfo, target: Path, prefix: str, guard: _Ratio
    ) -> None:
        shown = prefix + _tar_name(info.name)
        stream = tf.extractfile(info)
        if stream is None:
            raise self.fail(shown, "has no data")
        with stream:
            self._copy(stream, target, shown, guard)

    # -- shared checks -------------------------------------------------------------------

    def _count(self, shown: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_members:
            raise self.over_budget(
                shown,
                f"the archive holds more than {self.limits.max_members} "
                "entries (all levels together); split it",
            )

    def _prepare(
        self, into: Path, name: str, shown: str, is_dir: bool, seen: set[tuple[str, ...]]
    ) -> Path | None:
        """Check a member's name and create its folders; the file path to write, or None for
        a folder entry."""
        parts = self._safe_parts(name, shown, is_dir)
        target = into.joinpath(*parts)
        try:
            if is_dir:
                target.mkdir(parents=True, exist_ok=True)
                return None
            if parts in seen:
                raise self.fail(shown, "appears twice in the archive")
            seen.add(parts)
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self.fail(
                shown, f"cannot be created ({exc.strerror}); a file and a folder may share its name"
            ) from exc
        return target

    def _safe_parts(self, name: str, shown: str, is_dir: bool) -> tuple[str, ...]:
        """The path components to write; empty only for the root folder entry ('./')."""
        clean = _nfc(name).replace("\\", "/")
        if control := _CONTROL.search(clean):
            raise self.fail(shown, f"has the control character {control.group()!r} in its name")
        if clean.startswith("/") or _DRIVE.match(clean):
            raise self.fail(shown, "has an absolute path; members must be relative")
        parts = tuple(p for p in clean.split("/") if p not in ("", "."))
        if ".." in parts:
            raise self.fail(
                shown,
                "has '..' in its path, which would write outside the extraction folder (zip-slip)",
            )
        if not parts and not is_dir:
            raise self.fail(shown, "has an empty name")
        return parts

    def _copy(self, stream: IO[bytes], target: Path, shown: str, guard: _Ratio) -> None:
        """Stream one member out, counted against the budgets; nothing of it is left if this
        fails."""
        try:
            out = target.open("xb")
        except OSError as exc:
            raise self.fail(shown, f"cannot be written ({exc.strerror})") from exc
        try:
            with out:
                self._stream(stream, out, shown, guard)
        except BaseException:
            target.unlink(missing_ok=True)
            raise

    def _stream(self, stream: IO[bytes], out: IO[bytes], shown: str, guard: _Ratio) -> None:
        while True:
            try:
                chunk = stream.read(CHUNK)
            except _READ_ERRORS as exc:
                raise self.fail(shown, f"is corrupt or truncated: {_why(exc)}") from exc
            if not chunk:
                return
            self.written += len(chunk)
            if self.written > self.limits.max_total_bytes:
                raise self.over_budget(
                    shown,
                    "expands past the limit of "
                    f"{self.limits.max_total_bytes} bytes (all levels together)",
                )
            problem = guard.add(len(chunk))
            if problem:
                raise self.over_budget(shown, problem)
            try:
                out.write(chunk)
            except OSError as exc:
                raise self.fail(shown, f"cannot be written ({exc.strerror})") from exc


class _Ratio:
    """Watches output outgrowing `max_ratio` × the compressed bytes behind it (zip bombs)."""

    def __init__(self, limits: UnpackLimits, compressed: Callable[[], int]):
        self.limits = limits
        self.compressed = compressed
        self.out = 0

    def add(self, count: int) -> str | None:
        """Count `count` more output bytes; the problem, if that makes it a bomb."""
        self.out += count
        limit = self.limits.max_ratio * self.compressed()
        if self.out <= self.limits.ratio_floor or self.out <= limit:
            return None
        return (
            f"expands more than {self.limits.max_ratio:g}× its compressed size "
            f"({self.out} bytes from {self.compressed()}); refused as a likely zip bomb"
        )


class _CountingReader:
    """A read-only file wrapper that knows how many compressed bytes tarfile has consumed."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.consumed += len(data)
        return data


class _NotPayload:
    """Marks a bag's own files (bagit.txt, manifests, bag-info.txt) and a refused bag's files."""


_NOT_PAYLOAD = _NotPayload()


def _owning_bag(
    path: Path, bags: dict[Path, BagInfo | None], inherited: BagInfo | None
) -> BagInfo | _NotPayload | None:
    for folder in path.parents:
        if folder in bags:
            bag = bags[folder]
            return bag if bag is not None and (folder / "data") in path.parents else _NOT_PAYLOAD
    return inherited


def _why(exc: BaseException) -> str:
    """What went wrong, without the file path an OSError carries (a scratch path, often)."""
    return (exc.strerror or type(exc).__name__) if isinstance(exc, OSError) else str(exc)


def _relpath(prefix: str, root: Path, path: Path) -> str:
    return prefix + _nfc(path.relative_to(root).as_posix()) if path != root else prefix.rstrip("/")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _legacy_name(raw: bytes) -> str | None:
    """A name stored without a declared encoding: UTF-8 when valid, else GB18030 (⊃ GBK/CP936)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as CP437
    return _unicode_path_extra(info.extra, raw) or _legacy_name(raw) or info.orig_filename


def _unicode_path_extra(extra: bytes, raw: bytes) -> str | None:
    """The UTF-8 name in an Info-ZIP Unicode Path field, if it still matches the raw name."""
    pos = 0
    while pos + 4 <= len(extra):
        kind = int.from_bytes(extra[pos : pos + 2], "little")
        size = int.from_bytes(extra[pos + 2 : pos + 4], "little")
        body = extra[pos + 4 : pos + 4 + size]
        matches = len(body) > 5 and body[0] == 1 and body[1:5] == _crc(raw)
        if kind == _UNICODE_PATH_EXTRA and matches:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        pos += 4 + size
    return None


def _crc(raw: bytes) -> bytes:
    return zlib.crc32(raw).to_bytes(4, "little")


def _tar_name(name: str) -> str:
    """tarfile decodes names as UTF-8 with surrogate escapes; GBK names need a second look."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return _legacy_name(name.encode("utf-8", "surrogateescape")) or name


def _is_packaged_document(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False  # unpack will report the damage
    return "[Content_Types].xml" in names or names[:1] == ["mimetype"]


def _decompressed_head(handle: IO[bytes], decompressor: _Decompressor) -> bytes:
    head = b""
    fed = 0
    try:
        while len(head) < TAR_BLOCK and fed < _SNIFF_INPUT:
            data = handle.read(64 * 1024)
            if not data:
                break
            fed += len(data)
            head += decompressor.decompress(data, TAR_BLOCK - len(head))
    except (zlib.error, lzma.LZMAError, OSError, EOFError):
        return b""
    return head
