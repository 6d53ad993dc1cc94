"""Read an archivist's manifest (CSV or JSON) and pair its rows with the discovered files.

CSV exports from Chinese spreadsheets arrive as UTF-8, UTF-8 with a BOM (Excel), GBK/GB18030
(older Excel and WPS) or UTF-16 ("Unicode text", tab-separated); all are read. Each row is
checked against `schemas/manifest-row.schema.json`; a bad row fails alone, naming its number and
column, and the rest of the batch goes on. A manifest that cannot be read at all, or whose header
has an unknown column, stops the run (every row would be wrong the same way).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.discover import SourceFile, normalise_relpath
from ingest.errors import IngestError, RowError
from schemas import SchemaError, load_schema, validate_manifest_row

MULTI_FIELDS = frozenset({"path", "people", "bearers", "subjects", "tags", "language"})
_SEPARATORS = re.compile(r"[;；]")


def columns() -> tuple[str, ...]:
    """Every column a manifest may have, in the schema's order."""
    return tuple(load_schema("manifest-row")["properties"])


@dataclass(frozen=True)
class ManifestRow:
    number: int  # 1 = first data row (CSV) or first object (JSON)
    where: str  # how errors name it: "items.csv row 3 (line 4)"
    values: dict[str, Any]  # non-empty cells; multi-valued fields as lists of strings

    @property
    def paths(self) -> list[str]:
        return [normalise_relpath(p) for p in self.values["path"]]


@dataclass(frozen=True)
class RowFailure:
    row: ManifestRow | None  # None when the row could not even be read into values
    number: int
    error: RowError
    paths: tuple[str, ...] = ()  # the files it names, as far as they can be read: they wait


@dataclass
class Manifest:
    name: str
    rows: list[ManifestRow] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)


@dataclass
class Pairing:
    items: list[tuple[ManifestRow, list[SourceFile]]] = field(default_factory=list)
    unmatched: list[SourceFile] = field(default_factory=list)  # files no row names
    failures: list[RowFailure] = field(default_factory=list)


def split_multi(value: str | list[str]) -> list[str]:
    """'a; b；c' or ['a', 'b;c'] -> ['a', 'b', 'c'] (blank entries dropped)."""
    pieces = value if isinstance(value, list) else [value]
    return [part.strip() for piece in pieces for part in _SEPARATORS.split(piece) if part.strip()]


def load_manifest(path: Path) -> Manifest:
    """Read and check every row. Raise IngestError when the file as a whole is unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"manifest {path}: cannot read it: {exc.strerror or exc}") from exc
    text = _decode(data, path.name)
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        raw_rows = _json_rows(text, path.name)
    else:
        raw_rows = _csv_rows(text, path.name)
    manifest = Manifest(path.name)
    identifiers: dict[str, int] = {}
    for number, where, raw in raw_rows:
        try:
            row = _check_row(number, where, raw)
        except RowError as exc:
            manifest.failures.append(RowFailure(None, number, exc, _raw_paths(raw)))
            continue
        identifier = row.values.get("identifier")
        if identifier is not None and identifier in identifiers:
            problem = (
                f"identifier {identifier!r} is already used by row {identifiers[identifier]}; "
                "identifiers must be unique in a collection"
            )
            failure = RowFailure(row, number, RowError(where, problem), tuple(row.paths))
            manifest.failures.append(failure)
            continue
        if identifier is not None:
            identifiers[identifier] = number
        manifest.rows.append(row)
    return manifest


def _raw_paths(raw: dict[str, Any]) -> tuple[str, ...]:
    """The paths a refused row names, read as leniently as its 'path' cell allows."""
    value = raw.get("path")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return ()
    return tuple(normalise_relpath(p) for p in split_multi(value))


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"manifest {name}: cannot read it as text: it is neither UTF-8 nor GBK/GB18030 "
            f"(undecodable byte at offset {exc.start}); save it as UTF-8 CSV"
        ) from exc


RawRow = tuple[int, str, dict[str, Any]]


def _csv_rows(text: str, name: str) -> list[RawRow]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if not any(header):
        raise IngestError(f"manifest {name}: the file is empty; it needs a header row")
    _check_header(header, name)
    rows: list[RawRow] = []
    number = 0
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines and the empty rows spreadsheets append
        number += 1
        where = f"{name} row {number} (line {reader.line_num})"
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            path = cells[header.index("path")]  # so the row's file waits for the row
            rows.append((number, where, {"__too_many__": (len(cells), len(header)), "path": path}))
            continue
        rows.append((number, where, dict(zip(header, cells, strict=False))))
    return rows


def _check_header(header: list[str], name: str) -> None:
    known = set(columns())
    unknown = [col for col in header if col not in known]
    duplicated = sorted({col for col in header if header.count(col) > 1})
    if "" in header:
        raise IngestError(f"manifest {name}: the header has an empty column name")
    if unknown:
        raise IngestError(
            f"manifest {name}: unknown column(s) {', '.join(map(repr, unknown))} in the header; "
            f"valid columns are: {', '.join(columns())}"
        )
    if duplicated:
        raise IngestError(f"manifest {name}: column(s) {', '.join(duplicated)} appear twice")
    if "path" not in header:
        raise IngestError(f"manifest {name}: the header has no 'path' column")


def _json_rows(text: str, name: str) -> list[RawRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"manifest {name}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise IngestError(f'manifest {name}: JSON must be a list of objects or {{"items": [...]}}')
    rows: list[RawRow] = []
    for number, obj in enumerate(data, start=1):
        where = f"{name} item {number}"
        rows.append((number, where, obj if isinstance(obj, dict) else {"__not_object__": obj}))
    return rows


def _check_row(number: int, where: str, raw: dict[str, Any]) -> ManifestRow:
    if "__too_many__" in raw:
        cells, header = raw["__too_many__"]
        raise RowError(where, f"has {cells} cells but the header has {header} columns")
    if "__not_object__" in raw:
        raise RowError(where, 'is not a JSON object (expected {"path": ..., ...})')
    unknown = sorted(set(raw) - set(columns()))
    if unknown:
        raise RowError(
            where,
            f"unknown column(s) {', '.join(map(repr, unknown))}; valid: {', '.join(columns())}",
        )
    try:
        validate_manifest_row(raw, where)
    except SchemaError as exc:
        raise RowError(where, _plain(exc)) from None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in MULTI_FIELDS:
            parts = split_multi(value)
            if parts:
                values[key] = parts
        elif isinstance(value, str):
            if value.strip():
                values[key] = value.strip()
        elif value is not None:
            values[key] = value
    if "path" not in values:
        raise RowError(where, "the 'path' column is empty; each row needs its file path(s)")
    for relpath in values["path"]:
        if ".." in normalise_relpath(relpath).split("/"):
            raise RowError(where, f"path {relpath!r} points outside the ingested folder ('..')")
    return ManifestRow(number, where, values)


def _plain(error: SchemaError) -> str:
    """'$.access: msg' -> "column 'access': msg"; '$: msg' stays the message."""
    first = error.errors[0] if error.errors else str(error)
    location, _, message = first.partition(": ")
    if location.startswith("$."):
        column = re.split(r"[.\[]", location[2:], maxsplit=1)[0]
        return f"column {column!r}: {message}"
    if "'path' is a required property" in message:
        return "the 'path' column is empty; each row needs its file path(s)"
    return message


def pair_rows(manifest: Manifest, files: list[SourceFile]) -> Pairing:
    """Match rows to files by normalised relative path; a row naming a missing file fails alone.

    The files a failed row names — refused while the manifest was read, too — are left out:
    ingesting them without the row's metadata would hide the mistake, and once stored bare the
    corrected row could no longer describe them (they would be duplicates of the bare item).
    """
    by_path = {f.relpath: f for f in files}
    by_folded = {f.relpath.casefold(): f.relpath for f in files}
    claimed: dict[str, int] = {}
    pairing = Pairing(failures=list(manifest.failures))
    for entry in sorted([*manifest.rows, *manifest.failures], key=lambda e: e.number):
        paths = entry.paths
        if isinstance(entry, ManifestRow):
            try:
                pairing.items.append((entry, _files_of(entry, by_path, by_folded, claimed)))
            except RowError as exc:
                pairing.failures.append(RowFailure(entry, entry.number, exc, tuple(paths)))
        # Files of a failed row are not ingested on their own without the row's metadata.
        for relpath in paths:
            if relpath in by_path:
                claimed.setdefault(relpath, entry.number)
    pairing.unmatched = [f for f in files if f.relpath not in claimed]
    return pairing


def _files_of(
    row: ManifestRow,
    by_path: dict[str, SourceFile],
    by_folded: dict[str, str],
    claimed: dict[str, int],
) -> list[SourceFile]:
    matched = []
    for relpath in row.paths:
        source = by_path.get(relpath)
        if source is None:
            hint = by_folded.get(relpath.casefold())
            extra = f" (did you mean {hint!r}? paths are case-sensitive)" if hint else ""
            raise RowError(
                row.where, f"file {relpath!r} was not found in the ingested folder{extra}"
            )
        if relpath in claimed:
            raise RowError(row.where, f"file {relpath!r} already belongs to row {claimed[relpath]}")
        if source in matched:
            raise RowError(row.where, f"file {relpath!r} is listed twice in the row")
        matched.append(source)
    return matched
