"""Pages of text for OCR tests, drawn with Debian's Noto CJK fonts as bench/bench_ocr.py draws
its labelled set (the drawn text is the label), small so that a page reads in about a second."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/opentype/noto")


def font(family: str, size: int) -> ImageFont.FreeTypeFont:
    for index in range(10):
        candidate = ImageFont.truetype(str(FONTS / "NotoSerifCJK-Regular.ttc"), size, index=index)
        if candidate.getname()[0] == family:
            return candidate
    raise LookupError(f"{family} is not installed (apt-get install fonts-noto-cjk)")


def horizontal_page(lines: list[str], size: int = 30) -> Image.Image:
    """Simplified Chinese lines, left to right, top to bottom."""
    face = font("Noto Serif CJK SC", size)
    width = 60 + max(len(line) for line in lines) * size
    page = Image.new("RGB", (width, 60 + len(lines) * size * 2), "white")
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((30, 30 + n * size * 2), line, font=face, fill="black")
    return page


def vertical_page(columns: list[str], size: int = 30) -> Image.Image:
    """Traditional Chinese columns, top to bottom, the first column rightmost."""
    face = font("Noto Serif CJK TC", size)
    step = int(size * 1.6)
    height = 60 + max(len(column) for column in columns) * int(size * 1.3)
    page = Image.new("RGB", (60 + len(columns) * step, height), "white")
    draw = ImageDraw.Draw(page)
    for c, column in enumerate(columns):
        x = page.width - 30 - size - c * step
        for r, char in enumerate(column):
            draw.text((x, 30 + r * int(size * 1.3)), char, font=face, fill="black")
    return page
