"""Video, audio, documents, transcripts and archive bundles through the whole ingest pipeline.

One folder holds every kind the pipeline ingests — photos, seven video containers, five audio
formats, a PDF, a multi-page TIFF, a GBK transcript, a ZIP with GBK member names, a tar.gz and a
BagIt bag — beside the broken inputs archivists really hand over. One `run_ingest` over it must
store and index every good item and name every bad one, and leave no temporary file behind.
"""

from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import bagit
import pytest
from PIL import Image

from ingest import IngestOptions, IngestReport, run_ingest
from ingest.media.ffmpeg import TranscodeSettings
from repository import LocalStore, RecordStore, StoreConfig
from search.base import Audience, SearchQuery
from search.sqlite import SqliteIndex
from tests.support.scratch import left_behind
from tests.unit.support import images
from tests.unit.support.archives import gbk_member, symlink_member, write_bomb, write_zip
from tests.unit.support.pdfs import Page, build_pdf
from tests.unit.support.samples import Samples, ffmpeg

COLLECTION = "media-test"
ONLY_IN_PDF = "zygodactyl"  # a word no title, name or description holds
BAG_INFO = {
    "Source-Organization": "准格尔旗文化馆",
    "External-Description": "准格尔旗漫瀚调田野录音，2023年采录。",
    "Bagging-Date": "2024-03-15",
    "External-Identifier": "ZGE-2024-007",
}
MANIFEST = (
    "path,identifier,title_zh,title_en,category,description_en\n"
    "photos/演出_01.jpg;video/performance.mp4,PERF-001,库伦安代舞演出,Andai dance performance,"
    "传统舞蹈,\n"
    "bundles/歌曲.zip/歌曲/01_漫瀚调.mp3,SONG-001,漫瀚调《王爱召》,Manhan song,传统音乐,\n"
    "fieldwork/data/录音_二.flac,BAG-002,,Second field recording,,Described by the manifest\n"
)

VIDEO = {f"video/clip.{ext}": f"clip.{ext}" for ext in ("mp4", "mov", "mkv", "avi", "mts", "webm")}
AUDIO = {
    "audio/tone.wav": "tone.wav",
    "audio/tone.flac": "tone.flac",
    "audio/tone.mp3": "tone.mp3",
    "audio/tone.m4a": "tone.m4a",
    "audio/tone.ogg": "tone.ogg",
    "audio/tone.opus": "tone.opus",
}
MEDIA_TYPES = {
    **dict.fromkeys(VIDEO, "video"),
    **dict.fromkeys(AUDIO, "audio"),
    "photos/演出_01.jpg; video/performance.mp4": "mixed",
    "photos/演出_02.png": "image",
    "docs/booklet.pdf": "document",
    "docs/scan.tif": "document",
    "docs/乌力格尔唱词.txt": "text",
    "bundles/歌曲.zip/歌曲/01_漫瀚调.mp3": "audio",
    "bundles/歌曲.zip/歌曲/封面.jpg": "image",
    "bundles/田野.tar.gz/田野/唱词_二.txt": "text",
    "bundles/田野.tar.gz/田野/现场.png": "image",
    "fieldwork/data/录音_一.flac": "audio",
    "fieldwork/data/录音_二.flac": "audio",
    "bad/glitchy.mp4": "video",  # stored, with a warning
    "bad/photo.mp4": "image",  # a JPEG named .mp4: stored as what it is, with a warning
    "bad/slip.zip/ok.txt": "text",  # the good members of an archive with a bad one
    "bad/locked.zip/open.txt": "text",
}
ROLES = {
    "video": ["original", "access", "poster", "thumbnail"],
    "audio": ["original", "access", "waveform"],
    "image": ["original", "access", "thumbnail"],
    "document": ["original", "access", "thumbnail"],
    "text": ["original"],
}
FAILED = {
    "bad/truncated.mp4": "bad/truncated.mp4: cannot read it as audio or video: the MP4/MOV "
    "index (moov atom) is missing",
    "bad/dead.mp4": "bad/dead.mp4: ffmpeg failed: the data is not a readable audio or video",
    "bad/zero.mp4": "bad/zero.mp4: is empty (duration 0 s)",
    "bad/slip.zip": "bad/slip.zip: ../../escaped.txt: has '..' in its path",
    "bad/bomb.zip": "bad/bomb.zip: zeros-0.zip/zeros.bin: expands more than 200×",
    "bad/link.zip": "bad/link.zip: passwd: is a symbolic link; links are refused",
    "bad/locked.zip": "bad/locked.zip: 秘密.txt: is password-protected",
    "bad/tampered-bag": "bad/tampered-bag: data/歌.txt: fails BagIt validation: its checksum "
    "does not match manifest-sha256.txt, manifest-sha512.txt",
    "bad/unbagged": "bad/unbagged: bagit.txt: is missing: the folder has data/ and "
    "manifest-sha256.txt, manifest-sha512.txt like a BagIt bag",
}


class Progress:
    """Records what the pipeline reports; samples how many ffmpeg processes run at each stage."""

    def __init__(self, scratch: Path, on_stage: Any = None):
        self.scratch = str(scratch)
        self.on_stage = on_stage
        self.total: int | None = None
        self.advanced: list[tuple[str, str]] = []
        self.stages: list[tuple[str, str]] = []
        self.most_ffmpeg = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, name: str, outcome: str) -> None:
        self.advanced.append((name, outcome))

    def stage(self, name: str, stage: str) -> None:
        self.stages.append((name, stage))
        self.most_ffmpeg = max(self.most_ffmpeg, len(processes_using(self.scratch, "ffmpeg")))
        if self.on_stage:
            self.on_stage(name, stage)


def processes_using(path: str, program: str | None = None) -> list[str]:
    """Command lines of running processes that name `path` (and run `program`, if given)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = b" ".join(args).decode("utf-8", "replace")
        if path in line and (program is None or Path(args[0].decode()).name == program):
            found.append(line)
    return found


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return Samples(tmp_path_factory.mktemp("media"))


def tone(path: Path, frequency: int, *codec: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"sine=f={frequency}:d=1", *codec, str(path))
    return path


def tar_gz(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def source(tmp_path: Path, samples: Samples) -> Path:
    root = tmp_path / "src"
    for folder in ("photos", "video", "audio", "docs", "bundles", "bad"):
        (root / folder).mkdir(parents=True)
    images.jpeg(root / "photos" / "演出_01.jpg")
    images.simple(root / "photos" / "演出_02.png", "PNG")
    for relpath, sample in {
        **VIDEO,
        **AUDIO,
        "video/performance.mp4": "silent.mp4",
        "bad/glitchy.mp4": "glitchy.mp4",
        "bad/photo.mp4": "photo.mp4",
        "bad/truncated.mp4": "truncated.mp4",
        "bad/dead.mp4": "dead.mp4",
        "bad/zero.mp4": "zero.mp4",
    }.items():
        shutil.copyfile(samples[sample], root / relpath)

    pdf = build_pdf(
        [Page(f"Manhan songs of Jungar Banner; a {ONLY_IN_PDF} bird", "漫瀚调"), Page("page 2")],
        info={"Title": "漫瀚调唱本", "Author": "准格尔旗文化馆"},
    )
    (root / "docs" / "booklet.pdf").write_bytes(pdf)
    pages = [images.halves((60, 80), images.RED, images.BLUE) for _ in range(3)]
    pages[0].save(root / "docs" / "scan.tif", "TIFF", save_all=True, append_images=pages[1:])
    (root / "docs" / "乌力格尔唱词.txt").write_bytes("格斯尔可汗的故事，第一回。".encode("gbk"))

    song = tone(root / "tmp" / "song.mp3", 550)
    cover = io.BytesIO()
    images.halves((80, 60), images.BLUE, images.RED).save(cover, "JPEG")
    write_zip(
        root / "bundles" / "歌曲.zip",
        [
            (gbk_member("歌曲/01_漫瀚调.mp3"), song.read_bytes()),
            (gbk_member("歌曲/封面.jpg"), cover.getvalue()),
            ("__MACOSX/歌曲/._封面.jpg", b"\0\5\26\7"),
        ],
    )
    tar_gz(
        root / "bundles" / "田野.tar.gz",
        {"田野/唱词_二.txt": "第二段唱词".encode(), "田野/现场.png": png_bytes((30, 120, 60))},
    )
    bag = root / "fieldwork"
    tone(bag / "录音_一.flac", 660)
    tone(bag / "录音_二.flac", 770)
    bagit.make_bag(str(bag), dict(BAG_INFO))
    shutil.rmtree(root / "tmp")

    write_zip(root / "bad" / "slip.zip", [("ok.txt", b"fine"), ("../../escaped.txt", b"evil")])
    inner = write_bomb(root / "inner.zip", 32 * 1024 * 1024)
    write_zip(root / "bad" / "bomb.zip", [(f"zeros-{n}.zip", inner.read_bytes()) for n in range(4)])
    inner.unlink()
    write_zip(root / "bad" / "link.zip", [(symlink_member("passwd"), b"/etc/passwd")])
    write_zip(
        root / "bad" / "locked.zip",
        [("open.txt", b"a"), (gbk_member("秘密.txt", encrypted=True), b"ciphertext")],
    )
    tampered = root / "bad" / "tampered-bag"
    tampered.mkdir()
    (tampered / "歌.txt").write_text("长调歌词", encoding="utf-8")
    bagit.make_bag(str(tampered), {"Source-Organization": "某文化馆"})
    payload = tampered / "data" / "歌.txt"
    payload.write_bytes(b"X" + payload.read_bytes()[1:])
    unbagged = root / "bad" / "unbagged"  # a bag that lost its bagit.txt: not loose files
    unbagged.mkdir()
    (unbagged / "歌.txt").write_text("短调歌词", encoding="utf-8")
    bagit.make_bag(str(unbagged), {"Source-Organization": "某文化馆"})
    (unbagged / "bagit.txt").unlink()

    (root / "items.csv").write_text(MANIFEST, encoding="utf-8")
    return root


@pytest.fixture
def scratch_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Route the run's temporary folders here, to check nothing is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def ingest(source: Path, store: Path, **options: Any) -> IngestReport:
    index = options.pop("index", None)
    progress = options.pop("progress", None)
    options.setdefault("workers", 2)
    options.setdefault("ffmpeg_concurrency", 1)
    options.setdefault("transcode", TranscodeSettings(max_side=320, preset="ultrafast"))
    return run_ingest(
        [source],
        IngestOptions(COLLECTION, manifest=source / "items.csv", **options),
        StoreConfig(local_root=store),
        index,
        progress,
    )


def test_every_kind_is_stored_and_indexed_and_every_bad_input_named(
    source: Path, tmp_path: Path, scratch_tmp: Path
) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    progress = Progress(scratch_tmp)
    report = ingest(source, tmp_path / "store", index=index, progress=progress)

    found = {item.source: item for item in report.items}
    failed = {s: i.reason for s, i in found.items() if i.outcome == "failed"}
    assert set(failed) == set(FAILED), failed
    for name, reason in FAILED.items():
        assert (failed[name] or "").startswith(reason), (name, failed[name])
    assert {s for s, i in found.items() if i.outcome == "stored"} == set(MEDIA_TYPES)
    assert found["bundles/歌曲.zip/__MACOSX"].outcome == "skipped"  # litter in an archive, once
    assert report.errors == [] and progress.total == len(found) == len(progress.advanced)

    store = LocalStore(tmp_path / "store")
    records = {r["id"]: r for r in RecordStore(store)}
    by_source = {name: records[found[name].id] for name in MEDIA_TYPES}
    for name, media_type in MEDIA_TYPES.items():
        record = by_source[name]
        assert record["media_type"] == media_type, name
        for entry in record["files"]:  # every file the record names is stored, whole
            assert store.stat(entry["key"]).size == entry["bytes"]
        roles = [f["role"] for f in record["files"]]
        if media_type == "document":  # and a page image for each page of these paged ones
            assert roles == [*ROLES[media_type], *["page"] * record["technical"]["pages"]], name
        elif media_type != "mixed":
            assert roles == ROLES[media_type], name
    assert index.count(Audience.all()) == len(records) == len(MEDIA_TYPES)

    clip = by_source["video/clip.mkv"]
    assert clip["technical"]["duration"] > 0 and clip["technical"]["video_codec"] == "ffv1"
    original, access = clip["files"][:2]
    assert (original["width"], original["height"], original["format"]) == (320, 240, "Matroska")
    assert access["media_type"] == "video/mp4" and (access["width"], access["height"]) == (320, 240)
    assert by_source["audio/tone.opus"]["files"][0]["format"] == "Ogg Opus"
    assert by_source["audio/tone.flac"]["files"][0]["duration"] == pytest.approx(1.5, abs=0.1)

    performance = by_source["photos/演出_01.jpg; video/performance.mp4"]
    assert performance["title"] == {"zh": "库伦安代舞演出", "en": "Andai dance performance"}
    assert [f["role"] for f in performance["files"]] == [*ROLES["image"], *ROLES["video"]]

    booklet = by_source["docs/booklet.pdf"]
    assert booklet["title"] == {"zh": "漫瀚调唱本"}  # from the PDF's Info dictionary
    assert ONLY_IN_PDF in booklet["text"] and booklet["technical"]["pages"] == 2
    assert booklet["files"][0]["pages"] == 2
    hits = index.search(SearchQuery(q=ONLY_IN_PDF, audience=Audience.all())).hits
    assert [hit.id for hit in hits] == [booklet["id"]]
    assert by_source["docs/scan.tif"]["technical"]["pages"] == 3
    assert by_source["docs/乌力格尔唱词.txt"]["text"] == "格斯尔可汗的故事，第一回。"
    assert by_source["docs/乌力格尔唱词.txt"]["technical"]["encoding"] == "gb18030"

    song = by_source["bundles/歌曲.zip/歌曲/01_漫瀚调.mp3"]  # GBK name, paired with its row
    assert (song["identifier"], song["category"]) == ("SONG-001", "traditional-music")

    described_by_bag = by_source["fieldwork/data/录音_一.flac"]
    assert described_by_bag["description"] == {"zh": BAG_INFO["External-Description"]}
    assert described_by_bag["rights"] == {"holder": BAG_INFO["Source-Organization"]}
    ingestion = described_by_bag["events"][0]
    assert "BagIt bag fieldwork (validated; " in ingestion["detail"]
    assert "Bagging-Date: 2024-03-15" in ingestion["detail"]
    assert "External-Identifier: ZGE-2024-007" in ingestion["detail"]
    assert "date" not in described_by_bag  # packing a bag is not when the song was sung
    described_by_row = by_source["fieldwork/data/录音_二.flac"]
    assert described_by_row["description"] == {"en": "Described by the manifest"}
    assert described_by_row["rights"] == {"holder": BAG_INFO["Source-Organization"]}

    misnamed = by_source["bad/photo.mp4"]
    warning = "bad/photo.mp4: its name (.mp4) says video, but its bytes are JPEG (image)"
    assert (found["bad/photo.mp4"].reason or "").startswith(warning)
    identification = next(e for e in misnamed["events"] if e["type"] == "identification")
    assert identification["outcome"] == "warning" and warning in identification["detail"]

    glitchy = by_source["bad/glitchy.mp4"]
    assert "decoding problems skipped" in (found["bad/glitchy.mp4"].reason or "")
    normalization = next(e for e in glitchy["events"] if e["type"] == "normalization")
    assert normalization["outcome"] == "warning"
    assert normalization["detail"].startswith("bad/glitchy.mp4: ")  # named as the archivist knows

    staged = {name for name, _ in progress.stages}
    assert set(VIDEO) | set(AUDIO) <= staged and "photos/演出_02.png" not in staged
    assert ("video/clip.webm", "transcoding video (1 s)") in progress.stages
    assert progress.most_ffmpeg <= 1  # ffmpeg_concurrency holds across both pools
    assert left_behind(scratch_tmp) == []

    again = ingest(source, tmp_path / "store", index=index)
    assert {i.source for i in again.items if i.outcome == "unchanged"} == set(MEDIA_TYPES)
    assert again.counts() == {"unchanged": len(MEDIA_TYPES), "failed": len(FAILED), "skipped": 1}


def test_ctrl_c_during_a_transcode_stops_ffmpeg_and_leaves_no_files(
    tmp_path: Path, scratch_tmp: Path
) -> None:
    root = tmp_path / "src"
    root.mkdir()
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=20", "-c:v", "libx264",
        "-preset", "ultrafast", str(root / "long.mp4"),
    )  # fmt: skip
    images.jpeg(root / "photo.jpg")

    def interrupt(name: str, stage: str) -> None:
        if stage.startswith("transcoding"):
            raise KeyboardInterrupt

    progress = Progress(scratch_tmp, on_stage=interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(
            [root],
            IngestOptions(COLLECTION, workers=1, ffmpeg_concurrency=1),
            StoreConfig(local_root=tmp_path / "store"),
            None,
            progress,
        )
    assert ("long.mp4", "transcoding video (20 s)") in progress.stages
    assert processes_using(str(scratch_tmp)) == []
    assert left_behind(scratch_tmp) == []
    store = LocalStore(tmp_path / "store")
    assert all(r["media_type"] != "video" for r in RecordStore(store))
    videos = [key for key in store.list("blobs/") if store.get_bytes(key)[4:8] == b"ftyp"]
    assert videos == []  # the interrupted item stored nothing: no original, no access copy


def test_a_given_archive_is_a_root_and_its_members_pair_with_manifest_paths(
    tmp_path: Path, scratch_tmp: Path
) -> None:
    bundle = tmp_path / "bundle.zip"
    photo = io.BytesIO()
    images.halves((90, 60), images.RED, images.BLUE).save(photo, "JPEG")
    write_zip(bundle, [(gbk_member("剪纸/窗花.jpg"), photo.getvalue()), ("说明.txt", b"notes")])
    manifest = tmp_path / "items.csv"
    manifest.write_text("path,identifier,title_zh\n剪纸/窗花.jpg,JZ-1,延川窗花\n", encoding="utf-8")

    report = run_ingest(
        [bundle],
        IngestOptions(COLLECTION, manifest=manifest, workers=1),
        StoreConfig(local_root=tmp_path / "store"),
        None,
    )

    assert {(i.source, i.outcome, i.row) for i in report.items} == {
        ("剪纸/窗花.jpg", "stored", 1),
        ("说明.txt", "stored", None),
    }
    records = {r["media_type"]: r for r in RecordStore(LocalStore(tmp_path / "store"))}
    assert records["image"]["title"] == {"zh": "延川窗花"}
    assert records["text"]["text"] == "notes"
    assert left_behind(scratch_tmp) == []
