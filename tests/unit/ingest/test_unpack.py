"""ingest.unpack: safe extraction of ZIP/TAR/BagIt, judged by what lands on disk."""

from __future__ import annotations

import gzip
import io
import pickle
import shutil
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import bagit
import pytest

from ingest.unpack import (
    Member,
    Unpacked,
    UnpackError,
    UnpackLimits,
    archive_kind,
    is_bag,
    unpack,
)
from tests.unit.support.archives import (
    gbk_member,
    symlink_member,
    tar_entry,
    unicode_path_member,
    write_bomb,
    write_tar,
    write_zip,
    zip_bytes,
)

PILLOW = Path(__file__).parents[2] / "fixtures" / "pillow"
# 乗 and 淺 are GBK characters whose second byte is 0x5C, the ASCII backslash.
GBK_NAMES = ["鄂尔多斯民歌/乗船调.txt", "剪纸/淺色/图样.txt", "说明.txt"]


def by_name(members: list[Member]) -> dict[str, Member]:
    return {m.relpath: m for m in members}


def refused(archive: Path, dest: Path, limits: UnpackLimits | None = None) -> UnpackError:
    """Unpack, expect the whole source refused, and check nothing was left behind in `dest`."""
    with pytest.raises(UnpackError) as caught:
        unpack(archive, dest, limits)
    assert not dest.exists() or list(dest.iterdir()) == []
    assert caught.value.archive == archive.name
    return caught.value


def one_refused(archive: Path, dest: Path) -> tuple[UnpackError, Unpacked]:
    """Unpack, expect exactly one member refused (the rest unpacked), and return it."""
    result = unpack(archive, dest)
    (error,) = result.refused
    assert error.archive == archive.name
    on_disk = {p for p in dest.rglob("*") if p.is_file()}
    assert on_disk == {m.path for m in result.members}  # nothing of the refused one is left
    return error, result


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "scratch"


# -- ZIP -----------------------------------------------------------------------------------


def test_zip_members_land_under_dest_with_their_bytes(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(
        tmp_path / "bundle.zip",
        [("photos/", b""), ("photos/a.jpg", b"jpeg bytes"), ("notes.txt", b"hello " * 1000)],
    )

    result = unpack(archive, dest)
    members = result.members

    assert result.refused == []
    assert [m.relpath for m in members] == ["notes.txt", "photos/a.jpg"]
    found = by_name(members)
    assert found["photos/a.jpg"].path == dest / "bundle.zip" / "photos" / "a.jpg"
    assert found["photos/a.jpg"].path.read_bytes() == b"jpeg bytes"
    assert found["notes.txt"].size == 6000
    assert all(m.bag is None for m in members)
    assert [p.name for p in dest.iterdir()] == ["bundle.zip"]  # no temporary folder left


def test_gbk_names_without_utf8_flag_come_out_in_chinese(tmp_path: Path, dest: Path) -> None:
    assert all(b"\\" in "乗淺".encode("gbk")[i : i + 2] for i in (0, 2))
    archive = write_zip(tmp_path / "gbk.zip", [(gbk_member(n), n.encode()) for n in GBK_NAMES])
    with zipfile.ZipFile(archive) as zf:  # what Python alone makes of them
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())
        assert set(zf.namelist()).isdisjoint(GBK_NAMES)

    members = unpack(archive, dest).members

    assert sorted(m.relpath for m in members) == sorted(GBK_NAMES)
    for member in members:
        assert member.path.read_bytes() == member.relpath.encode()
        assert member.path == dest / "gbk.zip" / member.relpath


def test_utf8_flagged_names_are_kept_and_nfc_normalised(tmp_path: Path, dest: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Pie\u0300ces/安塞腰鼓.txt")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    archive = write_zip(tmp_path / "utf8.zip", [(decomposed, b"x"), ("plain.txt", b"y")])

    members = unpack(archive, dest).members

    assert [m.relpath for m in members] == ["Pièces/安塞腰鼓.txt", "plain.txt"]
    assert (dest / "utf8.zip" / "Pièces" / "安塞腰鼓.txt").read_bytes() == b"x"


def test_unicode_path_extra_field_gives_the_real_name(tmp_path: Path, dest: Path) -> None:
    raw = "花儿.txt".encode("big5")  # neither valid UTF-8 nor the right name
    archive = write_zip(tmp_path / "x.zip", [(unicode_path_member(raw, "花儿.txt"), b"x")])

    assert [m.relpath for m in unpack(archive, dest).members] == ["花儿.txt"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../../evil.txt", "zip-slip"),
        ("photos/../../evil.txt", "zip-slip"),
        ("..\\..\\evil.txt", "zip-slip"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/Windows/evil.txt", "absolute path"),
    ],
)
def test_paths_leaving_the_folder_are_refused_and_the_good_members_unpacked(
    tmp_path: Path, dest: Path, name: str, problem: str
) -> None:
    archive = write_zip(
        tmp_path / "bad.zip", [("ok.txt", b"fine"), (name, b"evil"), ("z/after.txt", b"more")]
    )

    error, result = one_refused(archive, dest)

    assert error.member == name
    assert problem in str(error) and name in str(error) and "bad.zip" in str(error)
    assert [(m.relpath, m.path.read_bytes()) for m in result.members] == [
        ("ok.txt", b"fine"),
        ("z/after.txt", b"more"),
    ]
    assert not list(tmp_path.rglob("evil.txt"))


def test_zip_symlink_is_refused(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(
        tmp_path / "link.zip", [(symlink_member("passwd"), b"/etc/passwd"), ("a.txt", b"a")]
    )

    error, result = one_refused(archive, dest)

    assert error.member == "passwd" and "symbolic link" in str(error)
    assert [m.relpath for m in result.members] == ["a.txt"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_password_protected_member_is_refused(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(
        tmp_path / "locked.zip",
        [("open.txt", b"a"), (gbk_member("秘密.txt", encrypted=True), b"ciphertext")],
    )

    error, result = one_refused(archive, dest)

    assert error.member == "秘密.txt" and "password-protected" in str(error)
    assert [m.relpath for m in result.members] == ["open.txt"]


def test_corrupt_member_is_refused_and_no_part_of_it_left(tmp_path: Path, dest: Path) -> None:
    data = bytearray(
        zip_bytes(
            [("a.txt", b"first " * 100), ("b.bin", bytes(range(256)) * 64), ("c.txt", b"last")],
            zipfile.ZIP_STORED,
        )
    )
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("b.bin")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF  # same size, wrong bytes: the CRC tells
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(bytes(data))

    error, result = one_refused(archive, dest)

    assert error.member == "b.bin" and "corrupt" in error.problem
    assert [m.relpath for m in result.members] == ["a.txt", "c.txt"]


def test_zip_bomb_is_refused_while_streaming(tmp_path: Path, dest: Path) -> None:
    size = 256 * 1024 * 1024
    archive = write_bomb(tmp_path / "bomb.zip", size)
    assert archive.stat().st_size * 1000 < size  # ratio above 1000:1
    # Were the ratio not caught while streaming, the half-way byte limit would speak first.
    limits = UnpackLimits(max_total_bytes=size // 2)

    error = refused(archive, dest, limits)

    assert error.member == "zeros.bin" and "zip bomb" in str(error)


def test_member_count_and_total_size_limits(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(tmp_path / "many.zip", [(f"{i}.txt", b"x" * 100) for i in range(5)])

    assert "more than 4 entries" in str(refused(archive, dest, UnpackLimits(max_members=4)))
    assert "past the limit of 450" in str(refused(archive, dest, UnpackLimits(max_total_bytes=450)))
    limits = UnpackLimits(max_members=5, max_total_bytes=500)
    assert len(unpack(archive, dest, limits).members) == 5


def test_duplicate_and_conflicting_names_are_refused(tmp_path: Path, dest: Path) -> None:
    twice = write_zip(tmp_path / "twice.zip", [("a.txt", b"1"), ("./a.txt", b"2")])
    clash = write_zip(tmp_path / "clash.zip", [("a", b"file"), ("a/b.txt", b"inside")])

    error, result = one_refused(twice, dest / "1")
    assert error.member == "./a.txt" and "appears twice" in str(error)
    assert [m.path.read_bytes() for m in result.members] == [b"1"]  # the first one stands
    error, result = one_refused(clash, dest / "2")
    assert error.member == "a/b.txt" and [m.relpath for m in result.members] == ["a"]


def test_corrupt_zip_is_refused(tmp_path: Path, dest: Path) -> None:
    data = zip_bytes([("a.txt", b"some text " * 500)])
    archive = tmp_path / "cut.zip"
    archive.write_bytes(data[: len(data) // 2])

    assert "corrupt" in str(refused(archive, dest))


def test_error_names_the_archive_as_given_and_survives_pickling(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(tmp_path / "bundle.zip", [("../up.txt", b"x")])

    (error,) = unpack(archive, dest, name="县文化馆/bundle.zip").refused
    copy = pickle.loads(pickle.dumps(error))

    assert (copy.archive, copy.member) == ("县文化馆/bundle.zip", "../up.txt")
    assert str(copy) == str(error)
    assert str(copy).startswith("县文化馆/bundle.zip: ../up.txt: ")


def test_existing_target_is_not_overwritten(tmp_path: Path, dest: Path) -> None:
    archive = write_zip(tmp_path / "bundle.zip", [("a.txt", b"1")])
    (dest / "bundle.zip").mkdir(parents=True)

    with pytest.raises(UnpackError, match="unpacked into this folder before") as caught:
        unpack(archive, dest)
    assert str(dest) not in str(caught.value)


# -- TAR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_kinds_are_detected_from_bytes(tmp_path: Path, dest: Path, mode: str) -> None:
    archive = write_tar(
        tmp_path / "bundle.dat",  # the extension says nothing
        [
            tar_entry("./", kind=tarfile.DIRTYPE),
            tar_entry("./歌/a.txt", b"song"),
            tar_entry("b.txt", b"more"),
        ],
        mode,
    )

    assert archive_kind(archive) == "tar"
    members = unpack(archive, dest).members

    assert [(m.relpath, m.path.read_bytes()) for m in members] == [
        ("b.txt", b"more"),
        ("歌/a.txt", b"song"),
    ]


def test_tar_gbk_names_are_decoded(tmp_path: Path, dest: Path) -> None:
    archive = write_tar(
        tmp_path / "gbk.tar",
        [tar_entry(n, b"x") for n in GBK_NAMES],
        encoding="gbk",
        fmt=tarfile.GNU_FORMAT,
    )

    assert sorted(m.relpath for m in unpack(archive, dest).members) == sorted(GBK_NAMES)


def _without_magic(archive: Path, checksum: int = 0, *, signed: bool = False) -> Path:
    """The archive's first header as a V7 tar writes it: no "ustar" magic, and its checksum
    recomputed (as signed bytes when `signed`), plus `checksum` (a wrong one when not 0)."""
    data = bytearray(archive.read_bytes())
    data[257:265] = bytes(8)
    data[148:156] = b" " * 8
    total = sum(b - 256 if signed and b > 0x7F else b for b in data[:512]) + checksum
    data[148:156] = b"%06o\0 " % total
    archive.write_bytes(bytes(data))
    return archive


@pytest.mark.parametrize("signed", [False, True])
def test_a_tar_without_the_ustar_magic_is_detected_and_unpacked(
    tmp_path: Path, dest: Path, signed: bool
) -> None:
    """V7 and early GNU tars write no magic: their checksum says what they are, as for tarfile
    (a GBK name has bytes above 0x7F, which old tars summed as signed)."""
    archive = write_tar(
        tmp_path / "old.tar",
        [tar_entry("说明.txt", b"song")],
        encoding="gbk",
        fmt=tarfile.GNU_FORMAT,
    )
    _without_magic(archive, signed=signed)

    assert archive_kind(archive) == "tar"
    assert [(m.relpath, m.path.read_bytes()) for m in unpack(archive, dest).members] == [
        ("说明.txt", b"song")
    ]


@pytest.mark.parametrize("checksum", [1, -1])
def test_a_header_without_magic_whose_checksum_fails_is_no_tar(
    tmp_path: Path, dest: Path, checksum: int
) -> None:
    archive = _without_magic(
        write_tar(tmp_path / "old.tar", [tar_entry("a.txt", b"x")], fmt=tarfile.GNU_FORMAT),
        checksum,
    )

    assert archive_kind(archive) is None
    with pytest.raises(UnpackError, match="is not an archive this repository unpacks"):
        unpack(archive, dest)


def test_pillows_v7_test_tar_is_unpacked(dest: Path) -> None:
    """Pillow's Tests/images/hopper.tar: two pictures in a tar without the ustar magic."""
    members = unpack(PILLOW / "hopper.tar", dest).members

    assert [m.relpath for m in members] == ["hopper.jpg", "hopper.png"]
    assert members[0].path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert members[1].path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (tar_entry("tty", kind=tarfile.CHRTYPE), "device file"),
        (tar_entry("disk", kind=tarfile.BLKTYPE), "device file"),
        (tar_entry("pipe", kind=tarfile.FIFOTYPE), "FIFO"),
        (tar_entry("passwd", kind=tarfile.SYMTYPE, linkname="/etc/passwd"), "symbolic link"),
        (tar_entry("inside", kind=tarfile.SYMTYPE, linkname="ok.txt"), "links are refused"),
        (tar_entry("hard", kind=tarfile.LNKTYPE, linkname="ok.txt"), "hard link"),
        (tar_entry("../evil.txt", b"evil"), "zip-slip"),
        (tar_entry("/tmp/evil.txt", b"evil"), "absolute path"),
    ],
)
def test_tar_unsafe_entries_are_refused_and_the_good_ones_unpacked(
    tmp_path: Path, dest: Path, entry: tuple[tarfile.TarInfo, bytes], problem: str
) -> None:
    archive = write_tar(
        tmp_path / "bad.tar.gz",
        [tar_entry("ok.txt", b"fine"), entry, tar_entry("later/ok2.txt", b"also fine")],
        "w:gz",
    )

    error, result = one_refused(archive, dest)

    assert error.member == entry[0].name and problem in str(error)
    assert [(m.relpath, m.path.read_bytes()) for m in result.members] == [
        ("later/ok2.txt", b"also fine"),
        ("ok.txt", b"fine"),
    ]
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_tar_bomb_is_refused(tmp_path: Path, dest: Path) -> None:
    size = 64 * 1024 * 1024
    archive = tmp_path / "bomb.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        with (tmp_path / "zeros").open("wb") as out:
            out.truncate(size)  # sparse on disk
        with (tmp_path / "zeros").open("rb") as data:
            tf.addfile(info, data)
    (tmp_path / "zeros").unlink()

    error = refused(archive, dest, UnpackLimits(max_total_bytes=size // 2))

    assert error.member == "zeros.bin" and "zip bomb" in str(error)


def test_truncated_tar_gz_is_refused(tmp_path: Path, dest: Path) -> None:
    archive = write_tar(tmp_path / "cut.tgz", [tar_entry("a.bin", bytes(range(256)) * 400)], "w:gz")
    archive.write_bytes(archive.read_bytes()[:-200])

    assert "truncated" in str(refused(archive, dest))


# -- nesting -------------------------------------------------------------------------------


def nested_zip(levels: int, leaf: bytes = b"leaf") -> bytes:
    """levels=1: a zip holding leaf.txt; each further level wraps the previous in a zip."""
    data = zip_bytes([("leaf.txt", leaf)])
    for level in range(2, levels + 1):
        data = zip_bytes([(f"level{level - 1}.zip", data), (f"note{level}.txt", b"n")])
    return data


def test_nested_archives_are_unpacked_in_place(tmp_path: Path, dest: Path) -> None:
    archive = tmp_path / "outer.zip"
    archive.write_bytes(nested_zip(3))  # outer + 2 nested levels: the default depth

    members = unpack(archive, dest).members

    assert [m.relpath for m in members] == [
        "level2.zip/level1.zip/leaf.txt",
        "level2.zip/note2.txt",
        "note3.txt",
    ]
    leaf = by_name(members)["level2.zip/level1.zip/leaf.txt"]
    assert leaf.path == dest / "outer.zip" / "level2.zip" / "level1.zip" / "leaf.txt"
    assert leaf.path.read_bytes() == b"leaf"


def test_mixed_nesting_zip_in_tar_gz(tmp_path: Path, dest: Path) -> None:
    inner = zip_bytes([("照片/a.jpg", b"jpeg")])
    archive = write_tar(tmp_path / "outer.tar.gz", [tar_entry("inner.zip", inner)], "w:gz")

    assert [m.relpath for m in unpack(archive, dest).members] == ["inner.zip/照片/a.jpg"]


def test_nesting_beyond_depth_is_refused_and_the_rest_unpacked(tmp_path: Path, dest: Path) -> None:
    archive = tmp_path / "deep.zip"
    archive.write_bytes(nested_zip(4))

    error, result = one_refused(archive, dest / "1")
    assert error.member == "level3.zip/level2.zip/level1.zip" and "nested" in str(error)
    assert [m.relpath for m in result.members] == [
        "level3.zip/level2.zip/note2.txt",
        "level3.zip/note3.txt",
        "note4.txt",
    ]
    shallow = unpack(archive, dest / "2", UnpackLimits(max_depth=0))
    assert [e.member for e in shallow.refused] == ["level3.zip"]
    assert [m.relpath for m in shallow.members] == ["note4.txt"]


def test_a_corrupt_nested_archive_is_refused_as_a_member(tmp_path: Path, dest: Path) -> None:
    inner = zip_bytes([("a.txt", b"some text " * 500)])
    archive = write_zip(
        tmp_path / "outer.zip", [("cut.zip", inner[: len(inner) // 2]), ("b.txt", b"b")]
    )

    error, result = one_refused(archive, dest)

    assert error.member == "cut.zip" and "corrupt ZIP archive" in error.problem
    assert [m.relpath for m in result.members] == ["b.txt"]


def test_limits_apply_across_nesting_levels(tmp_path: Path, dest: Path) -> None:
    inner = zip_bytes([("a.txt", b"x" * 300), ("b.txt", b"x" * 300)])
    archive = write_zip(tmp_path / "outer.zip", [("inner.zip", inner), ("c.txt", b"x" * 300)])
    # outer: inner.zip + c.txt = 2 entries, inner: 2 more
    assert refused(archive, dest, UnpackLimits(max_members=3)).member == "inner.zip/b.txt"
    too_big = UnpackLimits(max_total_bytes=len(inner) + 300 + 500)
    assert refused(archive, dest, too_big).member == "inner.zip/b.txt"


def test_packaged_documents_are_not_unpacked(tmp_path: Path, dest: Path) -> None:
    docx = write_zip(tmp_path / "report.docx", [("[Content_Types].xml", b"<x/>"), ("w/a", b"")])
    epub = write_zip(tmp_path / "book.epub", [("mimetype", b"application/epub+zip")])
    archive = write_zip(tmp_path / "outer.zip", [("report.docx", docx.read_bytes())])

    assert archive_kind(docx) is None and archive_kind(epub) is None
    assert [m.relpath for m in unpack(archive, dest).members] == ["report.docx"]


def test_non_archives(tmp_path: Path, dest: Path) -> None:
    plain_gzip = tmp_path / "data.csv.gz"
    plain_gzip.write_bytes(gzip.compress(b"a,b\n1,2\n" * 100))
    text = tmp_path / "fake.zip"
    text.write_text("not really a zip")

    assert archive_kind(plain_gzip) is None
    assert archive_kind(text) is None
    assert "not an archive" in str(refused(text, dest))
    assert "not a BagIt bag" in str(refused(tmp_path, tmp_path / "elsewhere"))


# -- BagIt ---------------------------------------------------------------------------------

BAG_INFO = {"Source-Organization": "鄂尔多斯市群众艺术馆", "External-Description": "漫瀚调录音"}


def make_bag(folder: Path) -> Path:
    (folder / "songs").mkdir(parents=True)
    (folder / "songs" / "漫瀚调.txt").write_text("歌词", encoding="utf-8")
    (folder / "cover.jpg").write_bytes(b"jpeg bytes")
    bagit.make_bag(str(folder), dict(BAG_INFO))
    return folder


def test_bag_directory_is_validated_in_place(tmp_path: Path, dest: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    assert is_bag(bag)

    members = unpack(bag, dest).members

    assert [m.relpath for m in members] == ["data/cover.jpg", "data/songs/漫瀚调.txt"]
    assert members[0].path == bag / "data" / "cover.jpg"
    info = members[0].bag
    assert info is not None and info.relpath == ""
    assert info.info["Source-Organization"] == [BAG_INFO["Source-Organization"]]
    assert info.info["Payload-Oxum"] == ["16.2"]
    assert not dest.exists() or list(dest.iterdir()) == []  # nothing copied


def test_bag_inside_zip_keeps_payload_and_bag_info(tmp_path: Path, dest: Path) -> None:
    bag = make_bag(tmp_path / "收藏")
    archive = tmp_path / "bag.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", tmp_path, "收藏")

    members = unpack(archive, dest).members

    assert [m.relpath for m in members] == ["收藏/data/cover.jpg", "收藏/data/songs/漫瀚调.txt"]
    assert {m.bag.relpath for m in members if m.bag} == {"收藏"}
    assert members[1].bag and members[1].bag.info["External-Description"] == ["漫瀚调录音"]
    assert (dest / "bag.zip" / "收藏" / "bagit.txt").is_file()  # extracted, not a member
    assert bag.is_dir()


def test_bag_with_changed_payload_byte_is_refused(tmp_path: Path, dest: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    song = bag / "data" / "songs" / "漫瀚调.txt"
    song.write_bytes(b"X" + song.read_bytes()[1:])  # same size, so only the checksum tells

    error = refused(bag, dest)
    assert error.member == "data/songs/漫瀚调.txt"
    assert "checksum does not match manifest-sha256.txt, manifest-sha512.txt" in str(error)

    archive = Path(shutil.make_archive(str(tmp_path / "bundle"), "zip", tmp_path, "bag"))
    write_zip(tmp_path / "other.zip", [("loose.txt", b"not in the bag")])
    with zipfile.ZipFile(archive, "a") as zf:
        zf.write(tmp_path / "other.zip", "loose.zip")
    error, result = one_refused(archive, dest)
    assert error.member == "bag/data/songs/漫瀚调.txt" and str(dest) not in str(error)
    assert [m.relpath for m in result.members] == ["loose.zip/loose.txt"]  # the rest goes on


def test_bag_with_missing_or_extra_file_names_it(tmp_path: Path, dest: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "stray.txt").write_text("not in the manifest")

    error = refused(bag, dest)
    assert error.member == "data/stray.txt"
    assert "in the payload but not in manifest-sha256.txt, manifest-sha512.txt" in str(error)

    (bag / "data" / "stray.txt").unlink()
    (bag / "data" / "cover.jpg").unlink()
    error = refused(bag, dest)
    assert error.member == "data/cover.jpg"
    assert "listed in manifest-sha256.txt, manifest-sha512.txt but missing" in str(error)


def test_archive_inside_bag_directory_is_unpacked_into_dest(tmp_path: Path, dest: Path) -> None:
    folder = tmp_path / "bag"
    folder.mkdir()
    write_zip(folder / "scans.zip", [("p1.txt", b"page one")])
    bagit.make_bag(str(folder), dict(BAG_INFO))

    members = unpack(folder, dest).members

    assert [m.relpath for m in members] == ["data/scans.zip/p1.txt"]
    assert members[0].path == dest / "bag" / "data" / "scans.zip" / "p1.txt"
    assert members[0].bag is not None and members[0].bag.relpath == ""
    assert (folder / "data" / "scans.zip").is_file()  # the source is never changed


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        UnpackLimits(max_members=0)
    with pytest.raises(ValueError):
        UnpackLimits(max_depth=-1)


def test_a_bag_shaped_folder_in_a_bags_payload_is_payload(tmp_path: Path, dest: Path) -> None:
    """RFC 8493: the payload is opaque. A broken bag (or bag look-alike) inside it is content."""
    outer = tmp_path / "outer"
    inner = outer / "old-deposit"
    make_bag(inner)
    (inner / "data" / "cover.jpg").write_bytes(b"changed since bagged")  # inner bag now invalid
    (outer / "lookalike" / "data").mkdir(parents=True)
    (outer / "lookalike" / "manifest-md5.txt").write_text("0" * 32 + "  data/x\n")
    bagit.make_bag(str(outer), dict(BAG_INFO))

    result = unpack(outer, dest)

    assert result.refused == []
    relpaths = [m.relpath for m in result.members]
    assert {"data/old-deposit/bagit.txt", "data/old-deposit/data/cover.jpg"} <= set(relpaths)
    assert "data/lookalike/manifest-md5.txt" in relpaths
    assert len(relpaths) == len([p for p in (outer / "data").rglob("*") if p.is_file()])
    assert {m.bag.relpath for m in result.members if m.bag} == {""}  # all the outer bag's


def test_a_bag_that_lost_its_bagit_txt_is_refused_not_ingested_loose(
    tmp_path: Path, dest: Path
) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "bagit.txt").unlink()
    assert is_bag(bag)  # it is meant as one

    error = refused(bag, dest)
    assert error.member == "bagit.txt" and error.problem.startswith("is missing")
    assert "manifest-sha256.txt, manifest-sha512.txt" in error.problem

    archive = Path(shutil.make_archive(str(tmp_path / "bundle"), "zip", tmp_path, "bag"))
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("readme.txt", "beside the bag")
    error, result = one_refused(archive, dest)
    assert error.member == "bag/bagit.txt"
    assert [m.relpath for m in result.members] == ["readme.txt"]


def test_an_archive_that_is_a_broken_bag_at_its_root_is_refused(tmp_path: Path, dest: Path) -> None:
    bag = make_bag(tmp_path / "bag")
    (bag / "data" / "cover.jpg").write_bytes(b"changed")
    archive = tmp_path / "bag.tar"
    with tarfile.open(archive, "w") as tf:
        for path in sorted(bag.rglob("*")):
            tf.add(path, path.relative_to(bag).as_posix(), recursive=False)

    result = unpack(archive, dest)

    assert result.members == []
    assert [(e.archive, e.member) for e in result.refused] == [("bag.tar", "data/cover.jpg")]


def test_a_member_named_with_a_control_character_is_refused_alone(tmp_path: Path) -> None:
    """An escape or a NUL in a member's name would reach reports and spreadsheets: refused by
    name, the rest of the archive unpacks."""
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("good.txt", b"ok")
        zf.writestr("bad\x1b[2J.txt", b"x")
    unpacked = unpack(archive, tmp_path / "out")
    assert [m.relpath for m in unpacked.members] == ["good.txt"]
    (refused,) = unpacked.refused
    assert "control character" in refused.problem
