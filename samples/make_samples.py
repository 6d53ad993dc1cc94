"""Regenerate the sample collection: the pictures in samples/collection/ and samples/manifest.csv.

Everything is drawn from fixed seeds (each file's seed is its path), so a re-run gives the same
pictures. After writing, every manifest row is validated against manifest-row.schema.json exactly
as the CSV holds it, and every path is checked on disk.

    .venv/bin/python samples/make_samples.py           # regenerate, then check
    .venv/bin/python samples/make_samples.py --check   # only check what is there
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
from pathlib import Path

from catalogue import ITEMS, Shot
from drawing import grain
from formats import save
from PIL import Image
from scenes import SCENES

from schemas import SchemaError, load_schema, resolve_category, validate_manifest_row

HERE = Path(__file__).resolve().parent
COLLECTION = HERE / "collection"
MANIFEST = HERE / "manifest.csv"
SUPERSAMPLE = 2
GRAINY = {".jpg", ".jpeg", ".webp", ".heic"}


def render(shot: Shot) -> Image.Image:
    """Draw a shot at twice its size and reduce it (anti-aliasing), then add photographic grain."""
    rng = random.Random(shot.path)
    canvas = SCENES[shot.scene](rng, (shot.size[0] * SUPERSAMPLE, shot.size[1] * SUPERSAMPLE))
    if shot.form == "16bit":
        # Reduce in floating point so edges and stains keep 16-bit tones rather than 8-bit steps.
        return canvas.convert("F").point(lambda v: v * 257).resize(shot.size, Image.Resampling.BOX)
    img = canvas.resize(shot.size, Image.Resampling.LANCZOS)
    photo = Path(shot.path).suffix.lower() in GRAINY and shot.form != "cmyk"
    return grain(img, rng, 8) if photo else img


def manifest_rows() -> list[dict[str, str]]:
    return [{"path": ";".join(shot.path for shot in item.shots), **item.row} for item in ITEMS]


def write_manifest(rows: list[dict[str, str]], path: Path) -> None:
    """Write the CSV (UTF-8 with BOM, as spreadsheets export it) in the schema's column order."""
    columns = list(load_schema("manifest-row")["properties"])
    unknown = {key for row in rows for key in row} - set(columns)
    if unknown:
        raise ValueError(
            f"catalogue uses columns the manifest schema does not define: {sorted(unknown)}"
        )
    used = [column for column in columns if any(column in row for row in rows)]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=used)
        writer.writeheader()
        writer.writerows(rows)


def check(manifest: Path, collection: Path) -> list[str]:
    """Problems with the manifest or files, each naming its row or file; empty when all is well."""
    problems: list[str] = []
    referenced: set[Path] = set()
    with manifest.open(encoding="utf-8-sig", newline="") as src:
        for line, row in enumerate(csv.DictReader(src), start=2):
            where = f"{manifest.name} line {line}"
            try:
                validate_manifest_row(row, where)
            except SchemaError as error:
                problems.append(str(error))
            if row.get("category") and resolve_category(row["category"]) is None:
                problems.append(f"{where}: unknown category {row['category']!r}")
            for part in row["path"].split(";"):
                file = collection / part.strip()
                referenced.add(file)
                if not file.is_file():
                    problems.append(f"{where}: missing file {part.strip()}")
    for file in sorted(p for p in collection.rglob("*") if p.is_file()):
        if file not in referenced:
            problems.append(f"{file.relative_to(collection)}: not in {manifest.name}")
            continue
        try:
            with Image.open(file) as img:
                img.load()
        except OSError as error:
            problems.append(f"{file.relative_to(collection)}: cannot be decoded: {error}")
    return problems


def generate() -> None:
    if COLLECTION.exists():
        shutil.rmtree(COLLECTION)
    for item in ITEMS:
        for shot in item.shots:
            save(render(shot), shot, COLLECTION / shot.path)
    write_manifest(manifest_rows(), MANIFEST)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only validate the manifest and files")
    args = parser.parse_args()
    if not args.check:
        generate()
    problems = check(MANIFEST, COLLECTION)
    for problem in problems:
        print(problem, file=sys.stderr)
    files = [p for p in COLLECTION.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"{len(ITEMS)} items, {len(files)} files, {size / 1e6:.1f} MB; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
