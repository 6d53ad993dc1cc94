"""discover: which files a folder holds, named the way manifests name them."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import bagit

from ingest.discover import discover, normalise_relpath
from tests.unit.support.archives import gbk_member, tar_entry, write_tar, write_zip


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def relpaths(root: Path, scratch: Path, **kwargs) -> list[str]:
    return [f.relpath for f in discover([root], scratch, **kwargs).files]


def test_walks_folders_sorted_with_posix_relative_paths(tmp_path: Path) -> None:
    root = tmp_path / "collection"
    for name in ["b.jpg", "a/z.png", "a/deep/y.tif", "剪纸/红.jpg"]:
        touch(root / name)
    assert relpaths(root, tmp_path) == ["a/deep/y.tif", "a/z.png", "b.jpg", "剪纸/红.jpg"]
    found = discover([root], tmp_path).files[0]
    assert found.path == root / "a" / "deep" / "y.tif"
    assert found.folders == ["a", "deep"]


def test_system_litter_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "c"
    for name in [
        "keep.jpg",
        ".DS_Store",
        "Thumbs.db",
        ".hidden.jpg",
        "__MACOSX/._keep.jpg",
        ".git/objects/x",
        "sub/desktop.ini",
    ]:
        touch(root / name)
    found = discover([root], tmp_path)
    assert [f.relpath for f in found.files] == ["keep.jpg"]
    # each left-out file or folder is named once, so the report can say what was left out
    assert [(s.relpath, s.reason) for s in found.skipped] == [
        (".DS_Store", "an operating-system file (macOS or Windows litter), not collection data"),
        (".git", "a hidden folder (its name starts with '.')"),
        (".hidden.jpg", "a hidden file (its name starts with '.')"),
        ("Thumbs.db", "an operating-system file (macOS or Windows litter), not collection data"),
        ("__MACOSX", "an operating-system folder (macOS or Windows litter), not collection data"),
        (
            "sub/desktop.ini",
            "an operating-system file (macOS or Windows litter), not collection data",
        ),
    ]
    given = discover([root / ".DS_Store"], tmp_path)
    assert (given.files, [s.relpath for s in given.skipped]) == ([], [".DS_Store"])


def test_decomposed_names_are_normalised_to_nfc(tmp_path: Path) -> None:
    root = tmp_path / "c"
    decomposed = unicodedata.normalize("NFD", "café.jpg")
    touch(root / decomposed)
    assert relpaths(root, tmp_path) == [unicodedata.normalize("NFC", "café.jpg")]


def test_a_given_file_is_named_by_its_file_name(tmp_path: Path) -> None:
    path = touch(tmp_path / "folder" / "one.jpg")
    assert [f.relpath for f in discover([path], tmp_path).files] == ["one.jpg"]


def test_symlinks_are_never_followed_out_of_the_root(tmp_path: Path) -> None:
    outside = touch(tmp_path / "secret" / "passwd.jpg")
    (tmp_path / "secret" / "more").mkdir()
    root = tmp_path / "c"
    inside = touch(root / "real.jpg")
    os.symlink(outside, root / "escape.jpg")
    os.symlink(tmp_path / "secret", root / "escape-dir")
    os.symlink(inside, root / "alias.jpg")
    found = discover([root], tmp_path)
    assert [f.relpath for f in found.files] == ["alias.jpg", "real.jpg"]
    assert all(f.path.resolve().is_relative_to(root) for f in found.files)
    refused = {r.relpath: r.reason for r in found.refused}
    assert set(refused) == {"escape.jpg", "escape-dir"}
    assert "outside the ingested folder" in refused["escape.jpg"]


def test_excluded_manifest_is_not_a_file_to_ingest(tmp_path: Path) -> None:
    root = tmp_path / "c"
    manifest = touch(root / "items.csv")
    touch(root / "a.jpg")
    assert relpaths(root, tmp_path, exclude=[manifest]) == ["a.jpg"]


def test_normalise_relpath() -> None:
    assert normalise_relpath(r".\photos\\a.jpg") == "photos/a.jpg"
    assert normalise_relpath("/photos//./a.jpg") == "photos/a.jpg"
    assert normalise_relpath(unicodedata.normalize("NFD", "é.jpg")) == "é.jpg"


def test_a_given_archive_is_a_root_its_members_named_inside_it(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "bundle.zip",
        [(gbk_member("歌曲/01.wav"), b"wav"), ("__MACOSX/歌曲/._01.wav", b"litter")],
    )
    found = discover([archive], tmp_path / "scratch")
    assert [f.relpath for f in found.files] == ["歌曲/01.wav"]
    assert [
        (s.relpath, s.reason.startswith("an operating-system folder")) for s in found.skipped
    ] == [("__MACOSX", True)]
    assert found.files[0].path.read_bytes() == b"wav"
    assert found.files[0].path.is_relative_to(tmp_path / "scratch")


def test_archives_and_bags_below_a_root_are_folders_of_their_own_name(tmp_path: Path) -> None:
    root = tmp_path / "c"
    touch(root / "a.jpg")
    (root / "录音").mkdir()
    write_zip(root / "录音" / "bundle.zip", [("歌曲/01.wav", b"wav")])
    tar = root / "t.tar.gz"
    write_tar(tar, [tar_entry("p.txt", b"text")], mode="w:gz")
    bag = root / "bag"
    touch(bag / "song.flac", b"flac")
    bagit.make_bag(str(bag), {"Source-Organization": "文化馆"})

    found = discover([root], tmp_path / "scratch")

    assert [f.relpath for f in found.files] == [
        "a.jpg",
        "bag/data/song.flac",
        "t.tar.gz/p.txt",
        "录音/bundle.zip/歌曲/01.wav",
    ]
    bagged = found.files[1]
    assert bagged.bag is not None and bagged.bag.relpath == "bag"
    assert bagged.bag.info["Source-Organization"] == ["文化馆"]
    assert found.files[0].bag is None and found.refused == []


def test_a_given_bag_is_a_root_and_names_itself(tmp_path: Path) -> None:
    bag = tmp_path / "收藏"
    touch(bag / "a.jpg")
    bagit.make_bag(str(bag), {"External-Description": "说明"})
    found = discover([bag], tmp_path / "scratch")
    assert [(f.relpath, f.bag.relpath if f.bag else None) for f in found.files] == [
        ("data/a.jpg", "收藏")
    ]


def test_an_unsafe_archive_is_refused_naming_its_member_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    root = tmp_path / "c"
    touch(root / "keep.jpg")
    (root / "bad").mkdir()
    write_zip(root / "bad" / "slip.zip", [("../../evil.txt", b"e")])
    found = discover([root], tmp_path / "scratch")
    assert [f.relpath for f in found.files] == ["keep.jpg"]
    (refused,) = found.refused
    assert refused.relpath == "bad/slip.zip"
    assert refused.reason.startswith("../../evil.txt: has '..' in its path")


def test_each_archive_is_sniffed_once(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from ingest import discover as discover_module
    from ingest import unpack as unpack_module

    sniffed: list[str] = []
    real = unpack_module.archive_kind

    def counting(path: Path):  # noqa: ANN202
        sniffed.append(path.name)
        return real(path)

    monkeypatch.setattr(discover_module, "archive_kind", counting)
    monkeypatch.setattr(unpack_module, "archive_kind", counting)
    root = tmp_path / "c"
    write_zip(touch(root / "bundle.zip"), [("a.jpg", b"x")])
    assert relpaths(root, tmp_path / "scratch") == ["bundle.zip/a.jpg"]
    assert sniffed.count("bundle.zip") == 1
