"""What the sample collection holds, read from catalogue.toml: per item its manifest row and the
picture(s) to draw. Keeping each row beside its pictures means manifest and files cannot drift."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "catalogue.toml"
DEFAULTS = {"status": "published", "access": "public"}


@dataclass(frozen=True)
class Camera:
    """EXIF written into a photo: the camera, when it was taken and where (GPS)."""

    make: str
    model: str
    taken: str
    gps: tuple[float, float] | None = None


@dataclass(frozen=True)
class Shot:
    """One file: its path below collection/, the scene to draw, its size in pixels, and `form`:
    "" (plain for the extension), "rotated", "cmyk" or "16bit"."""

    path: str
    scene: str
    size: tuple[int, int]
    camera: Camera | None = None
    form: str = ""


@dataclass(frozen=True)
class Item:
    shots: tuple[Shot, ...]
    row: dict[str, str]


def _shot(data: dict[str, Any]) -> Shot:
    camera = data.get("camera")
    return Shot(
        path=data["path"],
        scene=data["scene"],
        size=(data["size"][0], data["size"][1]),
        camera=Camera(
            camera["make"],
            camera["model"],
            camera["taken"],
            tuple(camera["gps"]) if "gps" in camera else None,
        )
        if camera
        else None,
        form=data.get("form", ""),
    )


def load(path: Path = CATALOGUE) -> tuple[Item, ...]:
    items = tomllib.loads(path.read_text(encoding="utf-8"))["item"]
    return tuple(
        Item(
            tuple(_shot(shot) for shot in item["shot"]),
            {**DEFAULTS, **{key: value for key, value in item.items() if key != "shot"}},
        )
        for item in items
    )


ITEMS = load()
