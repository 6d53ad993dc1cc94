"""The Library of Congress BagIt conformance suite, bag by bag: as a folder and inside a ZIP.

Valid bags are ingested whole; invalid ones are refused naming the bag and the file at fault,
and no message carries a path of this machine (bags are checked in scratch folders).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.discover import discover
from ingest.unpack import UnpackError, unpack

SUITE = Path(__file__).parents[2] / "fixtures" / "bagit-conformance"


def bags(*groups: str) -> list[Path]:
    return sorted(p for group in groups for p in SUITE.glob(f"v*/{group}/*") if p.is_dir())


def named(bag: Path) -> str:
    return bag.relative_to(SUITE).as_posix()


# The file each invalid bag is refused for, and words its reason must hold.
REFUSED = {
    "v0.97/invalid/baginfo-missing-encoding": ("bagit.txt", "Tag-File-Character-Encoding"),
    "v0.97/invalid/bom-in-bagit.txt": ("bagit.txt", "byte-order mark"),
    "v0.97/invalid/corrupt-data-file": ("data/bare-filename", "does not match manifest-md5.txt"),
    "v0.97/invalid/corrupt-tag-file": (
        "tagmanifest-md5.txt",
        "checksums it lists for bag-info.txt, bagit.txt, manifest-md5.txt do not match",
    ),
    "v0.97/invalid/extra-file-in-bag": ("data/bar", "not in manifest-md5.txt"),
    "v0.97/invalid/invalid-version-number": ("bagit.txt", "'.97', not MAJOR.MINOR"),
    "v0.97/invalid/missing-baginfo": ("bag-info.txt", "listed in tagmanifest-md5.txt but missing"),
    "v0.97/invalid/missing-bagit.txt": ("bagit.txt", "is missing"),
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation": ("manifest-md5.txt", "'..'"),
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch": ("fetch.txt", "'..'"),
    "v0.97/invalid/same-filename-listed-twice-with-different-hashes": (
        "manifest-sha256.txt",
        "'data/README' twice with different checksums",
    ),
    "v0.97/linux-only/out-of-scope-file-paths-using-absolute-path": (
        "manifest-md5.txt",
        "absolute path",
    ),
    "v0.97/linux-only/out-of-scope-file-paths-using-absolute-path-for-fetch": (
        "fetch.txt",
        "absolute path",
    ),
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut": ("manifest-md5.txt", "home-folder"),
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-for-fetch": (
        "fetch.txt",
        "home-folder",
    ),
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username": (
        "manifest-md5.txt",
        "home-folder",
    ),
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username-for-fetch": (
        "fetch.txt",
        "home-folder",
    ),
    # Invalid anywhere, not only on Windows: a bag is made to be moved between machines.
    "v0.97/windows-only/out-of-scope-file-paths-using-absolute-path": (
        "manifest-md5.txt",
        "Windows drive path",
    ),
    "v0.97/windows-only/out-of-scope-file-paths-using-absolute-path-for-fetch": (
        "fetch.txt",
        "Windows drive path",
    ),
    "v0.97/windows-only/out-of-scope-file-paths-using-shortcut": ("manifest-md5.txt", "'\\'"),
    "v0.97/windows-only/out-of-scope-file-paths-using-shortcut-for-fetch": ("fetch.txt", "'\\'"),
    "v0.97/windows-only/out-of-scope-file-paths-using-unc": ("manifest-md5.txt", "absolute path"),
    "v0.97/windows-only/out-of-scope-file-paths-using-unc-for-fetch": ("fetch.txt", "absolute"),
    "v1.0/invalid/bagit-with-invalid-whitespace": ("bagit.txt", "no space before the colon"),
    "v1.0/invalid/notAllManifestsListAllFiles": (
        "data/missingFromManifest.txt",
        "not in manifest-sha512.txt",
    ),
    "v1.0/invalid/same-filename-listed-twice-with-different-hashes": (
        "manifest-sha256.txt",
        "twice with different checksums",
    ),
    "v1.0/invalid/same-filename-listed-twice-with-the-same-hash": (
        "manifest-sha256.txt",
        "BagIt 1.0 allows one line per file",
    ),
    # Warnings by the suite's rules, but on a case-sensitive file system a listed file is absent.
    "v0.97/warning/duplicate-file-with-different-case": ("data/HELLO.txt", "missing"),
    "v0.97/warning/same-filename-listed-twice-with-different-normalization": (
        "data/Núñez",
        "does not match",
    ),
    "v0.97/warning/special-system-files": ("data/.DS_Store", "missing"),  # not in the suite's git
}
VALID = [b for b in bags("valid", "warning") if named(b) not in REFUSED]
INVALID = [
    b for b in bags("invalid", "linux-only", "windows-only", "warning") if named(b) in REFUSED
]


def payload(bag: Path) -> list[str]:
    """Every file under the bag's data/ folder, '/'-separated from the bag."""
    return sorted(p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file())


def zipped(bag: Path, folder: Path) -> Path:
    return Path(shutil.make_archive(str(folder / bag.name), "zip", bag.parent, bag.name))


def no_machine_paths(message: str, *paths: Path) -> None:
    for path in paths:
        assert str(path) not in message


def test_the_suite_is_all_here() -> None:
    assert len(VALID) == 30 and len(INVALID) == len(REFUSED) == 30


@pytest.mark.parametrize("bag", VALID, ids=named)
def test_valid_bag_is_ingested_as_a_folder_and_inside_a_zip(bag: Path, tmp_path: Path) -> None:
    as_folder = unpack(bag, tmp_path / "a")
    assert as_folder.refused == []
    assert [m.relpath for m in as_folder.members] == payload(bag)  # payload is opaque: all of it
    assert all(m.bag is not None and m.bag.relpath == "" for m in as_folder.members)

    in_zip = unpack(zipped(bag, tmp_path), tmp_path / "b")
    assert in_zip.refused == []
    assert [m.relpath for m in in_zip.members] == [f"{bag.name}/{p}" for p in payload(bag)]
    assert {m.bag.relpath for m in in_zip.members if m.bag} == {bag.name}


@pytest.mark.parametrize("bag", INVALID, ids=named)
def test_invalid_bag_is_refused_naming_the_file_at_fault(bag: Path, tmp_path: Path) -> None:
    file, words = REFUSED[named(bag)]
    with pytest.raises(UnpackError) as caught:
        unpack(bag, tmp_path / "a")
    error = caught.value
    assert (error.archive, error.member) == (bag.name, file)
    assert words in error.problem
    no_machine_paths(str(error), bag, tmp_path)

    in_zip = unpack(zipped(bag, tmp_path), tmp_path / "b")
    assert in_zip.members == []
    (inside,) = in_zip.refused
    assert (inside.archive, inside.member) == (f"{bag.name}.zip", f"{bag.name}/{file}")
    assert words in inside.problem
    no_machine_paths(str(inside), bag, tmp_path)


def test_a_folder_of_suite_bags_refuses_each_bad_one_and_ingests_the_rest(tmp_path: Path) -> None:
    found = discover([SUITE / "v0.97"], tmp_path / "scratch")
    refused = {r.relpath: r.reason for r in found.refused}
    assert set(refused) == {named(b).removeprefix("v0.97/") for b in INVALID if "v0.97" in named(b)}
    assert refused["invalid/missing-bagit.txt"].startswith("bagit.txt: is missing")
    kept = {f.bag.relpath for f in found.files if f.bag}
    assert kept == {named(b).removeprefix("v0.97/") for b in VALID if "v0.97" in named(b)}
    assert all(f.bag for f in found.files)  # nothing of a bag ingested as loose files


def _bag(root: Path, declaration: bytes, info: bytes = b"Source-Organization: x\n") -> Path:
    """A minimal bag with one payload file and the given bagit.txt and bag-info.txt bytes."""
    import hashlib

    (root / "data").mkdir(parents=True)
    (root / "data" / "a.txt").write_bytes(b"hello\n")
    digest = hashlib.sha256(b"hello\n").hexdigest()
    (root / "manifest-sha256.txt").write_text(f"{digest}  data/a.txt\n")
    (root / "bagit.txt").write_bytes(declaration)
    (root / "bag-info.txt").write_bytes(info)
    return root


@pytest.mark.parametrize(
    ("declaration", "info", "file", "said"),
    [
        (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: base64\n",
            b"",
            "bagit.txt",
            "not a character encoding",
        ),
        (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: no-such-codec\n",
            b"",
            "bagit.txt",
            "not a character encoding",
        ),
        (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "Source-Organization: 蔚县文化馆\n".encode("gbk"),
            "bag-info.txt",
            "UTF-8",
        ),
    ],
)
def test_a_hostile_bag_declaration_is_refused_by_name_not_a_traceback(
    tmp_path: Path, declaration: bytes, info: bytes, file: str, said: str
) -> None:
    bag = _bag(tmp_path / "bag", declaration, info)
    with pytest.raises(UnpackError) as refused:  # a folder bag, as an archivist hands it over
        unpack(bag, tmp_path / "a")
    assert refused.value.member == file and said in refused.value.problem
    in_zip = unpack(zipped(bag, tmp_path), tmp_path / "b")  # inside an upload: refused alone
    assert [r.member for r in in_zip.refused] == [f"bag/{file}"]
