"""The catalogue corpus the page tests stand on, built once per test process through the real CLI.

`heritage demo --no-serve` ingests the project's sample collection; `heritage ingest` then adds a
tiny H.264 video and a WAV recording made here with ffmpeg, and an image whose titles are HTML.
Two shapes ingest cannot make are stored through `RecordStore` and indexed: an item with no files
and one with 500 images (the same small JPEG 500 times; storage is content-addressed).
`live_server` runs `heritage serve` in its own process on a free port, so browsers speak real HTTP.
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from api.services import Services
from api.settings import Settings
from repository import make_event, now_iso
from tests.support.server import LiveServer, free_port, running

HERITAGE = str(Path(sys.executable).with_name("heritage"))
CURATOR_KEY = "curator-key-for-page-tests"
SECRET = "page-tests-secret-0123456789abcdef"
MEDIA_COLLECTION = "page-tests"
HOSTILE_TITLE_ZH = '<script>window.__pwned = 1</script>剪纸<b>粗体</b> & "引号"'
HOSTILE_TITLE_EN = '<img src=x onerror="window.__pwned=2"> paper cutting </title>'
MANY_IMAGES = 500


@dataclass(frozen=True)
class Corpus:
    root: Path
    data_dir: Path
    ids: dict[str, str]  # video, audio, hostile, many, empty

    def env(self) -> dict[str, str]:
        """The environment a server or CLI over this corpus runs with."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")},
            "HERITAGE_DATA_DIR": str(self.data_dir),
            "HERITAGE_API_KEYS": CURATOR_KEY,
            "HERITAGE_SECRET": SECRET,
        }

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, api_keys=CURATOR_KEY, secret=SECRET)

    def copy(self, target: Path) -> Corpus:
        """An independent copy, for tests that write (the search log lives in the data dir)."""
        shutil.copytree(self.data_dir, target / "data")
        return Corpus(target, target / "data", self.ids)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _write_media(folder: Path) -> Path:
    """A 6-second test-card video with a tone, a 4-second recording, and an image; + manifest."""
    folder.mkdir(parents=True)
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        str(folder / "papercut-performance.mp4"),
    )  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=4", str(folder / "long-song.wav"))
    Image.new("RGB", (640, 480), (180, 40, 40)).save(folder / "hostile.jpg", quality=85)
    rows = [
        ["path", "identifier", "title_zh", "title_en", "description_zh", "description_en",
         "category", "region", "region_en", "date", "access", "status"],
        ["papercut-performance.mp4", "PT-V-1", "剪纸技艺现场演示（录像）",
         "Paper cutting demonstrated live (video)", "传承人现场演示剪纸技艺。",
         "A bearer demonstrates paper cutting.", "traditional-art", "陕西省延安市安塞区",
         "Ansai, Yan'an, Shaanxi", "2021-05", "public", "published"],
        ["long-song.wav", "PT-A-1", "锡林郭勒长调录音", "Xilingol long song recording",
         "草原上录制的长调。", "A long song recorded on the grassland.", "traditional-music",
         "内蒙古自治区锡林郭勒盟", "Xilingol, Inner Mongolia", "2019", "public", "published"],
        ["hostile.jpg", "PT-X-1", HOSTILE_TITLE_ZH, HOSTILE_TITLE_EN,
         "<script>window.__pwned = 3</script>描述里的剪纸", "<i>markup</i> in a description",
         "traditional-art", "<b>地区</b>", "", "2020", "public", "published"],
    ]  # fmt: skip
    manifest = folder / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return manifest


def _stored_records(settings: Settings) -> dict[str, str]:
    """An item with no files and one with `MANY_IMAGES` images, stored and indexed directly."""
    services = Services.from_settings(settings)
    try:
        jpeg = io.BytesIO()
        Image.new("RGB", (400, 300), (40, 90, 140)).save(jpeg, "JPEG")
        blob = services.store.put_blob(io.BytesIO(jpeg.getvalue()))
        image = {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size,
                 "media_type": "image/jpeg", "width": 400, "height": 300}  # fmt: skip
        files: list[dict[str, Any]] = []
        for _ in range(MANY_IMAGES):
            files += [{"role": "access", **image}, {"role": "thumbnail", **image}]
        now = now_iso()
        base = {
            "schema_version": "1.0",
            "collection": MEDIA_COLLECTION,
            "institution": "page-tests",
            "category": "traditional-art",
            "media_type": "image",
            "region": {"name": "陕西省延安市安塞区", "name_en": "Ansai, Yan'an, Shaanxi"},
            "access": "public",
            "status": "published",
            "events": [make_event("ingestion", "pytest", "success", "stored by the page tests")],
            "created": now,
            "modified": now,
        }
        many = {
            **base,
            "id": f"{MEDIA_COLLECTION}-many",
            "files": files,
            "title": {"zh": "剪纸图录五百幅", "en": "Five hundred paper-cut plates"},
        }
        empty = {
            **base,
            "id": f"{MEDIA_COLLECTION}-empty",
            "files": [],
            "title": {"zh": "待数字化的剪纸档案", "en": "Paper-cut file awaiting digitisation"},
        }
        for record in (many, empty):
            services.records.save(record)
        services.index.index([many, empty])
        return {"many": many["id"], "empty": empty["id"]}
    finally:
        services.close()


def build_corpus(root: Path) -> Corpus:
    corpus = Corpus(root, root / "data", {})
    env = corpus.env()
    _run([HERITAGE, "demo", "--data-dir", str(corpus.data_dir), "--no-serve"], env, root)
    manifest = _write_media(root / "media")
    _run(
        [HERITAGE, "ingest", str(root / "media"), "--collection", MEDIA_COLLECTION,
         "--manifest", str(manifest)],
        env,
        root,
    )  # fmt: skip
    settings = corpus.settings()
    services = Services.from_settings(settings)
    try:
        by_identifier = {}
        for item_id in services.records.ids():
            record = services.records.load(item_id)
            by_identifier[record.get("identifier")] = item_id
    finally:
        services.close()
    ids = {
        "video": by_identifier["PT-V-1"],
        "audio": by_identifier["PT-A-1"],
        "hostile": by_identifier["PT-X-1"],
        **_stored_records(settings),
    }
    return Corpus(root, corpus.data_dir, ids)


@cache
def shared_corpus() -> Corpus:
    """Built once per test process; removed when it exits. Tests that write use `copy()`."""
    root = Path(tempfile.mkdtemp(prefix="heritage-pages-"))
    atexit.register(shutil.rmtree, root, True)
    return build_corpus(root)


@contextmanager
def live_server(corpus: Corpus, settings: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """`heritage serve` over the corpus on a free port (`settings`: more HERITAGE_ variables);
    stopped (and reaped) afterwards."""
    port = free_port()
    env = {**corpus.env(), **(settings or {}), "HERITAGE_BASE_URL": f"http://127.0.0.1:{port}"}
    command = [str(HERITAGE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port=port, env=env, cwd=corpus.root) as server:
        yield server
