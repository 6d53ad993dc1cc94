"""Paper-cut (剪纸) motifs as masks: 255 where paper remains, 0 where it was cut away.

They are made the way a cutter works: a solid shape, holes cut with the classic moon-tooth (月牙纹)
and saw-tooth (锯齿纹) strokes, and the sheet folded so the two halves mirror each other.
"""

from __future__ import annotations

import math
import random

from drawing import circle, crescent, lens, mirror_left, star_ring
from PIL import Image, ImageDraw

PAPER, CUT = 255, 0


def window_flower(size: int, petals: int = 8) -> Image.Image:
    """A round window flower (窗花) with radial symmetry and `petals` petals at the centre."""
    mask = Image.new("L", (size, size), CUT)
    draw = ImageDraw.Draw(mask)
    c, r = size / 2, size * 0.46
    for i in range(petals * 3):
        a = math.tau * i / (petals * 3)
        circle(draw, c + r * 0.93 * math.cos(a), c + r * 0.93 * math.sin(a), r * 0.09, PAPER)
    circle(draw, c, c, r * 0.93, PAPER)
    for i in range(petals * 3):
        a = math.tau * (i + 0.5) / (petals * 3)
        draw.polygon(
            crescent(c + r * 0.82 * math.cos(a), c + r * 0.82 * math.sin(a), r * 0.06, a + math.pi),
            fill=CUT,
        )
    draw.polygon(star_ring(c, c, r * 0.62, r * 0.72, petals * 4), fill=CUT)
    circle(draw, c, c, r * 0.64, PAPER)
    for i in range(petals):
        a = math.tau * i / petals
        mid = r * 0.36
        draw.polygon(
            lens(c + mid * math.cos(a), c + mid * math.sin(a), r * 0.5, r * 0.22, a), fill=CUT
        )
        draw.line(
            [
                (c + r * 0.14 * math.cos(a), c + r * 0.14 * math.sin(a)),
                (c + r * 0.6 * math.cos(a), c + r * 0.6 * math.sin(a)),
            ],
            fill=PAPER,
            width=max(1, int(r * 0.025)),
        )
        b = a + math.pi / petals
        draw.polygon(
            crescent(c + r * 0.52 * math.cos(b), c + r * 0.52 * math.sin(b), r * 0.05, b), fill=CUT
        )
    circle(draw, c, c, r * 0.16, PAPER)
    draw.polygon(star_ring(c, c, r * 0.05, r * 0.12, petals), fill=CUT)
    return mask


def doll(size: int, rng: random.Random) -> Image.Image:
    """A 'doll with hair buns' (抓髻娃娃) holding two birds, on a lotus base, in a frame."""
    w = h = size
    mask = Image.new("L", (w, h), CUT)
    draw = ImageDraw.Draw(mask)
    edge = w * 0.03
    draw.rectangle((edge, edge, w - edge, h - edge), fill=PAPER)
    draw.rectangle((edge * 2.2, edge * 2.2, w - edge * 2.2, h - edge * 2.2), fill=CUT)
    cx = w / 2
    draw.polygon(
        [
            (cx - w * 0.07, h * 0.40),
            (cx + w * 0.07, h * 0.40),
            (cx + w * 0.24, h * 0.82),
            (cx - w * 0.24, h * 0.82),
        ],
        fill=PAPER,
    )
    for sx in (-1, 1):
        draw.line(
            [
                (cx + sx * w * 0.06, h * 0.42),
                (cx + sx * w * 0.2, h * 0.3),
                (cx + sx * w * 0.27, h * 0.17),
            ],
            fill=PAPER,
            width=int(w * 0.05),
        )
        bx, by = cx + sx * w * 0.3, h * 0.12
        draw.ellipse((bx - w * 0.07, by - w * 0.035, bx + w * 0.07, by + w * 0.035), fill=PAPER)
        circle(draw, bx - sx * w * 0.075, by - w * 0.03, w * 0.025, PAPER)
        draw.polygon(
            [
                (bx + sx * w * 0.05, by),
                (bx + sx * w * 0.12, by - w * 0.05),
                (bx + sx * w * 0.12, by + w * 0.02),
            ],
            fill=PAPER,
        )
        draw.line(
            [(bx + sx * w * 0.12, by - w * 0.05), (bx + sx * w * 0.12, edge)],
            fill=PAPER,
            width=int(w * 0.012),
        )
        circle(draw, cx + sx * w * 0.055, h * 0.185, w * 0.035, PAPER)
        draw.ellipse(
            (cx + sx * w * 0.13 - w * 0.05, h * 0.84, cx + sx * w * 0.13 + w * 0.05, h * 0.9),
            fill=PAPER,
        )
    circle(draw, cx, h * 0.3, w * 0.1, PAPER)
    for i in range(7):
        a = math.pi * (0.05 + 0.9 * i / 6)
        draw.polygon(
            lens(
                cx + w * 0.2 * math.cos(a), h * 0.95 - w * 0.1 * math.sin(a), w * 0.16, w * 0.07, -a
            ),
            fill=PAPER,
        )
    draw.rectangle((edge * 2, h * 0.9, w - edge * 2, h * 0.93), fill=PAPER)
    for sx in (-1, 1):
        draw.polygon(crescent(cx + sx * w * 0.04, h * 0.29, w * 0.022, -math.pi / 2), fill=CUT)
    draw.polygon(crescent(cx, h * 0.34, w * 0.02, -math.pi / 2), fill=CUT)
    for row in range(3):
        y = h * (0.55 + row * 0.08)
        half = w * (0.1 + row * 0.045)
        n = 3 + row * 2
        for i in range(n):
            x = cx - half + 2 * half * (i + 0.5) / n
            draw.polygon(crescent(x, y, w * 0.018, math.pi / 2), fill=CUT)
    draw.polygon([(cx - w * 0.05, h * 0.45), (cx + w * 0.05, h * 0.45), (cx, h * 0.5)], fill=CUT)
    fish = lens(cx, h * 0.76, w * 0.18, w * 0.06, 0)
    draw.polygon(fish, fill=CUT)
    draw.polygon(lens(cx, h * 0.76, w * 0.12, w * 0.025, 0), fill=PAPER)
    for i in range(int(rng.uniform(14, 20))):
        x = edge * 2.2 + (w - edge * 4.4) * i / 16
        draw.polygon(
            [(x, edge * 2.2), (x + w * 0.015, edge * 3.4), (x + w * 0.03, edge * 2.2)], fill=PAPER
        )
    return mirror_left(mask)


def peacocks(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Dai paper-cut (傣族剪纸): two peacocks facing a stupa, for temple banners."""
    w, h = size
    mask = Image.new("L", size, CUT)
    draw = ImageDraw.Draw(mask)
    draw.rectangle((w * 0.03, h * 0.85, w * 0.97, h * 0.92), fill=PAPER)
    px, py = w * 0.27, h * 0.55
    feathers = rng.choice([7, 9])
    for i in range(feathers):
        a = math.pi * (0.55 + 0.6 * i / (feathers - 1))
        fx, fy = px + w * 0.15 * math.cos(a), py - h * 0.05 + h * 0.28 * math.sin(a) * -1
        draw.polygon(
            lens((px + fx) / 2, (py + fy) / 2, w * 0.36, w * 0.07, math.atan2(fy - py, fx - px)),
            fill=PAPER,
        )
        circle(draw, fx, fy, w * 0.025, CUT)
        circle(draw, fx, fy, w * 0.012, PAPER)
    draw.ellipse((px - w * 0.07, py - h * 0.05, px + w * 0.09, py + h * 0.12), fill=PAPER)
    draw.line(
        [(px + w * 0.06, py), (px + w * 0.11, py - h * 0.18)], fill=PAPER, width=int(w * 0.03)
    )
    circle(draw, px + w * 0.115, py - h * 0.2, w * 0.025, PAPER)
    draw.polygon(
        [
            (px + w * 0.135, py - h * 0.2),
            (px + w * 0.165, py - h * 0.19),
            (px + w * 0.135, py - h * 0.18),
        ],
        fill=PAPER,
    )
    for k in (-1, 0, 1):
        tip = (px + w * (0.11 + 0.015 * k), py - h * 0.29)
        draw.line([(px + w * 0.115, py - h * 0.22), tip], fill=PAPER, width=max(1, int(w * 0.005)))
        circle(draw, *tip, w * 0.008, PAPER)
    for leg in (0.0, 0.04):
        draw.line(
            [(px + w * leg, py + h * 0.1), (px + w * leg, h * 0.86)],
            fill=PAPER,
            width=max(1, int(w * 0.01)),
        )
    for i in range(4):
        draw.polygon(
            crescent(px + w * (0.005 * i), py + h * (0.0 + 0.03 * i), w * 0.018, 0), fill=CUT
        )
    cx = w / 2
    for tier in range(5):
        half = w * (0.1 - tier * 0.018)
        y1 = h * (0.85 - tier * 0.1)
        draw.polygon(
            [
                (cx - half, y1),
                (cx + half, y1),
                (cx + half * 0.6, y1 - h * 0.09),
                (cx - half * 0.6, y1 - h * 0.09),
            ],
            fill=PAPER,
        )
        draw.polygon(crescent(cx - half * 0.4, y1 - h * 0.045, w * 0.012, math.pi / 2), fill=CUT)
    draw.line([(cx, h * 0.35), (cx, h * 0.12)], fill=PAPER, width=int(w * 0.008))
    circle(draw, cx, h * 0.12, w * 0.012, PAPER)
    return mirror_left(mask)


def coloured(
    mask: Image.Image,
    paper: tuple[int, int, int],
    backing: tuple[tuple[int, int, int], ...] = (),
    rng: random.Random | None = None,
) -> Image.Image:
    """Colour a mask on a transparent sheet. With `backing` colours, the holes show patches of
    coloured paper glued behind the cut (旬邑彩贴剪纸 style)."""
    w, h = mask.size
    out = Image.new("RGBA", (w, h), (*paper, 0))
    if backing:
        rng = rng or random.Random(0)
        outside = mask.copy()
        ImageDraw.floodfill(outside, (0, 0), 128)
        silhouette = outside.point(lambda v: 0 if v == 128 else 255)
        patches = Image.new("RGBA", (w, h))
        draw = ImageDraw.Draw(patches)
        step = max(8, w // 5)
        for y in range(0, h, step):
            for x in range(0, w, step):
                draw.rectangle((x, y, x + step, y + step), fill=(*rng.choice(backing), 255))
        out = Image.composite(patches, out, silhouette)
    out.paste(Image.new("RGBA", (w, h), (*paper, 255)), (0, 0), mask)
    return out
