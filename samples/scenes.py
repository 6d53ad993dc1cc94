"""The pictures of the sample collection, one function per subject.

Each scene takes a seeded `random.Random` and a canvas size and returns an image (RGB, RGBA or
L). `make_samples.py` draws them at twice the final size and reduces them, which anti-aliases
the edges, then adds grain and saves them in the format the manifest row calls for.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import papercut
from drawing import (
    HAIR,
    RGB,
    circle,
    clouds,
    crowd,
    dragon_boat,
    glow,
    gradient,
    horse,
    lens,
    paint,
    person,
    ridge,
    scatter,
    sheep,
    soften,
    vignette,
    water,
    yurt,
)
from PIL import Image, ImageDraw, ImageOps

Scene = Callable[[random.Random, tuple[int, int]], Image.Image]
ROBES: list[RGB] = [
    (30, 80, 160),
    (170, 30, 40),
    (40, 120, 90),
    (220, 150, 30),
    (110, 50, 130),
    (20, 110, 170),
]
PAPER_RED: RGB = (200, 22, 32)


def _grassland(rng: random.Random, size: tuple[int, int], horizon: float = 0.58) -> Image.Image:
    w, h = size
    img = gradient(size, (70, 130, 205), (200, 222, 240))
    clouds(img, rng, 7, (0.08, horizon - 0.2))
    paint(img, ridge(w, h, rng, horizon - 0.02, 0.035), (150, 170, 150), (130, 160, 120))
    paint(img, ridge(w, h, rng, horizon + 0.04, 0.025, waves=2), (120, 165, 80), (70, 120, 40))
    return img


def long_song(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A long-song singer on the Xilingol steppe, gers and a flock behind."""
    w, h = size
    img = _grassland(rng, size)
    glow(img, (w * 0.85, h * 0.15), h * 0.25, (255, 250, 225), 0.8)
    draw = ImageDraw.Draw(img)
    for x in (0.18, 0.24, 0.31):
        yurt(draw, w * x, h * 0.6, w * rng.uniform(0.035, 0.05))
    for x, y in scatter(rng, 40, (w * 0.05, h * 0.66, w * 0.6, h * 0.78)):
        sheep(draw, x, y, w * 0.006 * (1 + (y / h - 0.66) * 6))
    person(
        draw, w * 0.68, h * 0.95, h * 0.55, (28, 70, 150), sash=(230, 140, 20), hat=(180, 40, 40)
    )
    return img


def morin_khuur(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A horse-head fiddle on a felt rug with a key-fret border."""
    w, h = size
    img = gradient(size, (120, 34, 36), (84, 20, 24))
    draw = ImageDraw.Draw(img)
    step = w * 0.03
    for i in range(int(w / step) + 1):
        for y0 in (h * 0.03, h * 0.93):
            x = i * step
            draw.rectangle(
                (x, y0, x + step * 0.8, y0 + step * 0.8),
                outline=(230, 190, 90),
                width=max(2, int(step * 0.12)),
            )
            draw.rectangle(
                (x + step * 0.3, y0 + step * 0.3, x + step * 0.5, y0 + step * 0.5),
                fill=(230, 190, 90),
            )
    tilt = math.radians(rng.uniform(-14, -8))
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    cx = w / 2
    wood, dark = (150, 92, 44), (70, 40, 20)
    d.polygon(
        [
            (cx - w * 0.09, h * 0.58),
            (cx + w * 0.09, h * 0.58),
            (cx + w * 0.11, h * 0.86),
            (cx - w * 0.11, h * 0.86),
        ],
        fill=wood,
    )
    d.rectangle((cx - w * 0.075, h * 0.6, cx + w * 0.075, h * 0.84), fill=(196, 150, 96))
    d.rectangle((cx - w * 0.012, h * 0.12, cx + w * 0.012, h * 0.6), fill=dark)
    d.polygon(
        [
            (cx - w * 0.015, h * 0.14),
            (cx - w * 0.05, h * 0.1),
            (cx - w * 0.045, h * 0.06),
            (cx + w * 0.005, h * 0.05),
            (cx + w * 0.02, h * 0.1),
        ],
        fill=dark,
    )
    circle(d, cx - w * 0.02, h * 0.08, w * 0.005, (240, 220, 150))
    for side in (-1, 1):
        d.line(
            [(cx + side * w * 0.012, h * 0.2), (cx + side * w * 0.05, h * 0.2)],
            fill=dark,
            width=int(w * 0.01),
        )
        d.line(
            [(cx + side * w * 0.004, h * 0.19), (cx + side * w * 0.004, h * 0.82)],
            fill=(235, 230, 215),
            width=max(1, int(w * 0.002)),
        )
    d.rectangle((cx - w * 0.02, h * 0.7, cx + w * 0.02, h * 0.72), fill=dark)
    layer = layer.rotate(
        math.degrees(tilt), resample=Image.Resampling.BICUBIC, center=(cx, h * 0.5)
    )
    shadow = layer.getchannel("A").point(lambda v: v // 2)
    img.paste((20, 6, 8), (int(w * 0.015), int(h * 0.02)), shadow)
    img.paste(layer, (0, 0), layer)
    draw.line([(w * 0.2, h * 0.75), (w * 0.8, h * 0.35)], fill=(80, 50, 30), width=int(w * 0.008))
    draw.line(
        [(w * 0.21, h * 0.77), (w * 0.79, h * 0.37)],
        fill=(240, 236, 220),
        width=max(1, int(w * 0.003)),
    )
    return img


def ulan_muqir(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A 1950s print: an Ulan Muqir troupe performing on the grass, herders watching. Greyscale."""
    w, h = size
    img = _grassland(rng, size, horizon=0.5)
    draw = ImageDraw.Draw(img)
    draw.rectangle((w * 0.22, h * 0.2, w * 0.78, h * 0.27), fill=(160, 30, 30))
    for i in range(8):
        draw.rectangle(
            (w * (0.27 + i * 0.06), h * 0.215, w * (0.31 + i * 0.06), h * 0.255),
            fill=(235, 225, 200),
        )
    for pole in (0.22, 0.78):
        draw.line(
            [(w * pole, h * 0.18), (w * pole, h * 0.62)], fill=(70, 50, 40), width=int(w * 0.006)
        )
    poses = ["up", "out", "down", "out", "up", "down", "out"]
    for i, pose in enumerate(poses):
        person(
            draw,
            w * (0.28 + i * 0.075),
            h * 0.7,
            h * rng.uniform(0.33, 0.37),
            rng.choice(ROBES),
            arms=pose,
            hat=rng.choice([None, (60, 60, 60)]),
        )
    draw.rectangle((w * 0.34, h * 0.52, w * 0.4, h * 0.6), fill=(40, 40, 40))
    crowd(draw, rng, -w * 0.02, w * 1.02, h * 0.82, h * 0.07, rows=2)
    grey = ImageOps.grayscale(img)
    grey = ImageOps.autocontrast(grey, cutoff=1).point(lambda v: int(30 + v * 0.78))
    grey = vignette(grey, 1.3)
    scratches = ImageDraw.Draw(grey)
    for _ in range(14):
        x = rng.uniform(0, w)
        scratches.line(
            [
                (x, rng.uniform(0, h * 0.5)),
                (x + rng.uniform(-w * 0.02, w * 0.02), rng.uniform(h * 0.5, h)),
            ],
            fill=rng.randint(170, 220),
            width=1,
        )
    border = int(w * 0.03)
    framed = Image.new("L", (w + 2 * border, h + 2 * border), 236)
    framed.paste(grey, (border, border))
    return framed.resize(size, Image.Resampling.LANCZOS)


def naadam(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Child jockeys racing across the Hulunbuir grassland at a Naadam."""
    w, h = size
    img = _grassland(rng, size, horizon=0.5)
    draw = ImageDraw.Draw(img)
    for x in (0.1, 0.16, 0.83):
        yurt(draw, w * x, h * 0.52, w * 0.05)
    for i in range(18):
        x = w * (0.02 + i * 0.057)
        draw.line(
            [(x, h * 0.45), (x, h * 0.58)], fill=(240, 240, 240), width=max(1, int(w * 0.003))
        )
        draw.polygon(
            [(x, h * 0.45), (x + w * 0.03, h * 0.47), (x, h * 0.49)], fill=ROBES[i % len(ROBES)]
        )
    crowd(draw, rng, 0, w, h * 0.56, h * 0.025, rows=2)
    coats = [(110, 60, 30), (40, 30, 26), (200, 170, 130), (150, 90, 50), (90, 90, 90)]
    for x, y in scatter(rng, 6, (w * 0.15, h * 0.7, w * 0.9, h * 0.88)):
        glow(img, (x + w * 0.04, y), h * 0.06, (200, 180, 140), 0.6)
        horse(
            draw,
            x,
            y,
            h * 0.09 * (0.8 + (y / h - 0.7) * 2),
            rng.choice(coats),
            rider=rng.choice(ROBES),
        )
    return img


def ordos_wedding(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """An Ordos wedding: bride in a silver-and-coral headdress, groom, khadag scarves, a feast."""
    w, h = size
    img = gradient(size, (150, 30, 34), (90, 20, 20))
    for x in (0.15, 0.5, 0.85):
        glow(img, (w * x, h * 0.12), h * 0.15, (255, 200, 120), 0.9)
    draw = ImageDraw.Draw(img)
    for x in (0.15, 0.5, 0.85):
        draw.ellipse((w * x - h * 0.04, h * 0.07, w * x + h * 0.04, h * 0.17), fill=(230, 60, 40))
    person(draw, w * 0.4, h * 0.92, h * 0.62, (200, 40, 60), sash=(240, 200, 60), arms="out")
    for i in range(9):
        x = w * 0.4 + (i - 4) * h * 0.012
        draw.line(
            [(x, h * 0.34), (x, h * 0.44)], fill=(210, 210, 215), width=max(1, int(h * 0.004))
        )
        circle(draw, x, h * 0.44, h * 0.007, (230, 90, 70) if i % 2 else (200, 200, 210))
    person(draw, w * 0.6, h * 0.92, h * 0.66, (30, 70, 150), sash=(240, 160, 30), hat=(60, 40, 30))
    for side in (-1, 1):
        draw.line(
            [(w * 0.6 + side * h * 0.05, h * 0.42), (w * 0.6 + side * h * 0.03, h * 0.7)],
            fill=(245, 245, 250),
            width=int(h * 0.02),
        )
    draw.rectangle((w * 0.05, h * 0.78, w * 0.3, h * 0.82), fill=(120, 70, 40))
    draw.rectangle((w * 0.7, h * 0.78, w * 0.95, h * 0.82), fill=(120, 70, 40))
    for x in (0.1, 0.17, 0.24, 0.76, 0.84, 0.9):
        draw.ellipse(
            (w * x - h * 0.03, h * 0.745, w * x + h * 0.03, h * 0.785), fill=(200, 200, 208)
        )
        circle(
            draw,
            w * x,
            h * 0.755,
            h * 0.015,
            rng.choice([(150, 90, 50), (240, 230, 200), (200, 120, 70)]),
        )
    return img


def manhan_song(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Manhan-diao singers on the loess ridges of Jungar Banner."""
    w, h = size
    img = gradient(size, (120, 170, 220), (235, 225, 200))
    for i, base in enumerate((0.45, 0.55, 0.66, 0.8)):
        shade = 200 - i * 25
        paint(
            img,
            ridge(w, h, rng, base, 0.05, waves=4),
            (shade + 20, shade - 10, shade - 60),
            (shade - 10, shade - 40, shade - 90),
        )
    draw = ImageDraw.Draw(img)
    for _ in range(18):
        x, y = rng.uniform(0, w), rng.uniform(h * 0.55, h * 0.95)
        span = w * rng.uniform(0.08, 0.2)
        draw.arc(
            (x - span, y - h * 0.03, x + span, y + h * 0.03),
            200,
            340,
            fill=(150, 115, 75),
            width=max(1, int(h * 0.004)),
        )
    person(
        draw, w * 0.38, h * 0.83, h * 0.4, (60, 60, 140), sash=(220, 60, 50), hat=(240, 240, 240)
    )
    person(draw, w * 0.52, h * 0.83, h * 0.3, (180, 40, 60), arms="out")
    return img


def ger_closeup(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A newly raised ger in Chen Barag Banner, roof ropes and a tethered horse."""
    w, h = size
    img = _grassland(rng, size, horizon=0.55)
    draw = ImageDraw.Draw(img)
    yurt(draw, w * 0.45, h * 0.88, w * 0.55)
    for i in range(7):
        draw.line(
            [(w * (0.2 + i * 0.08), h * 0.5), (w * (0.2 + i * 0.08), h * 0.56)],
            fill=(120, 90, 60),
            width=int(w * 0.004),
        )
    horse(draw, w * 0.86, h * 0.9, h * 0.12, (120, 70, 40))
    draw.line([(w * 0.79, h * 0.75), (w * 0.79, h * 0.92)], fill=(90, 60, 40), width=int(w * 0.006))
    return img


def ovoo(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """An ovoo cairn hung with blue khadag scarves; worshippers walk round it sunwise."""
    w, h = size
    img = _grassland(rng, size, horizon=0.62)
    draw = ImageDraw.Draw(img)
    cx, base = w * 0.5, h * 0.62
    for x, y in scatter(rng, 260, (cx - w * 0.16, base - h * 0.16, cx + w * 0.16, base)):
        if abs(x - cx) < (y - (base - h * 0.16)) * 1.2:
            g = rng.randint(110, 170)
            draw.ellipse(
                (x - w * 0.012, y - h * 0.012, x + w * 0.012, y + h * 0.01), fill=(g, g, g - 8)
            )
    draw.line(
        [(cx, base - h * 0.45), (cx, base - h * 0.12)], fill=(120, 80, 40), width=int(w * 0.006)
    )
    for i in range(26):
        a = math.pi * (0.1 + 0.8 * i / 25)
        colour = [(40, 110, 210), (250, 250, 250), (230, 50, 40), (240, 200, 40), (40, 150, 70)][
            i % 5
        ]
        draw.line(
            [
                (cx, base - h * 0.44),
                (cx + math.cos(a) * w * 0.2, base - h * 0.1 - math.sin(a) * h * 0.05),
            ],
            fill=colour,
            width=max(1, int(w * 0.002)),
        )
    for i in range(9):
        a = math.tau * i / 9
        x = cx + math.cos(a) * w * 0.27
        y = base + h * 0.14 + math.sin(a) * h * 0.08
        person(
            draw,
            x,
            y + h * 0.2,
            h * 0.22,
            rng.choice(ROBES),
            hat=rng.choice([None, (200, 150, 40)]),
        )
    return img


def uliger(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """An uliger storyteller with a four-string fiddle, lamp-lit, listeners in the foreground."""
    w, h = size
    img = gradient(size, (40, 26, 20), (24, 16, 12))
    glow(img, (w * 0.5, h * 0.35), h * 0.6, (210, 150, 80), 0.8)
    draw = ImageDraw.Draw(img)
    draw.rectangle((w * 0.38, h * 0.62, w * 0.62, h * 0.72), fill=(100, 60, 30))
    person(draw, w * 0.5, h * 0.78, h * 0.55, (40, 60, 120), sash=(220, 150, 30), hat=(150, 30, 30))
    draw.line([(w * 0.47, h * 0.72), (w * 0.55, h * 0.3)], fill=(60, 36, 20), width=int(w * 0.008))
    draw.ellipse((w * 0.45, h * 0.66, w * 0.5, h * 0.74), fill=(160, 110, 60))
    draw.line(
        [(w * 0.4, h * 0.55), (w * 0.6, h * 0.6)],
        fill=(210, 200, 180),
        width=max(1, int(w * 0.003)),
    )
    for x, y in scatter(rng, 9, (0, h * 0.82, w, h * 0.92)):
        circle(draw, x, y, h * 0.09, (rng.randint(10, 30),) * 3)
        draw.ellipse(
            (x - h * 0.18, y + h * 0.05, x + h * 0.18, y + h * 0.35),
            fill=(rng.randint(10, 30),) * 3,
        )
    return img


def andai(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Andai dancers whirling scarves on the sandy land of Hure Banner."""
    w, h = size
    img = gradient(size, (110, 160, 215), (240, 226, 190))
    for base, col in ((0.55, (226, 196, 140)), (0.63, (214, 178, 116)), (0.75, (200, 160, 100))):
        paint(img, ridge(w, h, rng, base, 0.04, waves=2), col, tuple(c - 20 for c in col))
    draw = ImageDraw.Draw(img)
    for i in range(10):
        a = math.tau * i / 10 + 0.3
        x, y = w * 0.5 + math.cos(a) * w * 0.32, h * 0.86 + math.sin(a) * h * 0.08
        height = h * (0.42 + 0.08 * math.sin(a))
        robe = ROBES[i % len(ROBES)]
        person(draw, x, y, height, robe, arms="up")
        scarf = [(200, 30, 40), (40, 160, 80), (250, 200, 40)][i % 3]
        hand = (x + height * 0.225, y - height * 0.82 - height * 0.22)
        draw.line(
            [
                hand,
                (hand[0] + height * 0.2, hand[1] - height * 0.1),
                (hand[0] + height * 0.3, hand[1] + height * 0.05),
            ],
            fill=scarf,
            width=max(2, int(h * 0.008)),
            joint="curve",
        )
    return img


def dai_papercut(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Gold Dai paper-cut of peacocks, photographed on temple cloth."""
    w, h = size
    img = gradient(size, (100, 20, 50), (60, 10, 30))
    mask = papercut.peacocks((int(w * 0.86), int(h * 0.86)), rng)
    at = (int(w * 0.07), int(h * 0.07))
    img.paste((30, 5, 15), (at[0] + int(w * 0.008), at[1] + int(h * 0.01)), soften(mask, w * 0.003))
    img.paste(gradient(mask.size, (245, 210, 110), (205, 160, 60)), at, mask)
    return img


def window_flower(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A red window flower on white paper, as an archivist scans it."""
    w, h = size
    img = Image.new("RGB", size, (250, 248, 242))
    mask = papercut.window_flower(int(min(w, h) * 0.92))
    img.paste(PAPER_RED, (int((w - mask.width) / 2), int((h - mask.height) / 2)), mask)
    return img


def doll(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """An Ansai 'doll with hair buns' cut-out on a transparent background."""
    return papercut.coloured(papercut.doll(min(size), rng), PAPER_RED)


def xunyi_catalogue(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A printed exhibition-catalogue page of Xunyi colour-backed paper-cuts (a CMYK scan)."""
    w, h = size
    img = Image.new("RGB", size, (246, 242, 232))
    draw = ImageDraw.Draw(img)
    draw.rectangle((w * 0.08, h * 0.05, w * 0.92, h * 0.08), fill=(170, 30, 40))
    cell = int(min(w * 0.38, h * 0.3))
    backing = ((230, 40, 50), (250, 200, 30), (40, 140, 70), (40, 80, 180), (240, 120, 170))
    for i in range(4):
        x, y = int(w * (0.08 + (i % 2) * 0.46)), int(h * (0.13 + (i // 2) * 0.42))
        mask = papercut.doll(cell, rng) if i % 3 == 0 else papercut.window_flower(cell, 6 + 2 * i)
        cut = papercut.coloured(mask, (20, 20, 24), backing, rng)
        img.paste(cut, (x, y), cut)
        for line in range(2):
            draw.rectangle(
                (
                    x,
                    y + cell + h * (0.015 + line * 0.018),
                    x + cell * (0.9 - line * 0.3),
                    y + cell + h * (0.025 + line * 0.018),
                ),
                fill=(90, 90, 90),
            )
    draw.rectangle((w * 0.47, h * 0.95, w * 0.53, h * 0.965), fill=(120, 120, 120))
    return img


def yuxian_mask(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A dyed Yuxian paper-cut of an opera face (脸谱): bright dyes, black cut lines."""
    w, h = size
    img = Image.new("RGB", size, (252, 250, 244))
    layer = Image.new("RGB", size, (0, 0, 0))
    d = ImageDraw.Draw(layer)
    cx = w / 2
    d.ellipse((cx - h * 0.32, h * 0.08, cx + h * 0.32, h * 0.95), fill=(20, 20, 20))
    d.ellipse(
        (cx - h * 0.3, h * 0.1, cx + h * 0.3, h * 0.93),
        fill=rng.choice([(230, 40, 50), (240, 170, 40)]),
    )
    d.polygon(
        [
            (cx - h * 0.08, h * 0.1),
            (cx + h * 0.08, h * 0.1),
            (cx + h * 0.03, h * 0.45),
            (cx - h * 0.03, h * 0.45),
        ],
        fill=(250, 230, 60),
    )
    for side in (-1, 1):
        d.polygon(
            lens(cx + side * h * 0.14, h * 0.44, h * 0.22, h * 0.1, side * 0.35), fill=(20, 20, 20)
        )
        d.polygon(
            lens(cx + side * h * 0.14, h * 0.44, h * 0.1, h * 0.04, side * 0.35),
            fill=(250, 250, 250),
        )
        d.polygon(
            lens(cx + side * h * 0.16, h * 0.3, h * 0.24, h * 0.05, side * -0.3), fill=(20, 20, 20)
        )
        d.polygon(
            lens(cx + side * h * 0.18, h * 0.66, h * 0.16, h * 0.12, side * 0.2),
            fill=(240, 120, 160),
        )
        d.polygon(
            lens(cx + side * h * 0.18, h * 0.66, h * 0.1, h * 0.05, side * 0.2), fill=(40, 150, 80)
        )
    d.polygon(
        [(cx - h * 0.06, h * 0.58), (cx + h * 0.06, h * 0.58), (cx, h * 0.5)], fill=(20, 20, 20)
    )
    d.chord((cx - h * 0.12, h * 0.68, cx + h * 0.12, h * 0.84), 0, 180, fill=(20, 20, 20))
    d.polygon(
        [
            (cx - h * 0.1, h * 0.8),
            (cx + h * 0.1, h * 0.8),
            (cx + h * 0.16, h * 0.96),
            (cx - h * 0.16, h * 0.96),
        ],
        fill=(20, 20, 20),
    )
    shape = Image.new("L", size, 0)
    ImageDraw.Draw(shape).ellipse((cx - h * 0.32, h * 0.08, cx + h * 0.32, h * 0.97), fill=255)
    img.paste(layer, (0, 0), shape)
    return img


def kunqu_stage(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A Kunqu stage: embroidered backdrop, a draped table, Du Liniang with water sleeves."""
    w, h = size
    img = gradient(size, (20, 14, 16), (40, 20, 22))
    draw = ImageDraw.Draw(img)
    draw.rectangle((w * 0.12, h * 0.05, w * 0.88, h * 0.68), fill=(150, 30, 40))
    for x, y in scatter(rng, 90, (w * 0.14, h * 0.08, w * 0.86, h * 0.64)):
        for k in range(5):
            a = math.tau * k / 5
            circle(
                draw,
                x + math.cos(a) * w * 0.008,
                y + math.sin(a) * w * 0.008,
                w * 0.006,
                (230, 180, 80),
            )
        circle(draw, x, y, w * 0.004, (250, 230, 150))
    for side in (0.0, 0.88):
        draw.rectangle((w * side, 0, w * (side + 0.12), h * 0.72), fill=(110, 20, 30))
    paint(img, [(0, h * 0.68), (w, h * 0.68), (w, h), (0, h)], (170, 40, 40), (110, 20, 24))
    draw.rectangle((w * 0.2, h * 0.52, w * 0.34, h * 0.7), fill=(180, 30, 40))
    draw.rectangle((w * 0.2, h * 0.5, w * 0.34, h * 0.53), fill=(230, 180, 60))
    glow(img, (w * 0.58, h * 0.55), h * 0.45, (255, 230, 200), 0.55)
    person(
        draw,
        w * 0.58,
        h * 0.9,
        h * 0.62,
        (240, 170, 190),
        sash=(120, 200, 190),
        arms="out",
        hat=(40, 30, 60),
    )
    for side in (-1, 1):
        hx = w * 0.58 + side * h * 0.62 * 0.345
        hy = h * 0.9 - h * 0.62 * 0.76
        draw.line(
            [(hx, hy), (hx + side * w * 0.05, hy + h * 0.05), (hx + side * w * 0.04, hy + h * 0.2)],
            fill=(250, 250, 248),
            width=int(w * 0.018),
            joint="curve",
        )
    for k in range(6):
        circle(
            draw,
            w * 0.58 + (k - 2.5) * h * 0.014,
            h * 0.9 - h * 0.62 * 0.97,
            h * 0.007,
            (200, 220, 240),
        )
    return img


def kunqu_costume(rng: random.Random, size: tuple[int, int], back: bool = False) -> Image.Image:
    """A Kunqu pleated robe (褶子) laid out for photography, front or back."""
    w, h = size
    img = gradient(size, (200, 200, 196), (150, 150, 146))
    cx = w / 2
    silk = (244, 210, 220)
    robe = [
        (cx - w * 0.12, h * 0.12),
        (cx + w * 0.12, h * 0.12),
        (cx + w * 0.44, h * 0.3),
        (cx + w * 0.44, h * 0.42),
        (cx + w * 0.2, h * 0.4),
        (cx + w * 0.24, h * 0.92),
        (cx - w * 0.24, h * 0.92),
        (cx - w * 0.2, h * 0.4),
        (cx - w * 0.44, h * 0.42),
        (cx - w * 0.44, h * 0.3),
    ]
    paint(img, [(x + w * 0.01, y + h * 0.012) for x, y in robe], (110, 110, 106))
    paint(img, robe, silk, tuple(c - 30 for c in silk))
    draw = ImageDraw.Draw(img)
    for side in (-1, 1):
        draw.polygon(
            [
                (cx + side * w * 0.44, h * 0.3),
                (cx + side * w * 0.49, h * 0.31),
                (cx + side * w * 0.49, h * 0.62),
                (cx + side * w * 0.44, h * 0.42),
            ],
            fill=(252, 252, 250),
        )
    if not back:
        draw.line(
            [(cx - w * 0.05, h * 0.12), (cx + w * 0.08, h * 0.92)],
            fill=(120, 170, 200),
            width=int(w * 0.02),
        )
    sprays = 5 if back else 9
    for x, y in scatter(rng, sprays, (cx - w * 0.18, h * 0.2, cx + w * 0.18, h * 0.85)):
        for k in range(6):
            a = math.tau * k / 6
            draw.polygon(
                lens(
                    x + math.cos(a) * w * 0.018,
                    y + math.sin(a) * w * 0.018,
                    w * 0.036,
                    w * 0.018,
                    a,
                ),
                fill=(220, 80, 120),
            )
        circle(draw, x, y, w * 0.008, (250, 210, 80))
        draw.line(
            [(x, y), (x - w * 0.05, y + h * 0.06)], fill=(70, 130, 70), width=max(1, int(w * 0.004))
        )
    return img


def kunqu_costume_back(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    return kunqu_costume(rng, size, back=True)


def kunqu_score(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A page of a hand-copied Kunqu score (工尺谱): text columns, red beat marks; greyscale."""
    w, h = size
    img = gradient(size, (222, 208, 178), (206, 190, 156))
    for _ in range(6):
        glow(
            img,
            (rng.uniform(0, w), rng.uniform(0, h)),
            rng.uniform(0.05, 0.2) * w,
            (180, 150, 100),
            0.35,
        )
    draw = ImageDraw.Draw(img)
    draw.rectangle(
        (w * 0.06, h * 0.06, w * 0.94, h * 0.94), outline=(120, 60, 50), width=int(w * 0.004)
    )
    columns = 11
    for c in range(columns):
        x = w * (0.88 - c * 0.075)
        draw.line(
            [(x + w * 0.035, h * 0.06), (x + w * 0.035, h * 0.94)],
            fill=(150, 90, 80),
            width=max(1, int(w * 0.0015)),
        )
        y = h * 0.1
        while y < h * 0.9:
            size_c = w * rng.uniform(0.018, 0.026)
            for _ in range(rng.randint(2, 4)):
                x0, y0 = x + rng.uniform(-size_c, size_c * 0.2), y + rng.uniform(0, size_c)
                draw.line(
                    [
                        (x0, y0),
                        (
                            x0 + rng.uniform(0, size_c),
                            y0 + rng.uniform(-size_c * 0.3, size_c * 0.6),
                        ),
                    ],
                    fill=(40, 32, 28),
                    width=max(1, int(w * 0.004)),
                )
            if rng.random() < 0.3:
                circle(draw, x + w * 0.022, y + size_c * 0.5, w * 0.004, (170, 40, 30))
            y += size_c * 1.6
    draw.rectangle((w * 0.955, 0, w, h), fill=(150, 130, 100))
    return ImageOps.grayscale(img)


def shadow_show(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A Tangshan shadow play seen from the audience: lit screen, coloured leather figures."""
    w, h = size
    img = gradient(size, (30, 20, 16), (16, 10, 8))
    draw = ImageDraw.Draw(img)
    draw.rectangle((w * 0.08, h * 0.1, w * 0.92, h * 0.78), fill=(70, 40, 24))
    screen = gradient((int(w * 0.8), int(h * 0.62)), (255, 236, 190), (240, 200, 140))
    glow(
        screen, (screen.width * 0.5, screen.height * 0.5), screen.width * 0.6, (255, 250, 230), 0.8
    )
    img.paste(screen, (int(w * 0.1), int(h * 0.13)))
    for x, colour in ((0.35, (170, 40, 30)), (0.64, (40, 110, 70))):
        _puppet(draw, w * x, h * 0.72, h * 0.5, colour, facing=1 if x < 0.5 else -1)
    draw.rectangle((w * 0.1, h * 0.7, w * 0.9, h * 0.75), fill=(90, 50, 30))
    crowd(draw, rng, 0, w, h * 0.86, h * 0.07, rows=2)
    return img


def _puppet(
    draw: ImageDraw.ImageDraw, x: float, feet: float, height: float, colour: RGB, facing: int = 1
) -> None:
    """A shadow-puppet figure in profile: headdress, jointed arms, cut-out robe, control rods."""
    f = facing
    head_y = feet - height * 0.86
    draw.ellipse(
        (x - height * 0.05, head_y - height * 0.06, x + height * 0.05, head_y + height * 0.06),
        fill=(30, 24, 20),
    )
    draw.polygon(
        [
            (x - height * 0.06, head_y - height * 0.04),
            (x + height * 0.07 * f, head_y - height * 0.16),
            (x + height * 0.06, head_y - height * 0.03),
        ],
        fill=colour,
    )
    draw.polygon(
        [
            (x - height * 0.07, feet - height * 0.76),
            (x + height * 0.07, feet - height * 0.76),
            (x + height * 0.12, feet - height * 0.05),
            (x - height * 0.12, feet - height * 0.05),
        ],
        fill=colour,
    )
    for k in range(5):
        y = feet - height * (0.65 - k * 0.11)
        draw.polygon(lens(x, y, height * 0.12, height * 0.035, 0), fill=(250, 220, 150))
    shoulder = (x + height * 0.05 * f, feet - height * 0.72)
    elbow = (x + height * 0.16 * f, feet - height * 0.58)
    hand = (x + height * 0.26 * f, feet - height * 0.66)
    draw.line([shoulder, elbow, hand], fill=colour, width=max(2, int(height * 0.035)))
    draw.line(
        [hand, (hand[0] + height * 0.05 * f, feet + height * 0.3)],
        fill=(40, 30, 20),
        width=max(1, int(height * 0.008)),
    )
    draw.line(
        [(x, feet - height * 0.8), (x - height * 0.05 * f, feet + height * 0.3)],
        fill=(40, 30, 20),
        width=max(1, int(height * 0.01)),
    )
    for dx in (-0.06, 0.05):
        draw.polygon(
            [
                (x + height * dx, feet - height * 0.06),
                (x + height * (dx + 0.06 * f), feet - height * 0.02),
                (x + height * dx, feet),
            ],
            fill=HAIR,
        )


def shadow_figure(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A single leather shadow-puppet figure, cut out for the catalogue (transparent background)."""
    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    colour = rng.choice([(176, 40, 30, 255), (40, 110, 70, 255)])
    _puppet(draw, w * 0.45, h * 0.8, h * 0.78, colour)
    return img


def shadow_backstage(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Backstage: puppet heads hung on a line under a bare lamp."""
    w, h = size
    img = gradient(size, (44, 34, 28), (20, 14, 12))
    glow(img, (w * 0.3, h * 0.15), h * 0.45, (250, 210, 140), 0.9)
    draw = ImageDraw.Draw(img)
    draw.line([(0, h * 0.3), (w, h * 0.26)], fill=(150, 140, 120), width=max(1, int(h * 0.004)))
    for i in range(9):
        x = w * (0.06 + i * 0.11)
        y = h * (0.3 - i * 0.004)
        draw.line([(x, y), (x, y + h * 0.08)], fill=(150, 140, 120), width=1)
        colour = [(180, 40, 30), (40, 110, 70), (40, 60, 130), (200, 150, 40)][i % 4]
        _puppet(draw, x, y + h * 0.55, h * 0.5, colour, facing=rng.choice([-1, 1]))
    draw.rectangle((w * 0.0, h * 0.85, w, h), fill=(60, 40, 26))
    return img


def _river(rng: random.Random, size: tuple[int, int], banks: RGB, horizon: float) -> Image.Image:
    w, h = size
    img = gradient(size, (130, 170, 210), (220, 230, 236))
    clouds(img, rng, 5, (0.05, horizon - 0.15))
    paint(img, ridge(w, h, rng, horizon - 0.04, 0.04), banks, tuple(c - 30 for c in banks))
    water(img, horizon, (70, 110, 110), (120, 150, 150), rng)
    return img


def dragon_race(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Dragon boats racing on the Miluo River, spectators on the bank."""
    w, h = size
    img = _river(rng, size, (90, 130, 80), 0.45)
    draw = ImageDraw.Draw(img)
    crowd(draw, rng, 0, w, h * 0.43, h * 0.02, rows=2)
    for y, hull in ((0.6, (200, 40, 40)), (0.78, (240, 190, 40))):
        dragon_boat(draw, w * rng.uniform(0.1, 0.2), h * y, w * 0.7, hull, rng)
    return img


def zigui_gorge(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Dragon boats under the steep hills of Zigui on the Yangtze, a temple roof above."""
    w, h = size
    img = gradient(size, (150, 170, 190), (215, 220, 225))
    paint(img, ridge(w, h, rng, 0.28, 0.12, waves=4), (90, 110, 100), (60, 90, 70))
    paint(img, ridge(w, h, rng, 0.42, 0.08, waves=3), (70, 100, 70), (50, 80, 50))
    draw = ImageDraw.Draw(img)
    draw.polygon(
        [(w * 0.7, h * 0.3), (w * 0.86, h * 0.3), (w * 0.9, h * 0.34), (w * 0.66, h * 0.34)],
        fill=(60, 50, 50),
    )
    draw.rectangle((w * 0.69, h * 0.34, w * 0.87, h * 0.41), fill=(200, 190, 170))
    draw.rectangle((w * 0.76, h * 0.36, w * 0.8, h * 0.41), fill=(150, 40, 40))
    water(img, 0.55, (60, 100, 90), (100, 130, 120), rng)
    draw = ImageDraw.Draw(img)
    dragon_boat(draw, w * 0.3, h * 0.72, w * 0.55, (40, 90, 170), rng)
    return img


def dongguan_boats(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Many dragon boats at a Dongguan river festival, a dense crowd and town behind."""
    w, h = size
    img = gradient(size, (160, 190, 220), (230, 232, 236))
    draw = ImageDraw.Draw(img)
    x = 0.0
    while x < w:
        bw, bh = w * rng.uniform(0.04, 0.09), h * rng.uniform(0.08, 0.22)
        g = rng.randint(170, 225)
        draw.rectangle((x, h * 0.42 - bh, x + bw, h * 0.42), fill=(g, g, g + 5))
        for wy in range(int(bh / (h * 0.03))):
            draw.rectangle(
                (
                    x + bw * 0.2,
                    h * 0.42 - bh + wy * h * 0.03 + h * 0.01,
                    x + bw * 0.8,
                    h * 0.42 - bh + wy * h * 0.03 + h * 0.02,
                ),
                fill=(g - 60, g - 50, g - 40),
            )
        x += bw + w * 0.005
    water(img, 0.48, (80, 110, 100), (130, 150, 140), rng)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, h * 0.42, w, h * 0.49), fill=(120, 110, 100))
    crowd(draw, rng, 0, w, h * 0.4, h * 0.025, rows=3)
    hulls = [(200, 40, 40), (240, 190, 40), (40, 90, 170), (40, 140, 80)]
    for i, y in enumerate((0.56, 0.66, 0.8)):
        dragon_boat(draw, w * rng.uniform(0.02, 0.3), h * y, w * (0.45 + i * 0.12), hulls[i], rng)
    return img


def tie_dye(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Bai tie-dye (扎染) from Dali: indigo cloth with white flower rings, softened by the dye."""
    w, h = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    step = w / 6
    for row in range(int(h / step) + 2):
        for col in range(7):
            cx = col * step + (step / 2 if row % 2 else 0)
            cy = row * step * 0.9
            for k in range(8):
                a = math.tau * k / 8
                circle(
                    draw,
                    cx + math.cos(a) * step * 0.28,
                    cy + math.sin(a) * step * 0.28,
                    step * 0.07,
                    230,
                )
            circle(draw, cx, cy, step * 0.08, 255)
            for k in range(12):
                a = math.tau * k / 12
                circle(
                    draw,
                    cx + math.cos(a) * step * 0.45,
                    cy + math.sin(a) * step * 0.45,
                    step * 0.025,
                    180,
                )
    mask = soften(mask, w * 0.006)
    img = gradient(size, (30, 50, 110), (20, 36, 86))
    img.paste(Image.new("RGB", size, (226, 232, 240)), (0, 0), mask)
    return img


def dongba(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A Naxi Dongba painting: pictographic figures, sun and animals in mineral colours."""
    w, h = size
    img = gradient(size, (226, 206, 160), (200, 176, 126))
    for _ in range(5):
        glow(
            img,
            (rng.uniform(0, w), rng.uniform(0, h)),
            rng.uniform(0.08, 0.2) * w,
            (170, 140, 90),
            0.3,
        )
    draw = ImageDraw.Draw(img)
    ink = (50, 36, 28)
    colours = [(40, 90, 150), (180, 50, 40), (50, 130, 80), (220, 160, 40)]
    circle(draw, w * 0.15, h * 0.2, h * 0.08, (220, 70, 40))
    for i in range(5):
        x = w * (0.3 + i * 0.13)
        y = h * rng.uniform(0.55, 0.7)
        s = h * 0.12
        circle(draw, x, y - s * 1.6, s * 0.35, ink)
        draw.polygon(
            [(x - s * 0.5, y), (x + s * 0.5, y), (x, y - s * 1.3)],
            fill=colours[i % 4],
            outline=ink,
            width=max(1, int(w * 0.003)),
        )
        draw.line(
            [(x - s * 0.7, y - s * 1.1), (x, y - s * 1.0), (x + s * 0.7, y - s * 1.3)],
            fill=ink,
            width=max(1, int(w * 0.004)),
        )
        draw.line(
            [(x - s * 0.2, y), (x - s * 0.35, y + s * 0.6)], fill=ink, width=max(1, int(w * 0.004))
        )
        draw.line(
            [(x + s * 0.2, y), (x + s * 0.35, y + s * 0.6)], fill=ink, width=max(1, int(w * 0.004))
        )
    for k in range(3):
        x, y = w * (0.35 + k * 0.2), h * 0.27
        draw.ellipse(
            (x - w * 0.05, y - h * 0.03, x + w * 0.05, y + h * 0.03),
            fill=colours[(k + 1) % 4],
            outline=ink,
            width=max(1, int(w * 0.003)),
        )
        draw.line(
            [(x + w * 0.05, y), (x + w * 0.07, y - h * 0.06)],
            fill=ink,
            width=max(1, int(w * 0.004)),
        )
    draw.rectangle(
        (w * 0.02, h * 0.04, w * 0.98, h * 0.96), outline=ink, width=max(1, int(w * 0.004))
    )
    return img


def torch_festival(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """The Yi Torch Festival at night: a bonfire, torches and a ring of dancers."""
    w, h = size
    img = gradient(size, (8, 10, 30), (30, 20, 30))
    glow(img, (w * 0.5, h * 0.62), h * 0.55, (255, 140, 40), 0.95)
    glow(img, (w * 0.5, h * 0.58), h * 0.2, (255, 230, 150), 1.0)
    draw = ImageDraw.Draw(img)
    for k in range(12):
        a = math.pi * k / 11
        draw.polygon(
            lens(
                w * 0.5 + math.cos(a) * w * 0.02,
                h * 0.58 - math.sin(a) * h * 0.06,
                h * 0.2,
                h * 0.05,
                -a,
            ),
            fill=(255, 200 - k * 5, 60),
        )
    for x, y in scatter(rng, 22, (0, h * 0.6, w, h * 0.95)):
        if abs(x - w * 0.5) < w * 0.1 and y < h * 0.75:
            continue
        glow(img, (x, y - h * 0.22), h * 0.05, (255, 190, 80), 0.9)
        person(
            draw,
            x,
            y,
            h * 0.2 * (0.6 + (y / h - 0.6) * 2),
            (rng.randint(10, 40),) * 3,
            arms=rng.choice(["up", "out"]),
        )
    return img


def batik(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Miao batik (蜡染) from Danzhai: spirals and birds in wax resist, with indigo crackle."""
    w, h = size
    img = gradient(size, (26, 48, 96), (20, 38, 80))
    draw = ImageDraw.Draw(img)
    light = (220, 226, 232)
    for _ in range(40):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        points = [(x, y)]
        for _ in range(6):
            x, y = x + rng.uniform(-w * 0.04, w * 0.04), y + rng.uniform(-h * 0.04, h * 0.04)
            points.append((x, y))
        draw.line(points, fill=(70, 90, 140), width=1)
    for row in range(3):
        for col in range(3):
            cx, cy = w * (0.18 + col * 0.32), h * (0.18 + row * 0.32)
            points = []
            for i in range(120):
                a = i * 0.18
                r = w * 0.012 * a
                points.append((cx + math.cos(a) * r, cy + math.sin(a) * r))
            draw.line(points, fill=light, width=max(2, int(w * 0.006)))
            draw.rectangle(
                (cx - w * 0.15, cy - h * 0.15, cx + w * 0.15, cy + h * 0.15),
                outline=light,
                width=max(2, int(w * 0.004)),
            )
            for side in (-1, 1):
                bx, by = cx + side * w * 0.1, cy + h * 0.1
                draw.polygon(lens(bx, by, w * 0.06, h * 0.025, 0), fill=light)
                draw.polygon(
                    [
                        (bx + side * w * 0.03, by),
                        (bx + side * w * 0.05, by - h * 0.02),
                        (bx + side * w * 0.05, by + h * 0.01),
                    ],
                    fill=light,
                )
    return img


def kam_song(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Kam (Dong) grand-song singers before the drum tower of a Liping village."""
    w, h = size
    img = gradient(size, (140, 175, 205), (225, 230, 230))
    paint(img, ridge(w, h, rng, 0.4, 0.08, waves=3), (80, 120, 90), (60, 100, 70))
    draw = ImageDraw.Draw(img)
    cx = w * 0.5
    tiers = 9
    for t in range(tiers):
        y = h * (0.62 - t * 0.055)
        half = w * (0.16 - t * 0.015)
        draw.polygon(
            [
                (cx - half, y),
                (cx + half, y),
                (cx + half * 0.75, y - h * 0.04),
                (cx - half * 0.75, y - h * 0.04),
            ],
            fill=(70, 60, 60),
        )
        draw.line(
            [(cx - half, y), (cx + half, y)], fill=(240, 240, 236), width=max(1, int(h * 0.005))
        )
        draw.rectangle((cx - half * 0.7, y, cx + half * 0.7, y + h * 0.015), fill=(150, 110, 70))
    draw.line([(cx, h * 0.12), (cx, h * 0.05)], fill=(70, 60, 60), width=int(w * 0.006))
    draw.rectangle((cx - w * 0.08, h * 0.62, cx + w * 0.08, h * 0.72), fill=(130, 90, 60))
    paint(img, [(0, h * 0.72), (w, h * 0.72), (w, h), (0, h)], (150, 140, 120), (110, 100, 90))
    draw = ImageDraw.Draw(img)
    for i in range(11):
        x = w * (0.08 + i * 0.085)
        person(draw, x, h * 0.97, h * 0.3, (30, 30, 50), sash=(200, 200, 210), hat=(40, 40, 60))
        circle(draw, x, h * 0.97 - h * 0.3 * 0.82, h * 0.012, (230, 230, 235))
    return img


def miao_embroidery(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Leishan Miao embroidery: diamonds, butterflies and flowers in silk on black cloth."""
    w, h = size
    img = Image.new("RGB", size, (18, 16, 20))
    draw = ImageDraw.Draw(img)
    silks = [
        (220, 40, 60),
        (240, 160, 40),
        (60, 150, 90),
        (60, 90, 200),
        (230, 110, 170),
        (245, 235, 200),
    ]
    step = w / 8
    for row in range(int(h / step) + 1):
        for col in range(9):
            cx, cy = col * step + (step / 2 if row % 2 else 0), row * step + step / 2
            colour = silks[(row + col) % len(silks)]
            draw.polygon(
                [
                    (cx, cy - step * 0.45),
                    (cx + step * 0.45, cy),
                    (cx, cy + step * 0.45),
                    (cx - step * 0.45, cy),
                ],
                outline=colour,
                width=max(2, int(step * 0.05)),
            )
            if (row * 3 + col) % 4 == 0:
                for side in (-1, 1):
                    draw.polygon(
                        lens(
                            cx + side * step * 0.12,
                            cy - step * 0.05,
                            step * 0.24,
                            step * 0.16,
                            side * 0.6,
                        ),
                        fill=rng.choice(silks),
                    )
                    draw.polygon(
                        lens(
                            cx + side * step * 0.1,
                            cy + step * 0.1,
                            step * 0.16,
                            step * 0.1,
                            side * -0.5,
                        ),
                        fill=rng.choice(silks),
                    )
                draw.line(
                    [(cx, cy - step * 0.15), (cx, cy + step * 0.18)],
                    fill=(30, 26, 22),
                    width=max(2, int(step * 0.04)),
                )
            else:
                for k in range(4):
                    a = math.tau * k / 4 + math.pi / 4
                    circle(
                        draw,
                        cx + math.cos(a) * step * 0.12,
                        cy + math.sin(a) * step * 0.12,
                        step * 0.07,
                        rng.choice(silks),
                    )
                circle(draw, cx, cy, step * 0.05, (250, 220, 80))
    return img


SCENES: dict[str, Scene] = {
    scene.__name__: scene
    for scene in (
        long_song,
        morin_khuur,
        ulan_muqir,
        naadam,
        ordos_wedding,
        manhan_song,
        ger_closeup,
        ovoo,
        uliger,
        andai,
        dai_papercut,
        window_flower,
        doll,
        xunyi_catalogue,
        yuxian_mask,
        kunqu_stage,
        kunqu_costume,
        kunqu_costume_back,
        kunqu_score,
        shadow_show,
        shadow_figure,
        shadow_backstage,
        dragon_race,
        zigui_gorge,
        dongguan_boats,
        tie_dye,
        dongba,
        torch_festival,
        batik,
        kam_song,
        miao_embroidery,
    )
}
