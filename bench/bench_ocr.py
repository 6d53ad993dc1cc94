"""OCR engines on a small labelled set of page types the project makes (issue 18): character
error rate and seconds per page, per engine, in one run.

    .venv/bin/python bench/bench_ocr.py [--engines tesseract,rapidocr] [--repeat 3] [--out DIR]

The pages are drawn with the Noto CJK fonts Debian ships (the text is the label), so the set is
reproducible and free of anyone's rights:

- printed-simplified: a paragraph of simplified Chinese, serif, horizontal;
- vertical-traditional: traditional Chinese in columns, top to bottom, right to left;
- mixed-programme: a programme with a large title, Chinese and English lines, times and names;
- noisy-photocopy: the first page photocopied: tilted 1.2°, blurred, washed out, speckled.

CER = edit distance / length of the label, after NFKC and removing white space (line breaks are
the layout's, not the text's). Engines: Debian's Tesseract 5 (`tesseract-ocr-chi-sim`,
`-chi-tra`, `-chi-sim-vert`, `-chi-tra-vert`, the language and page mode chosen per page type as
a user would), and RapidOCR (`rapidocr-onnxruntime` 1.4.4: PP-OCRv4 models inside its wheel, no
download at run time). An engine that is not installed is reported as such.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/opentype/noto")

SIMPLIFIED = (
    "蔚县剪纸是河北省张家口市蔚县的传统民间艺术，以阴刻为主，阳刻为辅，"
    "先刻后染，色彩浓艳。二〇〇九年，中国剪纸被列入联合国教科文组织人类非物质文化遗产代表作名录。"
    "艺人们在宣纸上用小刀刻出戏曲人物、花鸟鱼虫，再点染品色，窗花贴满了农家的窗户。"
)
TRADITIONAL = (
    "長調民歌是蒙古族的傳統音樂形式，曲調悠長，節奏自由，多在草原上演唱。"
    "歌者以真聲與假聲交替，描繪草原、駿馬與思鄉之情。"
)
PROGRAMME = [
    ("第三届蔚县剪纸艺术节", 54),
    ("The 3rd Yuxian Paper-cut Festival", 34),
    ("2019年5月18日 上午9:30 蔚县文化馆", 30),
    ("主讲：周淑英（国家级代表性传承人）", 30),
    ("Demonstration: Zhou Shuying, national bearer", 28),
    ("展演节目：戏曲人物窗花、十二生肖、喜鹊登梅", 30),
]


def font(name: str, family: str, size: int) -> ImageFont.FreeTypeFont:
    for index in range(10):
        candidate = ImageFont.truetype(str(FONTS / name), size, index=index)
        if candidate.getname()[0] == family:
            return candidate
    raise SystemExit(f"{family} is not in {name}: apt-get install fonts-noto-cjk")


def wrap(text: str, per_line: int) -> list[str]:
    return [text[i : i + per_line] for i in range(0, len(text), per_line)]


def printed_simplified() -> tuple[Image.Image, str]:
    page = Image.new("L", (1240, 1000), 255)
    draw = ImageDraw.Draw(page)
    face = font("NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", 40)
    for n, line in enumerate(wrap(SIMPLIFIED, 26)):
        draw.text((80, 80 + n * 64), line, font=face, fill=0)
    return page, SIMPLIFIED


def vertical_traditional() -> tuple[Image.Image, str]:
    columns = wrap(TRADITIONAL, 16)
    page = Image.new("L", (140 + 70 * len(columns), 1040), 255)
    draw = ImageDraw.Draw(page)
    face = font("NotoSerifCJK-Regular.ttc", "Noto Serif CJK TC", 44)
    for c, column in enumerate(columns):  # right to left
        x = page.width - 110 - c * 70
        for r, char in enumerate(column):
            draw.text((x, 60 + r * 58), char, font=face, fill=0)
    return page, TRADITIONAL


def mixed_programme() -> tuple[Image.Image, str]:
    page = Image.new("L", (1240, 760), 255)
    draw = ImageDraw.Draw(page)
    y = 60
    for text, size in PROGRAMME:
        face = font("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", size)
        draw.text((80, y), text, font=face, fill=0)
        y += int(size * 2.0)
    return page, "".join(text for text, _ in PROGRAMME)


def noisy_photocopy() -> tuple[Image.Image, str]:
    page, label = printed_simplified()
    rng = random.Random(7)
    page = page.rotate(1.2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(1.1))
    page = page.point(lambda v: 70 + v * 150 // 255)  # washed out: grey ink on grey paper
    pixels = page.load()
    assert pixels is not None
    for _ in range(page.width * page.height // 60):  # toner specks
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        pixels[x, y] = rng.choice((30, 230))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=35)  # and a poor scan
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L"), label


PAGES: dict[str, Callable[[], tuple[Image.Image, str]]] = {
    "printed-simplified": printed_simplified,
    "vertical-traditional": vertical_traditional,
    "mixed-programme": mixed_programme,
    "noisy-photocopy": noisy_photocopy,
}
TESSERACT_LANG = {
    "printed-simplified": ("chi_sim", "6"),
    "vertical-traditional": ("chi_tra_vert", "5"),
    "mixed-programme": ("chi_sim+eng", "6"),
    "noisy-photocopy": ("chi_sim", "6"),
}


def tesseract(path: Path, kind: str) -> str:
    lang, psm = TESSERACT_LANG[kind]
    command = ["tesseract", str(path), "stdout", "-l", lang, "--psm", psm]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def rapidocr_engine() -> Callable[[Path, str], str] | None:
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        return None
    engine = RapidOCR()

    def read(path: Path, kind: str) -> str:
        found, _ = engine(str(path))
        boxes = found or []
        if kind == "vertical-traditional":  # columns right to left, each top to bottom
            boxes.sort(key=lambda b: (-b[0][0][0], b[0][0][1]))
        else:  # lines top to bottom, each left to right
            boxes.sort(key=lambda b: (round(b[0][0][1] / 20), b[0][0][0]))
        return "".join(text for _, text, _ in boxes)

    return read


def normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def cer(got: str, label: str) -> float:
    return distance(normal(got), normal(label)) / len(normal(label))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="tesseract,rapidocr")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="keep the pages and each engine's text here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="heritage-ocr-"))
    out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for kind, make in PAGES.items():
        image, label = make()
        path = out / f"{kind}.png"
        image.save(path)
        pages[kind] = (path, label)
    engines: dict[str, Callable[[Path, str], str] | None] = {
        "tesseract": tesseract if shutil.which("tesseract") else None,
        "rapidocr": rapidocr_engine(),
    }
    wanted = args.engines.split(",")
    warm = {kind: path for kind, (path, _) in pages.items()}
    print(f"{'page':22} {'engine':10} {'CER':>6} {'s/page':>7}")
    for name in wanted:
        read = engines.get(name)
        if read is None:
            print(f"{name}: not installed")
            continue
        read(warm["printed-simplified"], "printed-simplified")  # model loading is not a page
        errors, times = [], []
        for kind, (path, label) in pages.items():
            runs, text = [], ""
            for _ in range(args.repeat):
                start = time.perf_counter()
                text = read(path, kind)
                runs.append(time.perf_counter() - start)
            (out / f"{kind}.{name}.txt").write_text(text)
            rate, seconds = cer(text, label), statistics.median(runs)
            errors.append(rate)
            times.append(seconds)
            print(f"{kind:22} {name:10} {rate:6.1%} {seconds:7.2f}")
        mean_cer, mean_seconds = statistics.mean(errors), statistics.mean(times)
        print(f"{'all four':22} {name:10} {mean_cer:6.1%} {mean_seconds:7.2f}")
    print(f"pages and texts: {out}")


if __name__ == "__main__":
    main()
