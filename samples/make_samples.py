"""Regenerate the sample collection: the files in samples/collection/ and samples/manifest.csv.

Everything is drawn from fixed seeds (each file's seed is its path), so a re-run gives the same
pictures; media come from ffmpeg with bit-exact flags (media.py). After writing, every manifest
row is validated against manifest-row.schema.json exactly as the CSV holds it, every path is
checked on disk (a path through a `.zip` names a member inside it), and every file is decoded:
pictures with Pillow, video and audio with ffprobe, the PDF with PDFium, text as GBK or UTF-8.

    .venv/bin/python samples/make_samples.py           # regenerate, then check
    .venv/bin/python samples/make_samples.py --check   # only check what is there
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
from catalogue import ITEMS, Shot
from drawing import grain
from formats import save
from media import make
from PIL import Image
from scenes import SCENES

from schemas import SchemaError, load_schema, resolve_category, validate_manifest_row

HERE = Path(__file__).resolve().parent
COLLECTION = HERE / "collection"
MANIFEST = HERE / "manifest.csv"
SUPERSAMPLE = 2
GRAINY = {".jpg", ".jpeg", ".webp", ".heic"}
VIDEO = {".mp4", ".mov", ".mkv"}
AUDIO = {".mp3", ".flac", ".wav"}
TEXT_ENCODINGS = ("utf-8", "gb18030")


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
    return [{"path": ";".join(item.paths), **item.row} for item in ITEMS]


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
    referenced: dict[Path, set[str]] = {}  # file -> the ZIP members named ("" = the file itself)
    with manifest.open(encoding="utf-8-sig", newline="") as src:
        for line, row in enumerate(csv.DictReader(src), start=2):
            where = f"{manifest.name} line {line}"
            try:
                validate_manifest_row(row, where)
            except SchemaError as error:
                problems.append(str(error))
            if row.get("category") and resolve_category(row["category"]) is None:
                problems.append(f"{where}: unknown category {row['category']!r}")
            for part in (p.strip() for p in row["path"].split(";")):
                archive, _, member = part.partition(".zip/")
                file = collection / (f"{archive}.zip" if member else part)
                referenced.setdefault(file, set()).add(member)
                if not file.is_file():
                    problems.append(f"{where}: missing file {part}")
    for file in sorted(p for p in collection.rglob("*") if p.is_file()):
        name = str(file.relative_to(collection))
        if file not in referenced:
            problems.append(f"{name}: not in {manifest.name}")
        elif file.suffix.lower() == ".zip":
            problems += [f"{name}: {p}" for p in _zip_problems(file, referenced[file])]
        else:
            problem = decode_problem(file.name, file.read_bytes())
            if problem:
                problems.append(f"{name}: {problem}")
    return problems


def decode_problem(name: str, data: bytes) -> str | None:
    """Why a file of this name does not decode as what its name says; None when it does."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix in VIDEO or suffix in AUDIO:
            return _media_problem(suffix, data)
        if suffix == ".pdf":
            with pdfium.PdfDocument(data) as pdf:
                page = pdf[0]
                text = page.get_textpage().get_text_range()
                return None if len(pdf) and text.strip() else "the PDF has no text layer"
        if suffix == ".txt":
            for encoding in TEXT_ENCODINGS:
                try:
                    data.decode(encoding)
                    return None
                except UnicodeDecodeError:
                    continue
            return "the text is neither UTF-8 nor GBK"
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except (OSError, pdfium.PdfiumError, subprocess.SubprocessError) as error:
        return f"cannot be decoded: {error}"
    return None


def _media_problem(suffix: str, data: bytes) -> str | None:
    """ffprobe must find a duration and the streams the container promises."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        copy.write(data)
        copy.flush()
        probed = json.loads(
            subprocess.run(
                ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                 copy.name],
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
        )  # fmt: skip
    kinds = {stream["codec_type"] for stream in probed.get("streams", [])}
    wanted = {"video", "audio"} if suffix in VIDEO else {"audio"}
    if not wanted <= kinds:
        return f"has streams {sorted(kinds)}, not {sorted(wanted)}"
    if float(probed.get("format", {}).get("duration", 0)) <= 0:
        return "has no duration"
    return None


def _zip_problems(path: Path, named: set[str]) -> list[str]:
    """Member names are GBK without the UTF-8 flag (what the sample is there to show), every
    member decodes and is in the manifest, and every member the manifest names is there."""
    problems = []
    with zipfile.ZipFile(path) as bundle:
        members = {}
        for info in bundle.infolist():
            if info.flag_bits & 0x800:
                problems.append(f"member {info.filename} is flagged UTF-8, not a GBK name")
                continue
            members[info.filename.encode("cp437").decode("gb18030")] = info
        for member in sorted(named - set(members)):
            problems.append(f"has no member {member}")
        for member, info in sorted(members.items()):
            if member not in named:
                problems.append(f"member {member} is not in the manifest")
            problem = decode_problem(member, bundle.read(info))
            if problem:
                problems.append(f"{member}: {problem}")
    return problems


def generate() -> None:
    if COLLECTION.exists():
        shutil.rmtree(COLLECTION)
    for item in ITEMS:
        for shot in item.shots:
            save(render(shot), shot, COLLECTION / shot.path)
        for media in item.media:
            make(media, COLLECTION / media.path)
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
