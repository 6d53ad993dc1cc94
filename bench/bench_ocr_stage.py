"""The OCR stage (ingest/ocr.py) on bench_ocr.py's labelled pages: the route it takes per page,
character error rate, pages per minute, and the search hit rate of the text it stores.

    PYTHONPATH=. .venv/bin/python bench/bench_ocr_stage.py [--repeat 3]

1. Each page through `ingest.ocr.read_page` (RapidOCR; Tesseract's `_vert` model when the boxes
   are columns): the layout and engine chosen, CER against the label (as bench_ocr.py computes
   it) and seconds per page (median of `--repeat` reads after a warm-up).
2. The four pages as one scanned PDF (pictures only, no text layer) through the real ingest
   pipeline with OCR on (a throwaway local store and SQLite index), then every word of every
   label searched: found = the item is a hit; on its page = the hit points to the page the word
   is on (words that occur on one page only). Chinese has no spaces, so a label's "words" are
   the two-character pieces of each run of Chinese between punctuation (most Chinese words have
   two characters) and every Latin word or number of 2+ characters.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_ocr import PAGES, PROGRAMME, cer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.services import Services  # noqa: E402
from api.settings import Settings  # noqa: E402
from ingest.ocr import OcrLimits, available, read_page  # noqa: E402
from ingest.pipeline import IngestOptions, run_ingest  # noqa: E402
from search.base import Audience, SearchQuery  # noqa: E402

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[A-Za-z0-9]{2,}")


def words(kind: str, label: str) -> list[str]:
    """The label's words; the programme's label is its lines run together, so it is cut into
    them again (a word is never made of the end of one line and the start of the next)."""
    found = []
    for piece in [text for text, _ in PROGRAMME] if kind == "mixed-programme" else [label]:
        for run in _CJK_RUN.findall(piece):
            found += [run[i : i + 2] for i in range(0, len(run) - 1, 2)]
        found += _LATIN.findall(piece)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not available():
        raise SystemExit("RapidOCR or Tesseract's _vert models are not installed")
    out = Path(tempfile.mkdtemp(prefix="heritage-ocr-stage-"))
    pages = []
    for kind, make in PAGES.items():
        image, label = make()
        path = out / f"{kind}.png"
        image.save(path)
        pages.append((kind, path, image, label))
    read_page(pages[0][1], 1)  # model loading is not a page
    print(f"{'page':22} {'layout':10} {'engine':30} {'CER':>6} {'s/page':>7}")
    times = []
    for kind, path, _, label in pages:
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            reading = read_page(path, 1)
            runs.append(time.perf_counter() - start)
        seconds = statistics.median(runs)
        times.append(seconds)
        rate = cer(reading.text, label)
        print(f"{kind:22} {reading.layout:10} {reading.engine:30} {rate:6.1%} {seconds:7.2f}")
    mean = statistics.mean(times)
    print(f"stage: {mean:.2f} s a page, {60 / mean:.0f} pages a minute on one core")

    source = out / "source"
    source.mkdir()
    first, *rest = [image.convert("RGB") for _, _, image, _ in pages]
    first.save(source / "labelled.pdf", "PDF", save_all=True, append_images=rest, resolution=150)
    settings = Settings(data_dir=out / "data", storage="local", search="sqlite", _env_file=None)
    services = Services.from_settings(settings)
    try:
        options = IngestOptions(
            collection="ocr-bench", workers=1, default_status="published", ocr=OcrLimits()
        )
        start = time.perf_counter()
        report = run_ingest([source], options, services.store_config, services.index)
        print(f"ingest of the 4-page scan with OCR: {time.perf_counter() - start:.1f} s")
        (item,) = report.items
        assert item.outcome == "stored", item
        found = on_page = unique = total = 0
        by_page = [set(words(kind, label)) for kind, _, _, label in pages]
        for number, (kind, _, _, label) in enumerate(pages, start=1):
            missed = []
            for word in words(kind, label):
                total += 1
                query = SearchQuery(q=word, size=5, audience=Audience.public())
                hits = [h for h in services.index.search(query).hits if h.id == item.id]
                found += bool(hits)
                if not hits:
                    missed.append(word)
                if sum(word in page for page in by_page) == 1:
                    unique += 1
                    on_page += bool(hits) and hits[0].highlights.get("page") == str(number)
            print(f"{kind:22} missed: {' '.join(missed) or '-'}")
        print(f"search hit rate: {found}/{total} label words found ({found / total:.1%});")
        print(f"  {on_page}/{unique} words of one page only point to that page")
    finally:
        services.close()
    print(f"pages and data: {out}")


if __name__ == "__main__":
    main()
