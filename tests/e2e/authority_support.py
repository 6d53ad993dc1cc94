"""What the end-to-end modules about authority pages and links share: the `heritage` command run
in-process on a data directory, and a small catalogue made with it — the seeded projects, the
bearer 黄丽华 (BEARERS) and one photo per manifest row, linked by the 项目 and 传承人 columns."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner, Result

from api.cli.commands import app
from repository import LocalStore, RecordStore
from tests.unit.support import images

BEARERS = (
    "kind,zh,en,pinyin,level,birth,projects,region,region_code,same_as,biography\n"
    "bearer,黄丽华,Huang Lihua,Huáng Lìhuá,国家级,1950年,剪纸,河北省蔚县,130726,Q42,"
    "蔚县剪纸艺人。\n"
)

LINKED = (
    "文件,标题,项目,传承人,状态,访问权限\n"
    "a.jpg,窗花《喜鹊登梅》,剪纸,黄丽华,published,public\n"
    "b.jpg,未审草稿,剪纸,黄丽华,draft,public\n"
    "c.jpg,内部资料,剪紙,黄丽华,published,restricted\n"
)
"""A manifest of three photos linked to 剪纸 (Ⅶ-16) and 黄丽华: one published, a draft, a
restricted one (the last two never shown to the public)."""


def heritage(data_dir: Path, *args: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env |= {"HERITAGE_DATA_DIR": str(data_dir), "HERITAGE_STORAGE": "local"}
    return CliRunner().invoke(app, list(args), env=env)


def authority_catalogue(tmp_path: Path, manifest: str) -> tuple[Path, dict[str, str]]:
    """Seeded projects, BEARERS, and the photos `manifest` names (its first column; each a
    different picture) ingested with the CLI into the collection papercuts; the data directory
    and {Chinese title: item id}."""
    data = tmp_path / "data"
    assert heritage(data, "authorities", "seed").exit_code == 0
    (tmp_path / "bearers.csv").write_text(BEARERS, encoding="utf-8")
    assert heritage(data, "authorities", "import", str(tmp_path / "bearers.csv")).exit_code == 0
    folder = tmp_path / "photos"
    folder.mkdir()
    for n, row in enumerate(manifest.splitlines()[1:]):
        images.jpeg(folder / row.split(",", 1)[0], size=(320 + 10 * n, 200))
    (tmp_path / "items.csv").write_text(manifest, encoding="utf-8")
    ran = heritage(data, "ingest", str(folder), "-c", "papercuts", "--manifest",
                   str(tmp_path / "items.csv"), "--workers", "1")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    items = {r["title"]["zh"]: r["id"] for r in RecordStore(LocalStore(data / "store"))}
    return data, items
