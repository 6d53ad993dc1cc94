"""Near-duplicate photos through the real `heritage` command: the same picture ingested twice
(resized, re-encoded, cropped and brightened, in another collection) is stored each time with a
"looks like item X" warning; `heritage duplicates` lists the group; another institution's run is
told only that an item of another institution looks alike, never its id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageEnhance

from tests.unit.support import images

HERITAGE = Path(sys.executable).parent / "heritage"
REPO = Path(__file__).resolve().parents[2]


def heritage(data_dir: Path, *args: str | Path, institution: str = "museum") -> dict | str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env.update(
        HERITAGE_DATA_DIR=str(data_dir),
        HERITAGE_STORAGE="local",
        HERITAGE_SEARCH="sqlite",
        HERITAGE_INSTITUTION=institution,
        PYTHONPATH=str(REPO),  # this checkout's code, whichever one the venv was installed from
    )
    result = subprocess.run(
        [str(HERITAGE), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=data_dir.parent,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    if args[0] == "ingest":
        line = next(x for x in result.stdout.splitlines() if x.startswith("Report: "))
        return json.loads(Path(line.removeprefix("Report: ").strip()).read_text("utf-8"))
    return result.stdout


def by_name(report: dict) -> dict[str, dict]:
    return {Path(item["source"]).name: item for item in report["items"]}


def test_near_duplicates_are_warned_about_listed_and_never_leak_ids(tmp_path: Path) -> None:
    data = tmp_path / "data"
    photo = images.scene(21, (1600, 1200))
    batch = tmp_path / "batch"
    batch.mkdir()
    photo.save(batch / "1-original.jpg", "JPEG", quality=92)
    photo.resize((800, 600), Image.Resampling.BICUBIC).save(batch / "2-half.jpg", quality=60)
    images.scene(22, (1600, 1200)).save(batch / "3-other.jpg", "JPEG", quality=92)

    first = by_name(heritage(data, "ingest", batch, "-c", "paper-cuts", "--workers", "1"))
    assert {item["outcome"] for item in first.values()} == {"stored"}
    original, half, other = (
        first[n]["id"] for n in ("1-original.jpg", "2-half.jpg", "3-other.jpg")
    )
    assert f"looks like item {original} (distance" in first["2-half.jpg"]["reason"]
    assert first["2-half.jpg"]["looks_like"] == [original]
    assert not first["1-original.jpg"]["reason"] and not first["3-other.jpg"]["reason"]

    rescan = tmp_path / "rescan"
    rescan.mkdir()
    box = (30, 24, 1570, 1176)  # a scan slightly cropped and brighter, as a PNG
    ImageEnhance.Brightness(photo.crop(box)).enhance(1.1).save(rescan / "scan.png")
    second = by_name(heritage(data, "ingest", rescan, "-c", "album", "--workers", "1"))
    scan = second["scan.png"]
    assert scan["outcome"] == "stored"
    assert f"looks like item {original}" in scan["reason"]
    assert set(scan["looks_like"]) == {original, half}

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    photo.save(elsewhere / "copy.jpg", "JPEG", quality=75)
    theirs = heritage(data, "ingest", elsewhere, "-c", "library-photos", institution="library")
    copy = by_name(theirs)["copy.jpg"]
    assert copy["outcome"] == "stored"
    assert "looks like an item of another institution" in copy["reason"]
    assert copy["looks_like"] == []
    text = json.dumps(theirs)
    assert all(item not in text for item in (original, half, scan["id"]))

    listed = json.loads(heritage(data, "duplicates", "--json"))
    groups = [{item["id"] for item in group} for group in listed["clusters"]]
    assert groups == [{original, half, scan["id"], copy["id"]}]
    assert all(other not in group for group in groups)
    only_album = json.loads(heritage(data, "duplicates", "--collection", "album", "--json"))
    assert len(only_album["clusters"]) == 1
    assert json.loads(heritage(data, "duplicates", "--collection", "nowhere", "--json")) == {
        "threshold": 6,
        "clusters": [],
    }
    table = heritage(data, "duplicates")
    assert original in table and "1 groups" in table
