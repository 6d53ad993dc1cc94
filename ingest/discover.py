"""Walk the paths given to `heritage ingest`, unpack archives and bags, and list the files.

Each file gets a relative path (POSIX separators, Unicode NFC) — the same form manifest paths
are normalised to, so rows and files pair by plain string equality:

- under a given folder, relative to that folder; a file given directly, its own name;
- a given archive (ZIP, TAR, TAR.GZ/BZ2/XZ) or BagIt bag is a root like a folder: its members
  are named as inside it (`歌曲/01.wav`; a bag's payload keeps its `data/` folder);
- an archive or bag found below a root counts as a folder of its own name
  (`录音/bundle.zip/歌曲/01.wav`), and so does an archive inside an archive (unpack's own rule).

Operating-system litter (hidden files, `__MACOSX`, `.DS_Store`, `Thumbs.db`) is skipped, in
archives too, and listed in `Discovery.skipped` (a skipped folder once, not each file in it) so
the report can say what was left out. Symbolic links are followed only when they stay inside the
folder being walked; a link out of it is reported, never read. A member of an archive that cannot
be unpacked safely is refused by name and the rest goes on; `ingest.unpack` says when a whole
archive or bag is.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.unpack import (
    ArchiveKind,
    BagInfo,
    UnpackError,
    UnpackLimits,
    archive_kind,
    is_bag,
    unpack,
)

SKIPPED_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute path on disk (in the scratch folder for archive members)
    relpath: str  # POSIX, NFC, relative to the root it was found under
    bag: BagInfo | None = None  # the BagIt bag holding it; `bag.relpath` named like `relpath`

    @property
    def folders(self) -> list[str]:
        """The folder names between the root and the file (vocabulary tags come from them)."""
        return self.relpath.split("/")[:-1]


@dataclass(frozen=True)
class Refused:
    relpath: str
    reason: str


@dataclass(frozen=True)
class Skipped:
    relpath: str
    reason: str


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def normalise_relpath(value: str) -> str:
    """One spelling for a relative path: '/' separators, NFC, no './', no empty parts."""
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    return unicodedata.normalize("NFC", "/".join(parts))


def is_skipped(name: str) -> bool:
    return name.startswith(".") or name.casefold() in SKIPPED_NAMES


def skip_reason(name: str, folder: bool) -> str:
    """Why a file or folder that `is_skipped` is left out, in the archivist's words."""
    what = "folder" if folder else "file"
    if name.casefold() in SKIPPED_NAMES:
        return f"an operating-system {what} (macOS or Windows litter), not collection data"
    return f"a hidden {what} (its name starts with '.')"


def discover(
    paths: Iterable[Path],
    scratch: Path,
    exclude: Iterable[Path] = (),
    limits: UnpackLimits | None = None,
) -> Discovery:
    """List the files under `paths` in a stable order. Archives are unpacked into `scratch`.

    `exclude` holds files never to ingest (the manifest itself when it sits in the folder).
    """
    walk = _Walk(scratch, {p.resolve() for p in exclude}, limits)
    for given in paths:
        given = given.resolve()
        if given.is_dir() and not is_bag(given):
            walk.folder(given)
        elif given.is_dir():  # a bag
            walk.result.files += walk.unpacked(given, "", given.name)
        elif kind := _archive_kind(given):
            walk.result.files += walk.unpacked(given, "", given.name, kind)
        elif given in walk.excluded:
            continue
        elif is_skipped(given.name):
            walk.skip(normalise_relpath(given.name), folder=False)
        else:
            walk.result.files.append(SourceFile(given, normalise_relpath(given.name)))
    walk.result.skipped.sort(key=lambda skipped: skipped.relpath)
    return walk.result


def _archive_kind(path: Path) -> ArchiveKind | None:
    try:
        return archive_kind(path)
    except OSError:
        return None  # unreadable: the worker names the problem with the file


class _Walk:
    def __init__(self, scratch: Path, excluded: set[Path], limits: UnpackLimits | None):
        self.scratch = scratch
        self.excluded = excluded
        self.limits = limits
        self.result = Discovery()

    def skip(self, relpath: str, folder: bool) -> None:
        name = relpath.rsplit("/", 1)[-1]
        self.result.skipped.append(Skipped(relpath, skip_reason(name, folder)))

    def unpacked(
        self, source: Path, prefix: str, shown: str, kind: ArchiveKind | None = None
    ) -> list[SourceFile]:
        """The members of an archive (of `kind`) or bag; `prefix` names its place under the
        root."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix="unpacked-", dir=self.scratch))
        try:
            unpacked = unpack(source, target, self.limits, name=shown, kind=kind)
        except UnpackError as exc:
            self.result.refused.append(_refusal(shown, exc))
            return []
        self.result.refused += [_refusal(shown, exc) for exc in unpacked.refused]
        files = []
        skipped: set[str] = set()
        for member in unpacked.members:
            relpath = normalise_relpath(prefix + member.relpath)
            parts = relpath.split("/")
            litter = next((n for n, part in enumerate(parts) if is_skipped(part)), None)
            if litter is not None:
                top = "/".join(parts[: litter + 1])  # a skipped folder is named once
                if top not in skipped:
                    skipped.add(top)
                    self.skip(top, folder=litter < len(parts) - 1)
                continue
            bag = member.bag and BagInfo(
                normalise_relpath(prefix + member.bag.relpath) or shown, member.bag.info
            )
            files.append(SourceFile(member.path, relpath, bag))
        return files

    def folder(self, root: Path) -> None:
        found: list[SourceFile] = []
        containers: list[tuple[Path, str, ArchiveKind | None]] = []
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            for dirname in dirnames:
                if is_skipped(dirname):
                    self.skip(normalise_relpath(os.path.relpath(here / dirname, root)), True)
            dirnames[:] = sorted(d for d in dirnames if not is_skipped(d))
            for dirname in list(dirnames):
                path = here / dirname
                relpath = normalise_relpath(os.path.relpath(path, root))
                if path.is_symlink():
                    # Never descend through a link: inside the root its files are walked
                    # anyway, outside it they are not ours to read.
                    dirnames.remove(dirname)
                    if not _inside(path.resolve(), root):
                        self.result.refused.append(Refused(relpath, _OUTSIDE))
                elif is_bag(path):
                    dirnames.remove(dirname)
                    containers.append((path, relpath, None))
            for name in filenames:
                if is_skipped(name):
                    self.skip(normalise_relpath(os.path.relpath(here / name, root)), False)
                    continue
                path = here / name
                relpath = normalise_relpath(os.path.relpath(path, root))
                real = path.resolve()
                if path.is_symlink() and not _inside(real, root):
                    self.result.refused.append(Refused(relpath, _OUTSIDE))
                elif real in self.excluded or not real.is_file():
                    continue
                elif kind := _archive_kind(real):
                    containers.append((real, relpath, kind))
                else:
                    found.append(SourceFile(real if path.is_symlink() else path, relpath))
        for container, relpath, kind in sorted(containers, key=lambda c: c[1]):
            found += self.unpacked(container, relpath + "/", relpath, kind)
        self.result.files.extend(sorted(found, key=lambda f: f.relpath))


_OUTSIDE = "is a symbolic link to a place outside the ingested folder; it was not followed"


def _refusal(shown: str, exc: UnpackError) -> Refused:
    return Refused(shown, f"{exc.member}: {exc.problem}" if exc.member else exc.problem)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
