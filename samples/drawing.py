"""Drawing primitives for the sample collection.

Small, deterministic building blocks (gradients, light, hills, people, animals, boats, paper-cut
motifs) so the scenes in `scenes.py` look like photographs or scans of something, not noise.
All sizes are fractions of the canvas, so a scene can be drawn at 2x and reduced for anti-aliasing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

RGB = tuple[int, int, int]
Point = tuple[float, float]

SKIN: RGB = (222, 184, 150)
HAIR: RGB = (28, 24, 24)


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical colour gradient (sky, water, studio backdrop)."""
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return ImageOps.colorize(ramp, top, bottom)


def glow(img: Image.Image, center: Point, radius: float, color: RGB, strength: float = 1.0) -> None:
    """Blend a soft round light (spotlight, lamp, fire, sun haze) into `img` in place."""
    r = max(2, int(radius))
    falloff = ImageOps.invert(Image.radial_gradient("L")).resize((2 * r, 2 * r))
    mask = falloff.point(lambda v: int(v * strength))
    img.paste(
        Image.new(img.mode, (2 * r, 2 * r), color), (int(center[0]) - r, int(center[1]) - r), mask
    )


def grain(img: Image.Image, rng: random.Random, amount: int) -> Image.Image:
    """Add mild, seeded film/sensor grain so an image compresses like a photograph."""
    w, h = img.size
    small = (w // 2 + 1, h // 2 + 1)
    noise = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    noise = noise.resize((w, h), Image.Resampling.BILINEAR).point(lambda v: v * amount // 255)
    layer = Image.merge("RGB", (noise, noise, noise)) if img.mode == "RGB" else noise
    return ImageChops.add(img, layer, 1.0, -(amount // 2))


def vignette(img: Image.Image, strength: float) -> Image.Image:
    """Darken the corners like an old lens or a flatbed scan of a print."""
    ramp = Image.radial_gradient("L").resize(img.size)
    falloff = ramp.point(lambda v: int(min(255, max(0, v - 120) * strength)))
    dark = Image.new(img.mode, img.size, 0 if img.mode == "L" else (0, 0, 0))
    return Image.composite(dark, img, falloff)


def ridge(
    w: int, h: int, rng: random.Random, base: float, amp: float, waves: int = 3
) -> list[Point]:
    """A closed polygon for a range of hills: a sum of sines across the width, to the bottom."""
    phases = [(rng.uniform(0, math.tau), rng.uniform(0.6, 1.0) / (k + 1)) for k in range(waves)]
    points: list[Point] = []
    for i in range(65):
        x = w * i / 64
        y = base * h + amp * h * sum(
            a * math.sin(p + (k + 1) * math.pi * x / w) for k, (p, a) in enumerate(phases)
        )
        points.append((x, y))
    return [*points, (w, h), (0, h)]


def lens(
    cx: float, cy: float, length: float, width: float, angle: float, bulge: float = 1.0
) -> list[Point]:
    """A petal/leaf/feather outline along `angle` (radians); `bulge` < 1 gives a crescent."""
    ux, uy = math.cos(angle), math.sin(angle)
    vx, vy = -uy, ux
    side_a, side_b = [], []
    for i in range(17):
        t = -1 + 2 * i / 16
        along = t * length / 2
        half = width / 2 * math.sqrt(max(0.0, 1 - t * t))
        side_a.append((cx + ux * along + vx * half, cy + uy * along + vy * half))
        side_b.append(
            (
                cx + ux * along - vx * half * (2 * bulge - 1),
                cy + uy * along - vy * half * (2 * bulge - 1),
            )
        )
    return side_a + side_b[::-1]


def crescent(cx: float, cy: float, r: float, angle: float) -> list[Point]:
    """The paper-cutter's 'moon tooth' (月牙纹): a thin crescent opening towards `angle`."""
    return lens(cx, cy, 2 * r, r, angle + math.pi / 2, bulge=0.25)


def star_ring(
    cx: float, cy: float, r_in: float, r_out: float, teeth: int, turn: float = 0
) -> list[Point]:
    """A saw-tooth ring (锯齿纹) as one polygon alternating between two radii."""
    points = []
    for i in range(2 * teeth):
        r = r_out if i % 2 else r_in
        a = turn + math.pi * i / teeth
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return points


def circle(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: object) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def mirror_left(mask: Image.Image) -> Image.Image:
    """Make a paper-cut symmetric the way it is cut: fold, cut the left half, unfold."""
    w, h = mask.size
    half = mask.crop((0, 0, w // 2, h))
    out = mask.copy()
    out.paste(half.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w - w // 2, 0))
    return out


def person(
    draw: ImageDraw.ImageDraw,
    x: float,
    feet: float,
    height: float,
    robe: RGB,
    *,
    arms: str = "down",
    sash: RGB | None = None,
    hat: RGB | None = None,
    skin: RGB = SKIN,
) -> None:
    """A standing figure in a long robe (deel, xizhuang, Kunqu costume) seen from the front."""
    head = height * 0.075
    top = feet - height
    shoulder = top + head * 2.3
    draw.polygon(
        [
            (x - height * 0.09, shoulder),
            (x + height * 0.09, shoulder),
            (x + height * 0.17, feet),
            (x - height * 0.17, feet),
        ],
        fill=robe,
    )
    arm_w = max(1, int(height * 0.05))
    for side in (-1, 1):
        sx = x + side * height * 0.085
        if arms == "up":
            end = (sx + side * height * 0.14, shoulder - height * 0.22)
        elif arms == "out":
            end = (sx + side * height * 0.26, shoulder + height * 0.06)
        else:
            end = (sx + side * height * 0.06, shoulder + height * 0.36)
        draw.line([(sx, shoulder + arm_w / 2), end], fill=robe, width=arm_w)
        circle(draw, end[0], end[1], arm_w * 0.6, skin)
    if sash:
        draw.rectangle(
            (
                x - height * 0.12,
                shoulder + height * 0.25,
                x + height * 0.12,
                shoulder + height * 0.29,
            ),
            fill=sash,
        )
    circle(draw, x, top + head * 1.1, head, skin)
    if hat:
        draw.pieslice(
            (x - head * 1.3, top - head * 0.3, x + head * 1.3, top + head * 1.9), 180, 360, fill=hat
        )
    else:
        draw.chord((x - head, top + head * 0.1, x + head, top + head * 2.1), 180, 360, fill=HAIR)


def sheep(draw: ImageDraw.ImageDraw, x: float, y: float, s: float) -> None:
    draw.ellipse((x - s, y - s * 0.6, x + s, y + s * 0.6), fill=(236, 232, 220))
    draw.ellipse((x + s * 0.7, y - s * 0.7, x + s * 1.3, y - s * 0.1), fill=(60, 50, 44))
    for dx in (-0.5, 0.5):
        draw.line(
            [(x + dx * s, y + s * 0.4), (x + dx * s, y + s)],
            fill=(60, 50, 44),
            width=max(1, int(s * 0.15)),
        )


def horse(
    draw: ImageDraw.ImageDraw, x: float, y: float, s: float, coat: RGB, rider: RGB | None = None
) -> None:
    """A galloping horse facing left, `y` at the hooves; optional child jockey (Naadam)."""
    body_y = y - s * 1.1
    draw.ellipse((x - s, body_y - s * 0.38, x + s, body_y + s * 0.38), fill=coat)
    draw.polygon(
        [
            (x - s * 0.7, body_y - s * 0.2),
            (x - s * 1.35, body_y - s * 0.95),
            (x - s * 1.05, body_y - s * 1.05),
            (x - s * 0.4, body_y - s * 0.1),
        ],
        fill=coat,
    )
    draw.ellipse((x - s * 1.6, body_y - s * 1.1, x - s * 1.05, body_y - s * 0.8), fill=coat)
    leg = max(1, int(s * 0.12))
    for hx, fx in ((-0.65, -1.3), (-0.45, -0.9), (0.55, 1.0), (0.75, 1.35)):
        draw.line([(x + hx * s, body_y + s * 0.2), (x + fx * s, y)], fill=coat, width=leg)
    draw.line(
        [(x + s * 0.95, body_y - s * 0.1), (x + s * 1.5, body_y + s * 0.3)], fill=HAIR, width=leg
    )
    if rider:
        draw.polygon(
            [
                (x - s * 0.3, body_y - s * 0.3),
                (x + s * 0.1, body_y - s * 0.3),
                (x - s * 0.15, body_y - s * 1.0),
            ],
            fill=rider,
        )
        circle(draw, x - s * 0.2, body_y - s * 1.12, s * 0.15, SKIN)


def yurt(
    draw: ImageDraw.ImageDraw, x: float, ground: float, w: float, band: RGB = (176, 42, 40)
) -> None:
    """A Mongolian ger: felt wall, domed roof, a decorated band and an orange door."""
    wall = w * 0.36
    felt = (238, 234, 224)
    draw.rectangle((x - w / 2, ground - wall, x + w / 2, ground), fill=felt)
    draw.chord(
        (x - w / 2, ground - wall - w * 0.42, x + w / 2, ground - wall + w * 0.42),
        180,
        360,
        fill=felt,
    )
    draw.rectangle(
        (x - w / 2, ground - wall - w * 0.02, x + w / 2, ground - wall + w * 0.05), fill=band
    )
    draw.line(
        [(x - w / 2, ground - wall * 0.45), (x + w / 2, ground - wall * 0.45)],
        fill=(90, 70, 60),
        width=max(1, int(w * 0.015)),
    )
    draw.rectangle((x - w * 0.08, ground - wall * 0.8, x + w * 0.08, ground), fill=(214, 96, 30))
    draw.rectangle(
        (x - w * 0.05, ground - wall * 0.7, x + w * 0.05, ground - wall * 0.1),
        outline=(250, 210, 60),
        width=max(1, int(w * 0.012)),
    )
    circle(draw, x, ground - wall - w * 0.4, w * 0.05, (200, 190, 176))


def dragon_boat(
    draw: ImageDraw.ImageDraw, x: float, y: float, length: float, hull: RGB, rng: random.Random
) -> None:
    """A dragon boat heading left: long hull, carved head and tail, paddlers, a drummer."""
    h = length * 0.04
    draw.polygon(
        [(x, y), (x + length, y - h * 0.2), (x + length * 0.96, y + h), (x + length * 0.04, y + h)],
        fill=hull,
    )
    draw.line(
        [(x + length * 0.03, y + h * 0.45), (x + length * 0.97, y + h * 0.35)],
        fill=(236, 200, 60),
        width=max(1, int(h * 0.25)),
    )
    draw.polygon(
        [
            (x, y),
            (x - length * 0.05, y - h * 2.2),
            (x - length * 0.08, y - h * 1.6),
            (x - length * 0.03, y - h * 3.0),
            (x + length * 0.03, y - h * 1.2),
        ],
        fill=hull,
    )
    circle(draw, x - length * 0.035, y - h * 2.2, h * 0.35, (250, 240, 200))
    draw.polygon(
        [(x + length, y - h * 0.2), (x + length * 1.05, y - h * 2.5), (x + length * 0.98, y)],
        fill=hull,
    )
    seats = 14
    for i in range(seats):
        px = x + length * (0.12 + 0.78 * i / seats)
        shirt = (250, 250, 245) if i % 2 else (230, 60, 40)
        draw.ellipse((px - h * 0.5, y - h * 1.6, px + h * 0.5, y + h * 0.2), fill=shirt)
        circle(draw, px, y - h * 1.9, h * 0.38, (60, 40, 30))
        lean = rng.uniform(0.6, 1.2)
        draw.line(
            [(px, y - h * 0.8), (px - h * 1.4 * lean, y + h * 2.2)],
            fill=(120, 80, 40),
            width=max(1, int(h * 0.2)),
        )
    drum_x = x + length * 0.07
    circle(draw, drum_x, y - h * 0.8, h * 0.8, (170, 30, 30))
    draw.line(
        [(drum_x + h, y - h * 3.5), (drum_x + h, y - h * 0.5)],
        fill=(90, 60, 30),
        width=max(1, int(h * 0.15)),
    )
    draw.polygon(
        [(drum_x + h, y - h * 3.5), (drum_x + h * 3.0, y - h * 3.0), (drum_x + h, y - h * 2.4)],
        fill=(240, 200, 40),
    )


def water(img: Image.Image, top: float, near: RGB, far: RGB, rng: random.Random) -> None:
    """Fill the lower part of the picture with water and light ripple lines."""
    w, h = img.size
    y0 = int(top * h)
    img.paste(gradient((w, h - y0), far, near), (0, y0))
    draw = ImageDraw.Draw(img)
    for _ in range(int(w * 0.12)):
        y = rng.uniform(y0, h)
        depth = (y - y0) / (h - y0)
        x = rng.uniform(0, w)
        length = w * (0.01 + 0.04 * depth)
        shade = tuple(min(255, c + 40) for c in far)
        draw.line([(x, y), (x + length, y)], fill=shade, width=max(1, int(1 + 3 * depth)))


def crowd(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    x0: float,
    x1: float,
    y: float,
    size: float,
    rows: int = 3,
) -> None:
    """Spectators as rows of heads and shoulders."""
    palette = [
        (200, 40, 40),
        (40, 70, 140),
        (240, 240, 235),
        (230, 180, 40),
        (60, 120, 70),
        (30, 30, 34),
    ]
    for row in range(rows):
        yy = y + row * size * 0.9
        x = x0 + rng.uniform(0, size)
        while x < x1:
            draw.ellipse(
                (x - size * 0.5, yy, x + size * 0.5, yy + size * 1.6), fill=rng.choice(palette)
            )
            circle(
                draw,
                x,
                yy - size * 0.15,
                size * 0.3,
                rng.choice([(40, 30, 26), (60, 44, 34), (230, 230, 230)]),
            )
            x += size * rng.uniform(0.8, 1.2)


def scatter(rng: random.Random, count: int, box: Sequence[float]) -> list[Point]:
    """Random points in a box (x0, y0, x1, y1), sorted far-to-near so nearer things draw on top."""
    x0, y0, x1, y1 = box
    return sorted(
        ((rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(count)), key=lambda p: p[1]
    )


def soften(img: Image.Image, radius: float) -> Image.Image:
    """A slight blur for depth of field or an out-of-focus background."""
    return img.filter(ImageFilter.GaussianBlur(radius))


def paint(img: Image.Image, points: Sequence[Point], top: RGB, bottom: RGB | None = None) -> None:
    """Fill a polygon with a flat colour or a top-to-bottom gradient (hills, robes, water)."""
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).polygon(list(points), fill=255)
    fill = gradient(img.size, top, bottom) if bottom else Image.new("RGB", img.size, top)
    img.paste(fill, (0, 0), mask)


def clouds(img: Image.Image, rng: random.Random, count: int, band: tuple[float, float]) -> None:
    """Soft cumulus clouds in a horizontal band (fractions of the height)."""
    w, h = img.size
    mask = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(count):
        cx, cy = rng.uniform(0, w), rng.uniform(band[0] * h, band[1] * h)
        size = rng.uniform(0.04, 0.09) * w
        for _ in range(6):
            dx, dy = rng.uniform(-1.4, 1.4) * size, rng.uniform(-0.3, 0.3) * size
            r = size * rng.uniform(0.4, 0.8)
            draw.ellipse(
                (cx + dx - r, cy + dy - r * 0.7, cx + dx + r, cy + dy + r * 0.6),
                fill=rng.randint(160, 230),
            )
    mask = mask.filter(ImageFilter.GaussianBlur(w * 0.006))
    img.paste(Image.new("RGB", img.size, (250, 250, 252)), (0, 0), mask)
