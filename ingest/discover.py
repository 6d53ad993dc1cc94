"""Walk the paths given to `heritage ingest` and list the files to ingest.

Each file gets a relative path (POSIX separators, Unicode NFC, relative to the folder it was
found under; a file given directly is relative to its own folder) — the same form manifest paths
are normalised to, so rows and files pair by plain string equality. Operating-system litter
(hidden files, `__MACOSX`, `.DS_Store`, `Thumbs.db`) is skipped. Symbolic links are followed only
when they stay inside the folder being walked; a link out of it is reported, never read.

Archives (ZIP, TAR, BagIt) plug in through `UNPACKERS`: a given file whose identified format has
an unpacker there is unpacked into the scratch folder and its members are listed like the files
of a folder (relative paths inside the archive).
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.identify import HEAD_BYTES, sniff

SKIPPED_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini"})


class Unpacked(Protocol):
    """One file an unpacker produced (`ingest.unpack.Member` has this shape)."""

    @property
    def path(self) -> Path: ...

    @property
    def relpath(self) -> str: ...


Unpacker = Callable[[Path, Path], Iterable[Unpacked]]
"""(archive file, scratch folder) -> the unpacked files, relative paths inside the archive."""

UNPACKERS: dict[str, Unpacker] = {}
"""Archive format name (as `identify` names it: ZIP, TAR, gzip …) -> its unpacker. Empty until
archives are wired in; until then `identify` refuses an archive with a clear reason."""


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute path on disk
    relpath: str  # POSIX, NFC, relative to the root it was found under

    @property
    def folders(self) -> list[str]:
        """The folder names between the root and the file (vocabulary tags come from them)."""
        return self.relpath.split("/")[:-1]


@dataclass(frozen=True)
class Refused:
    relpath: str
    reason: str


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def normalise_relpath(value: str) -> str:
    """One spelling for a relative path: '/' separators, NFC, no './', no empty parts."""
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    return unicodedata.normalize("NFC", "/".join(parts))


def is_skipped(name: str) -> bool:
    return name.startswith(".") or name.casefold() in SKIPPED_NAMES


def discover(paths: Iterable[Path], scratch: Path, exclude: Iterable[Path] = ()) -> Discovery:
    """List the files under `paths` in a stable order. Archives are unpacked into `scratch`.

    `exclude` holds files never to ingest (the manifest itself when it sits in the folder).
    """
    excluded = {p.resolve() for p in exclude}
    result = Discovery()
    for given in paths:
        given = given.resolve()
        if given.is_dir():
            _walk(given, result, excluded)
            continue
        unpacker = _unpacker_for(given)
        if unpacker is not None:
            target = Path(tempfile.mkdtemp(prefix="unpacked-", dir=scratch))
            members = unpacker(given, target)
            result.files.extend(SourceFile(m.path, normalise_relpath(m.relpath)) for m in members)
        elif given not in excluded and not is_skipped(given.name):
            result.files.append(SourceFile(given, normalise_relpath(given.name)))
    return result


def _unpacker_for(path: Path) -> Unpacker | None:
    if not UNPACKERS:
        return None
    with path.open("rb") as handle:
        fmt = sniff(handle.read(HEAD_BYTES))
    return UNPACKERS.get(fmt.name) if fmt else None


def _walk(root: Path, result: Discovery, excluded: set[Path]) -> None:
    found: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not is_skipped(d))
        for dirname in list(dirnames):
            if (here / dirname).is_symlink():
                # Never descend through a link: inside the root its files are walked anyway,
                # outside it they are not ours to read.
                dirnames.remove(dirname)
                if not _inside((here / dirname).resolve(), root):
                    relpath = normalise_relpath(os.path.relpath(here / dirname, root))
                    result.refused.append(Refused(relpath, _OUTSIDE))
        for name in filenames:
            if is_skipped(name):
                continue
            path = here / name
            relpath = normalise_relpath(os.path.relpath(path, root))
            real = path.resolve()
            if path.is_symlink() and not _inside(real, root):
                result.refused.append(Refused(relpath, _OUTSIDE))
            elif real not in excluded and real.is_file():
                found.append(SourceFile(real if path.is_symlink() else path, relpath))
    result.files.extend(sorted(found, key=lambda f: f.relpath))


_OUTSIDE = "is a symbolic link to a place outside the ingested folder; it was not followed"


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
