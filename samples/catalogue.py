"""What the sample collection holds, read from catalogue.toml: per item its manifest row, the
picture(s) to draw and the media to generate. Keeping each row beside its files means manifest
and files cannot drift."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "catalogue.toml"
DEFAULTS = {"status": "published", "access": "public"}
FILES = frozenset({"shot", "media"})  # an item's keys that list files, not manifest columns


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
class Media:
    """A generated file that is not a still picture; `kind` picks its maker in media.py:
    "video" (a slow pan over a drawn `scene`, with a `tune`), "audio" (the `tune`, over wind
    noise when `field`), "booklet" (a PDF: `scene` on the cover, one page per `pages` entry,
    `info` as its Info dictionary), "transcript" (`text` in `encoding`) or "gbk_zip" (a ZIP of
    `members` whose names are GBK bytes without the UTF-8 flag, as Chinese Windows writes)."""

    path: str
    kind: str
    scene: str = ""
    size: tuple[int, int] = (480, 270)
    seconds: float = 3.0
    tune: tuple[float, ...] = ()  # note frequencies in Hz, evenly spaced over `seconds`
    field: bool = False
    pages: tuple[str, ...] = ()
    info: tuple[tuple[str, str], ...] = ()
    text: str = ""
    encoding: str = "utf-8"
    members: tuple[Media, ...] = ()

    @property
    def manifest_paths(self) -> list[str]:
        """How the manifest names it: a ZIP's members as folders below the ZIP's own path."""
        if self.members:
            return [f"{self.path}/{member.path}" for member in self.members]
        return [self.path]


@dataclass(frozen=True)
class Item:
    shots: tuple[Shot, ...]
    row: dict[str, str]
    media: tuple[Media, ...] = ()

    @property
    def paths(self) -> list[str]:
        return [shot.path for shot in self.shots] + [
            path for media in self.media for path in media.manifest_paths
        ]


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


def _media(data: dict[str, Any]) -> Media:
    return Media(
        path=data["path"],
        kind=data["kind"],
        scene=data.get("scene", ""),
        size=(data["size"][0], data["size"][1]) if "size" in data else (480, 270),
        seconds=float(data.get("seconds", 3.0)),
        tune=tuple(float(note) for note in data.get("tune", ())),
        field=bool(data.get("field", False)),
        pages=tuple(data.get("pages", ())),
        info=tuple(data.get("info", {}).items()),
        text=data.get("text", ""),
        encoding=data.get("encoding", "utf-8"),
        members=tuple(_media(member) for member in data.get("member", ())),
    )


def load(path: Path = CATALOGUE) -> tuple[Item, ...]:
    items = tomllib.loads(path.read_text(encoding="utf-8"))["item"]
    return tuple(
        Item(
            tuple(_shot(shot) for shot in item.get("shot", ())),
            {**DEFAULTS, **{key: value for key, value in item.items() if key not in FILES}},
            tuple(_media(media) for media in item.get("media", ())),
        )
        for item in items
    )


ITEMS = load()
