"""What the sharing tests (OAI-PMH, IIIF, RDF, share links, CSV, harvesting) stand on.

A corpus made by the real ingest pipeline from small generated images — items the public may see
next to hidden ones (draft, restricted, embargoed) and a withdrawn one that was public — plus
hand-built video and audio records stored through `RecordStore` (ingest makes images only so
far). And a real uvicorn server in its own process on a free port, so clients speak real HTTP.
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from api.services import Services
from api.settings import Settings
from repository import RecordStore, make_event, now_iso, open_store
from tests.support.ingesting import ingest_folder
from tests.support.server import LiveServer, free_port, running

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-for-sharing-0123456789"
API_KEY = "test-writer-key"
COLLECTION = "wx-papercuts"
MEDIA_COLLECTION = "wx-performances"

COLUMNS = [
    "path",
    "identifier",
    "title_zh",
    "title_en",
    "description_zh",
    "category",
    "region",
    "region_en",
    "date",
    "people",
    "license",
    "rights_holder",
    "status",
    "access",
    "embargo_until",
]
ROWS = [
    [
        "papercut/蔚县剪纸 戏曲人物.jpg",
        "P1",
        "蔚县剪纸《戏曲人物》",
        "Yuxian paper cutting: opera figures",
        "点彩剪纸，戏曲人物。",
        "traditional-art",
        "河北省蔚县",
        "Yu County",
        "1985",
        "王老汉 (国家级传承人)",
        "CC-BY-4.0",
        "蔚县文化馆",
        "published",
        "public",
        "",
    ],
    [
        "album/page1.jpg;album/page2.png",
        "P2",
        "窗花剪纸图册",
        "Window paper-cut album",
        "",
        "traditional-art",
        "陕西省延川县",
        "",
        "2001",
        "",
        "InC",
        "",
        "published",
        "public",
        "",
    ],
    [
        "grid/validator.png",
        "G1",
        "测试网格",
        "IIIF test grid",
        "",
        "traditional-art",
        "北京市",
        "",
        "2020",
        "",
        "CC0-1.0",
        "",
        "published",
        "public",
        "",
    ],
    [
        "opera/mask.png",
        "O1",
        "京剧脸谱",
        "Peking opera mask",
        "",
        "traditional-drama",
        "北京市",
        "",
        "1950s",
        "",
        "",
        "",
        "published",
        "public",
        "",
    ],
    [
        "gone/withdrawn.jpg",
        "W1",
        "已撤回的剪纸",
        "Withdrawn paper cutting",
        "",
        "traditional-art",
        "河北省蔚县",
        "",
        "1990",
        "",
        "",
        "",
        "withdrawn",
        "public",
        "",
    ],
    [
        "hidden/draft.jpg",
        "H1",
        "剪纸草稿",
        "Paper cutting draft",
        "",
        "traditional-art",
        "河北省蔚县",
        "",
        "2020",
        "",
        "",
        "",
        "draft",
        "public",
        "",
    ],
    [
        "hidden/restricted.jpg",
        "H2",
        "剪纸内部资料",
        "Paper cutting restricted",
        "",
        "traditional-art",
        "河北省蔚县",
        "",
        "2020",
        "",
        "",
        "",
        "published",
        "restricted",
        "",
    ],
    [
        "hidden/embargo.jpg",
        "H3",
        "剪纸新作",
        "Paper cutting under embargo",
        "",
        "traditional-art",
        "河北省蔚县",
        "",
        "2021",
        "",
        "",
        "",
        "published",
        "public",
        "2999-01-01",
    ],
]
IMAGE_VISIBLE = {"P1", "P2", "G1", "O1"}
HIDDEN = {"H1", "H2", "H3"}
WITHDRAWN = {"W1"}


@dataclass
class Corpus:
    data_dir: Path
    ids: dict[str, str]  # manifest identifier (or V1/A1 for hand-built records) -> item id

    @property
    def visible(self) -> set[str]:
        return {self.ids[k] for k in IMAGE_VISIBLE | {"V1", "A1"}}

    @property
    def hidden(self) -> set[str]:
        return {self.ids[k] for k in HIDDEN}

    @property
    def withdrawn(self) -> set[str]:
        return {self.ids[k] for k in WITHDRAWN}

    def settings(self, **changes: Any) -> Settings:
        return make_settings(self.data_dir, **changes)

    def copy(self, target: Path) -> Corpus:
        shutil.copytree(self.data_dir, target)
        return Corpus(target, dict(self.ids))


def make_settings(data_dir: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "storage": "local",
        "search": "sqlite",
        "api_keys": API_KEY,
        "secret": SECRET,
        **changes,
    }
    return Settings(**values, _env_file=None)


def name_institution(data_dir: Path, code: str, names: dict[str, str]) -> None:
    """Name the institution `code` by an authority record in the repository at `data_dir`."""
    from repository.authorities import AuthorityStore
    from repository.local import LocalStore

    store = LocalStore(make_settings(data_dir).local_store_path)
    AuthorityStore(store).save({"id": f"institution-{code}", "kind": "institution", "names": names})


def validator_grid() -> Image.Image:
    """The IIIF validator's test image: 10×10 squares of 100 px in the colours its tests expect
    (taken from the validator package itself, so the two cannot disagree)."""
    from iiif_validator.validator import ValidationInfo

    colours = ValidationInfo().colorInfo
    image = Image.new("RGB", (1000, 1000))
    for x in range(10):
        for y in range(10):
            image.paste(colours[x][y], (x * 100, y * 100, x * 100 + 100, y * 100 + 100))
    return image


def noise_picture(path: Path, seed: int | str, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small noisy picture, the same for the same seed (noise keeps the JPEG well above the
    byte ranges tested); its bytes."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path.read_bytes()


def write_sources(source: Path, rows: list[list[str]]) -> Path:
    """The files the rows name (noise pictures; the grid for G1) and their CSV manifest."""
    for seed, row in enumerate(rows):
        for relpath in row[0].split(";"):
            path = source / relpath
            if "validator" in relpath:
                path.parent.mkdir(parents=True, exist_ok=True)
                validator_grid().save(path)
            else:
                noise_picture(path, seed * 10 + len(relpath))
    manifest = source.parent / f"{source.name}.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return manifest


def ingest(
    settings: Settings, source: Path, manifest: Path, collection: str, rows: list[list[str]]
) -> dict[str, str]:
    """Run the real pipeline; manifest identifier -> item id."""
    report = ingest_folder(
        settings, source, manifest, collection, institution="wx-centre", default_status="draft"
    )
    return {rows[o.row - 1][1]: o.id for o in report.items if o.row and o.id}


def store_media_record(settings: Settings, item_id: str, kind: str) -> dict[str, Any]:
    """A published video or audio record with stored (synthetic) files, indexed."""
    services = Services.from_settings(settings)
    try:
        store = open_store(settings.store_config())
        records = RecordStore(store)
        rng = random.Random(item_id)

        def blob(size: int) -> dict[str, Any]:
            stored = store.put_blob(io.BytesIO(rng.randbytes(size)))
            return {"key": stored.key, "sha256": stored.sha256, "bytes": stored.size}

        poster = io.BytesIO()
        Image.new("RGB", (320, 180), (200, 30, 30)).save(poster, "JPEG")
        poster_blob = store.put_blob(io.BytesIO(poster.getvalue()))
        poster_file = {
            "key": poster_blob.key,
            "sha256": poster_blob.sha256,
            "bytes": poster_blob.size,
            "media_type": "image/jpeg",
            "width": 320,
            "height": 180,
        }
        if kind == "video":
            files = [
                {
                    "role": "original",
                    "name": "龙舟赛 2023.mov",
                    "media_type": "video/quicktime",
                    "width": 1920,
                    "height": 1080,
                    "duration": 61.5,
                    **blob(40_000),
                },
                {
                    "role": "access",
                    "media_type": "video/mp4",
                    "format": "H.264/AAC MP4",
                    "width": 1280,
                    "height": 720,
                    "duration": 61.5,
                    **blob(30_000),
                },
                {"role": "poster", **poster_file},
                {"role": "thumbnail", **poster_file},
            ]
            title = {"zh": "东莞龙舟赛", "en": "Dongguan dragon boat race"}
            category = "folk-customs"
        else:
            files = [
                {
                    "role": "original",
                    "name": "长调.wav",
                    "media_type": "audio/wav",
                    "duration": 185.25,
                    **blob(20_000),
                },
                {
                    "role": "access",
                    "media_type": "audio/mp4",
                    "format": "AAC",
                    "duration": 185.25,
                    **blob(10_000),
                },
            ]
            title = {"zh": "乌珠穆沁长调", "en": "Ujimqin long song"}
            category = "traditional-music"
        now = now_iso()
        record = {
            "schema_version": "1.0",
            "id": item_id,
            "collection": MEDIA_COLLECTION,
            "institution": "wx-centre",
            "title": title,
            "description": {"zh": "现场录制。", "en": "Recorded live."},
            "category": category,
            "media_type": kind,
            "region": {"name": "内蒙古", "name_en": "Inner Mongolia"},
            "date": {"edtf": "2016-08", "display": "2016年8月"},
            "rights": {"license": "CC-BY-SA-4.0", "holder": "文化馆"},
            "access": "public",
            "status": "published",
            "files": files,
            "events": [make_event("ingestion", "pytest")],
            "created": now,
            "modified": now,
        }
        records.save(record)
        services.index.index([record])
        return record
    finally:
        services.close()


def build_corpus(root: Path) -> Corpus:
    settings = make_settings(root / "data")
    manifest = write_sources(root / "source", ROWS)
    ids = ingest(settings, root / "source", manifest, COLLECTION, ROWS)
    assert set(ids) == IMAGE_VISIBLE | HIDDEN | WITHDRAWN, ids
    services = Services.from_settings(settings)
    services.records.save_collection(
        {"slug": COLLECTION, "title": {"zh": "蔚县剪纸", "en": "Yuxian paper cutting"}}
    )
    services.records.save_collection(
        {"slug": MEDIA_COLLECTION, "title": {"zh": "演出录像", "en": "Performances"}}
    )
    services.close()
    ids["V1"] = store_media_record(settings, f"{MEDIA_COLLECTION}-video-01", "video")["id"]
    ids["A1"] = store_media_record(settings, f"{MEDIA_COLLECTION}-audio-01", "audio")["id"]
    return Corpus(root / "data", ids)


@cache
def shared_corpus() -> Corpus:
    """One corpus for every read-only sharing test in this run (a test that changes data copies
    it first with `Corpus.copy`)."""
    root = Path(tempfile.mkdtemp(prefix="heritage-sharing-"))
    atexit.register(shutil.rmtree, root, True)
    return build_corpus(root)


def run_heritage(
    data_dir: Path, *args: str, base_url: str | None = None
) -> subprocess.CompletedProcess:
    """The installed `heritage` command over `data_dir` (local storage, SQLite search)."""
    env = {
        **os.environ,
        "HERITAGE_DATA_DIR": str(data_dir),
        "HERITAGE_STORAGE": "local",
        "HERITAGE_SEARCH": "sqlite",
    }
    if base_url:
        env["HERITAGE_BASE_URL"] = base_url
    return subprocess.run(
        [str(Path(sys.executable).parent / "heritage"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=data_dir.parent,
    )


_LAUNCHER = """
import sys
import uvicorn
from api.http.app import create_app
from api.http.routes.oai import make_repository

app = create_app()
page_size = int(sys.argv[2])
if page_size:
    app.state.oai = make_repository(app.state.services, page_size=page_size)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@contextmanager
def live_server(
    data_dir: Path, *, oai_page_size: int = 0, secret: str = SECRET, base_url: str | None = None
) -> Iterator[LiveServer]:
    """`uvicorn` serving `data_dir` in a child process on a free port, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HERITAGE_DATA_DIR": str(data_dir),
        "HERITAGE_STORAGE": "local",
        "HERITAGE_SEARCH": "sqlite",
        "HERITAGE_SECRET": secret,
        "HERITAGE_API_KEYS": API_KEY,
        "HERITAGE_BASE_URL": base_url or url,
    }
    command = [sys.executable, "-c", _LAUNCHER, str(port), str(oai_page_size)]
    with running(command, port=port, env=env, cwd=data_dir.parent) as server:
        yield server
