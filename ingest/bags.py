"""BagIt bags (RFC 8493), checked so that a refusal names the bag's file an archivist must fix.

bagit-python does the fixity work. Before it runs, the tag files are read here under the RFC's
rules, which bagit-python is laxer about or reports without saying where: bagit.txt's two
declarations, each manifest line (a path inside the bag, payload manifests inside `data/`, no
file listed twice), fetch.txt's URLs and paths. Its findings are then told per file, naming the
manifest that disagrees (a tag file's checksum is `tagmanifest-*.txt`'s, not "the manifest's").
No message carries a path of the machine the check ran on: bags are often checked in a scratch
folder the archivist never sees.

A folder with `data/` beside a `manifest-*.txt` but no bagit.txt is a bag that lost its
declaration: it is refused as such, rather than its manifests being ingested as content.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import bagit

_MANIFEST = re.compile(r"(tag)?manifest-(\w+)\.txt")
_DECLARATION = re.compile(r"(BagIt-Version|Tag-File-Character-Encoding):[ \t]+(\S+)[ \t]*")
_VERSION = re.compile(r"(\d+)\.(\d+)")
_OXUM = re.compile(r"(\d+)\.(\d+)")
_TAG_FILE_NAMED = re.compile(
    r"(?:tag)?manifest-\w+\.txt|bag-info\.txt|package-info\.txt|fetch\.txt|bagit\.txt"
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_SHOWN = 5  # files named in a message before "…"


class BagProblem(Exception):
    """A bag is refused. `file` is the bag's file at fault (relative to the bag, '/'-separated),
    None when the fault is the bag's as a whole."""

    def __init__(self, file: str | None, problem: str):
        super().__init__(f"{file}: {problem}" if file else problem)
        self.file = file
        self.problem = problem


@dataclass(frozen=True)
class _Manifest:
    name: str  # manifest-sha256.txt
    algorithm: str
    entries: dict[str, str]  # NFC path → checksum (lower case)


def is_bag(directory: Path) -> bool:
    """A folder meant as a BagIt bag: it declares itself in bagit.txt, or has the shape of one
    (`data/` beside a `manifest-*.txt`) — then `check_bag` refuses it for the missing bagit.txt."""
    if (directory / "bagit.txt").is_file():
        return True
    return (directory / "data").is_dir() and any(
        p.is_file() for p in directory.glob("manifest-*.txt")
    )


def check_bag(root: Path) -> dict[str, list[str]]:
    """Validate the bag at `root` in full; its bag-info.txt fields (repeated tags kept).

    Raises `BagProblem` naming the file at fault.
    """
    version, encoding = _declaration(root)
    if not (root / "data").is_dir():
        raise BagProblem("data", "is missing: a bag keeps its payload in a data/ folder")
    payload = [_manifest(path, encoding, version) for path in _manifests(root, "manifest-")]
    if not payload:
        raise BagProblem(None, "has no payload manifest (manifest-<algorithm>.txt)")
    _same_files(payload)
    tags = [_manifest(path, encoding, version) for path in _manifests(root, "tagmanifest-")]
    fetch = _fetch(root, encoding)
    with _bagit_quiet():
        try:
            bag = bagit.Bag(str(root))
            _check_oxum(bag)
            bag.validate(processes=1)
        except bagit.BagValidationError as exc:
            raise _explained(bag, exc, payload, tags, fetch) from None
        except bagit.BagError as exc:
            raise _from_bagit(exc, root) from None
        except (UnicodeError, LookupError) as exc:  # bagit-python reading a tag file
            raise BagProblem("bag-info.txt", f"cannot be read as {encoding} text ({exc})") from None
    return {key: value if isinstance(value, list) else [value] for key, value in bag.info.items()}


# -- the tag files, read here ----------------------------------------------------------------


def _declaration(root: Path) -> tuple[tuple[int, int], str]:
    """bagit.txt: (version, tag-file encoding)."""
    path = root / "bagit.txt"
    if not path.is_file():
        manifests = ", ".join(sorted(p.name for p in root.glob("manifest-*.txt")))
        raise BagProblem(
            "bagit.txt",
            f"is missing: the folder has data/ and {manifests} like a BagIt bag, but a bag "
            "declares itself in bagit.txt (RFC 8493 §2.1.1); add it, or take the manifests "
            "out to ingest the folder as plain files",
        )
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raise BagProblem("bagit.txt", "starts with a byte-order mark, which RFC 8493 forbids")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BagProblem("bagit.txt", "is not UTF-8 text") from None
    declared: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _DECLARATION.fullmatch(line)
        if match is None:
            raise BagProblem(
                "bagit.txt",
                f"line {number} {line.strip()!r} is malformed: it must read "
                "'BagIt-Version: M.N' or 'Tag-File-Character-Encoding: ENCODING', "
                "with no space before the colon",
            )
        declared[match[1]] = match[2]
    for tag in ("BagIt-Version", "Tag-File-Character-Encoding"):
        if tag not in declared:
            raise BagProblem("bagit.txt", f"lacks the required {tag} line")
    version = _VERSION.fullmatch(declared["BagIt-Version"])
    if version is None:
        raise BagProblem(
            "bagit.txt", f"declares BagIt-Version {declared['BagIt-Version']!r}, not MAJOR.MINOR"
        )
    numbers = (int(version[1]), int(version[2]))
    if not (0, 93) <= numbers < (2, 0):
        raise BagProblem(
            "bagit.txt", f"declares BagIt-Version {version[0]}, which is not supported"
        )
    encoding = declared["Tag-File-Character-Encoding"]
    try:
        text_encoding = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        text_encoding = False  # unknown, said below like a codec that is not a text encoding
    if not text_encoding:  # base64, rot13 … are codecs, not character encodings
        raise BagProblem("bagit.txt", f"declares {encoding!r}, which is not a character encoding")
    return numbers, encoding


def _manifests(root: Path, prefix: str) -> list[Path]:
    return sorted(
        p for p in root.glob(f"{prefix}*.txt") if p.is_file() and _MANIFEST.fullmatch(p.name)
    )


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of a tag file, blank lines and comments skipped."""
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # a BOM there is tolerated, as bagit-python does
    try:
        with path.open(encoding=encoding) as handle:
            for number, line in enumerate(handle, 1):
                stripped = line.strip()
                if stripped and not stripped.startswith("#"):
                    yield number, stripped
    except UnicodeError:
        raise BagProblem(
            path.name, f"is not {encoding} text, the encoding bagit.txt declares"
        ) from None


def _manifest(path: Path, encoding: str, version: tuple[int, int]) -> _Manifest:
    name = path.name
    algorithm = _MANIFEST.fullmatch(name)[2]  # type: ignore[index]
    if algorithm not in bagit.CHECKSUM_ALGOS:
        raise BagProblem(name, f"uses the checksum algorithm {algorithm!r}, not one known here")
    payload = name.startswith("manifest-")
    entries: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in _lines(path, encoding):
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise BagProblem(name, f"line {number} is not 'CHECKSUM PATH'")
        checksum, listed = parts[0].lower(), parts[1].lstrip("*")
        key = _checked_path(name, number, listed, payload)
        if key in entries:
            before = lines[key]
            if entries[key] != checksum:
                raise BagProblem(
                    name,
                    f"lists {listed!r} twice with different checksums (lines {before} and "
                    f"{number})",
                )
            if version >= (1, 0):
                raise BagProblem(
                    name,
                    f"lists {listed!r} twice (lines {before} and {number}); BagIt 1.0 "
                    "allows one line per file",
                )
        entries[key], lines[key] = checksum, number
    return _Manifest(name, algorithm, entries)


def _same_files(payload: list[_Manifest]) -> None:
    """Every payload manifest lists every payload file (RFC 8493 §3); bagit-python merges
    them, so a file one manifest forgets would pass on the others' checksums alone."""
    listed = set().union(*(m.entries for m in payload))
    for manifest in payload:
        lacking = sorted(listed - manifest.entries.keys())
        if lacking:
            others = ", ".join(m.name for m in payload if m is not manifest)
            raise BagProblem(
                manifest.name,
                f"does not list {_some(lacking)}, which {others} lists; every payload "
                "manifest must list every payload file",
            )


def _fetch(root: Path, encoding: str) -> dict[str, str]:
    """fetch.txt: payload path → URL."""
    path = root / "fetch.txt"
    if not path.is_file():
        return {}
    urls: dict[str, str] = {}
    for number, line in _lines(path, encoding):
        parts = line.split(None, 2)
        if len(parts) != 3 or not (parts[1] == "-" or parts[1].isdigit()):
            raise BagProblem("fetch.txt", f"line {number} is not 'URL LENGTH PATH'")
        url, _, listed = parts
        parsed = urlparse(url)
        if not (parsed.scheme and parsed.netloc or parsed.scheme == "file"):
            raise BagProblem("fetch.txt", f"line {number} has a malformed URL {url!r}")
        urls[_checked_path("fetch.txt", number, listed, True)] = url
    return urls


def _checked_path(file: str, number: int, listed: str, payload: bool) -> str:
    """The NFC, normalised form of a path a tag file lists, or BagProblem if it leaves the bag."""
    parts = re.split(r"[\\/]", listed)
    why = (
        "an absolute path"
        if listed.startswith(("/", "\\"))
        else "a Windows drive path"
        if _DRIVE.match(listed)
        else "a home-folder shortcut"
        if listed.startswith("~")
        else "a path that climbs out of the bag with '..'"
        if ".." in parts
        else "a path with '\\' separators; BagIt paths use '/'"
        if "\\" in listed
        else None
    )
    if why:
        raise BagProblem(file, f"line {number} lists {listed!r}, {why}; refused")
    key = unicodedata.normalize("NFC", os.path.normpath(listed).replace(os.sep, "/"))
    if payload and not key.startswith("data/"):
        raise BagProblem(
            file,
            f"line {number} lists {listed!r}, which is not in data/; it may list payload only",
        )
    return key


def _check_oxum(bag: bagit.Bag) -> None:
    oxum = bag.info.get("Payload-Oxum")
    for value in oxum if isinstance(oxum, list) else [oxum] if oxum else []:
        if not _OXUM.fullmatch(value):
            raise BagProblem(
                bag.tag_file_name, f"has a malformed Payload-Oxum {value!r} (BYTES.FILES)"
            )


# -- what bagit-python found, told per file --------------------------------------------------


def _explained(
    bag: bagit.Bag,
    exc: bagit.BagValidationError,
    payload: list[_Manifest],
    tags: list[_Manifest],
    fetch: dict[str, str],
) -> BagProblem:
    details = list(exc.details)
    oxum = bag.info.get("Payload-Oxum")
    if not details and oxum:
        # Payload-Oxum (file count and bytes) disagreed, which bagit checks first: look further
        # to name the files, or else blame bag-info.txt itself.
        del bag.info["Payload-Oxum"]
        try:
            bag.validate(processes=1)
        except bagit.BagValidationError as deeper:
            details = list(deeper.details)
        if not details:
            files, size = _payload_size(Path(bag.path) / "data")
            return BagProblem(
                bag.tag_file_name,
                f"fails BagIt validation: its Payload-Oxum {oxum} does not match data/, "
                f"which holds {size} bytes in {files} files",
            )
    if not details:
        return _from_bagit(exc, Path(bag.path))
    problems: dict[str, str] = {}
    failing: dict[str, set[str]] = {}  # payload file → manifests its checksum fails
    failing_tags: dict[str, set[str]] = {}  # tag manifest → tag files failing its checksums
    for detail in details:
        path = unicodedata.normalize("NFC", str(detail.path))
        in_payload = path.startswith("data/")
        listing = [m.name for m in (payload if in_payload else tags) if path in m.entries]
        if isinstance(detail, bagit.ChecksumMismatch):
            manifest = f"manifest-{detail.algorithm}.txt"
            if in_payload:
                failing.setdefault(path, set()).add(manifest)
            else:
                failing_tags.setdefault(f"tag{manifest}", set()).add(path)
        elif isinstance(detail, bagit.FileMissing) and path in fetch:
            problems[path] = (
                f"it is listed in fetch.txt, to be fetched from {fetch[path]}, and is not "
                "here; fetch it before ingesting (this repository does not download)"
            )
        elif isinstance(detail, bagit.FileMissing):
            problems[path] = f"it is listed in {', '.join(listing)} but missing"
        elif isinstance(detail, bagit.UnexpectedFile):
            lacking = [m.name for m in payload if path not in m.entries]
            problems[path] = f"it is in the payload but not in {', '.join(lacking)}"
    for path, manifests in failing.items():
        problems[path] = f"its checksum does not match {', '.join(sorted(manifests))}"
    for manifest, paths in failing_tags.items():
        problems[manifest] = (
            f"the checksums it lists for {_some(sorted(paths))} do not match those files"
        )
    ordered = sorted(problems.items())
    (first, why), others = ordered[0], [path for path, _ in ordered[1:]]
    also = f"; {len(others)} more files fail too: {_some(others)}" if others else ""
    return BagProblem(first, f"fails BagIt validation: {why}{also}")


def _from_bagit(exc: bagit.BagError, root: Path) -> BagProblem:
    """bagit-python's own words, without the machine's paths, blaming the tag file it names."""
    text = str(exc).replace(f"{root}{os.sep}", "").replace(str(root), "the bag")
    named = _TAG_FILE_NAMED.search(text)
    return BagProblem(named[0] if named else None, f"fails BagIt validation: {text}")


def _payload_size(data: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, filenames in os.walk(data):
        for name in filenames:
            files += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return files, size


def _some(names: list[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (" …" if len(names) > _SHOWN else "")


@contextmanager
def _bagit_quiet() -> Iterator[None]:
    """bagit-python logs each failure with the bag's full path; they are reported here instead."""
    logger = logging.getLogger("bagit")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was
