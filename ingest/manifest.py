"""Read an archivist's manifest (CSV, XLSX or JSON) and pair its rows with the discovered files.

CSV exports from Chinese spreadsheets arrive as UTF-8, UTF-8 with a BOM (Excel), GBK/GB18030
(older Excel and WPS) or UTF-16 ("Unicode text", tab-separated); all are read. XLSX workbooks are
read as Excel shows them (`ingest/manifest_xlsx.py`). Headers may be the schema's column names or
their aliases (`x-aliases` in `schemas/manifest-row.schema.json`: 标题, 类别, 地区, 日期, 传承人 …);
a title or note above the header, a second header row (the template's English names) and empty
columns without data are passed over. Each row is checked against the schema; a bad row fails
alone, naming the file, the row as the spreadsheet numbers it and the column as its header is
written, and the rest of the batch goes on. A manifest that cannot be read at all, or whose header
has an unknown column, stops the run (every row would be wrong the same way).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ingest.captions import is_caption_name
from ingest.discover import SourceFile, normalise_relpath
from ingest.errors import IngestError, RowError
from schemas import load_schema

MULTI_FIELDS = frozenset(
    {"path", "captions", "people", "bearers", "project", "subjects", "tags", "language"}
)
HEADER_SEARCH_ROWS = 10  # rows in which a header with a path column is looked for
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})  # never sniffed as JSON
_SEPARATORS = re.compile(r"[;；]")
_HEADER_NOISE = re.compile(r"[\s_\-*]+")
_HEADER_PARTS = re.compile(r"[\s/|()]+")


def columns() -> tuple[str, ...]:
    """Every column a manifest may have, in the schema's order."""
    return tuple(load_schema("manifest-row")["properties"])


@dataclass(frozen=True)
class ColumnSpec:
    """One manifest column as the schema describes it, with what the archivist may write."""

    name: str
    zh: str  # the Chinese header (the first alias)
    aliases: tuple[str, ...]
    labels: Mapping[str, Mapping[str, str]]  # value -> {"zh", "en"} labels that mean it
    expected: str | None  # what a pattern-checked value must look like, in plain words


@cache
def column_specs() -> dict[str, ColumnSpec]:
    specs = {}
    for name, spec in load_schema("manifest-row")["properties"].items():
        aliases = tuple(spec.get("x-aliases", ()))
        specs[name] = ColumnSpec(
            name,
            aliases[0] if aliases else name,
            aliases,
            spec.get("x-labels", {}),
            spec.get("x-expected"),
        )
    return specs


def header_key(text: str) -> str:
    """One spelling of a header: NFKC, case-folded, without spaces, '_', '-' or '*'."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


@cache
def _header_names() -> dict[str, tuple[str, str]]:
    """header key -> (column, the spelling shown in suggestions)."""
    names: dict[str, tuple[str, str]] = {}
    for spec in column_specs().values():
        for spelling in (spec.name, *spec.aliases):
            names.setdefault(header_key(spelling), (spec.name, spelling))
    return names


def resolve_header(text: str) -> str | None:
    """The column a header means: 'Title', '标题', '标题 / title', '标题（title）' -> 'title'."""
    names = _header_names()
    found = names.get(header_key(text))
    if found:
        return found[0]
    parts = [p for p in _HEADER_PARTS.split(unicodedata.normalize("NFKC", text)) if p]
    meant = {names.get(header_key(part), (None, ""))[0] for part in parts}
    return meant.pop() if len(parts) > 1 and len(meant) == 1 else None


def suggest_header(text: str) -> str | None:
    """The known header closest to a misspelt one (difflib), or None when none is close."""
    names = _header_names()
    close = difflib.get_close_matches(header_key(text), list(names), n=1, cutoff=0.5)
    return names[close[0]][1] if close else None


def column_letter(index: int) -> str:
    """0 -> 'A', 26 -> 'AA': the letters a spreadsheet shows above a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class ManifestRow:
    number: int  # 1 = first data row (CSV, XLSX) or first object (JSON)
    where: str  # how errors name it: "items.csv row 3 (line 4)", "items.xlsx row 5"
    values: dict[str, Any]  # non-empty cells; multi-valued fields as lists of strings
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> "column C '标题'"
    position: str = ""  # `where` without the file name: "row 5"

    @property
    def paths(self) -> list[str]:
        return [normalise_relpath(p) for p in self.values["path"]]

    def column(self, name: str) -> str:
        """How messages name a column: by its letter and header as written, when known."""
        return self.columns.get(name, f"column {name!r}")

    @property
    def shown(self) -> str:
        return self.position or f"row {self.number}"


@dataclass(frozen=True)
class RowFailure:
    row: ManifestRow | None  # None when the row could not even be read into values
    number: int
    error: RowError
    paths: tuple[str, ...] = ()  # the files it names, as far as they can be read: they wait
    position: str = ""  # as ManifestRow.position

    @property
    def shown(self) -> str:
        return self.position or f"row {self.number}"


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


@dataclass(frozen=True)
class SheetRow:
    """One row of a CSV or sheet as the spreadsheet shows it."""

    line: int  # the row number a spreadsheet shows (CSV: the line the record starts on)
    cells: list[str]
    problems: dict[int, str] = field(default_factory=dict)  # column index -> what is wrong


@dataclass(frozen=True)
class _Raw:
    """A row read into column values, or the reason it cannot be."""

    number: int
    where: str
    position: str
    values: dict[str, Any]
    problem: str | None = None


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
    headers: dict[str, str] = {}
    if _is_workbook(data, path):
        from ingest.manifest_xlsx import read_xlsx  # openpyxl is imported only for workbooks

        sheet, rows = read_xlsx(data, path.name)
        raw_rows = _table_rows(path.name, rows, headers, lambda n, line: f"{sheet}row {line}")
    else:
        text = _decode(data, path.name)
        suffix = path.suffix.lower()
        looks_json = text.lstrip().startswith(("[", "{")) and suffix not in TABLE_SUFFIXES
        if suffix == ".json" or looks_json:
            raw_rows = _json_rows(text, path.name)
        else:
            raw_rows = _table_rows(path.name, _csv_rows(text, path.name), headers, _csv_position)
    manifest = Manifest(path.name)
    identifiers: dict[str, ManifestRow] = {}
    for raw in raw_rows:
        try:
            row = _check_row(raw, headers)
        except RowError as exc:
            failure = RowFailure(None, raw.number, exc, _raw_paths(raw.values), raw.position)
            manifest.failures.append(failure)
            continue
        identifier = row.values.get("identifier")
        if identifier is not None and identifier in identifiers:
            problem = (
                f"identifier {identifier!r} is already used by {identifiers[identifier].shown}; "
                "identifiers must be unique in a collection"
            )
            failure = RowFailure(
                row, row.number, RowError(row.where, problem), tuple(row.paths), row.position
            )
            manifest.failures.append(failure)
            continue
        if identifier is not None:
            identifiers[identifier] = row
        manifest.rows.append(row)
    return manifest


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls, and WPS .et


def _is_workbook(data: bytes, path: Path) -> bool:
    if data.startswith(_OLE_MAGIC) or path.suffix.lower() in (".xls", ".et"):
        raise IngestError(
            f"manifest {path.name}: this is an old Excel 97-2003 (.xls) or WPS workbook, which "
            "cannot be read; save it as an Excel workbook (.xlsx) or as CSV UTF-8"
        )
    return data.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm")


def _raw_paths(values: dict[str, Any]) -> tuple[str, ...]:
    """The paths a refused row names, read as leniently as its 'path' cell allows."""
    value = values.get("path")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return ()
    return tuple(normalise_relpath(p) for p in split_multi(value))


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"manifest {name}: starts like UTF-16 text but is broken at byte {exc.start}; "
                "save it again as UTF-8 CSV"
            ) from exc
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


def _csv_rows(text: str, name: str) -> Iterable[SheetRow]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield SheetRow(line, cells)
            line = reader.line_num + 1
    except csv.Error as exc:  # a cell longer than the reader takes, a NUL in the file
        raise IngestError(f"manifest {name}: line {line} cannot be read: {exc}") from exc


def _csv_position(number: int, line: int) -> str:
    return f"row {number} (line {line})"


def _table_rows(
    name: str,
    rows: Iterable[SheetRow],
    headers: dict[str, str],
    position: Callable[[int, int], str],
) -> list[_Raw]:
    """Rows of a CSV or sheet as column values; fills `headers` (column -> how to name it)."""
    filled = [row for row in rows if any(c.strip() for c in row.cells) or row.problems]
    if not filled:
        raise IngestError(f"manifest {name}: the file is empty; it needs a header row")
    at = next((n for n, row in enumerate(filled[:HEADER_SEARCH_ROWS]) if _names_path(row.cells)), 0)
    header = filled[at]
    names = _header(name, header)
    for index, column in enumerate(names):
        if column:
            headers[column] = f"column {column_letter(index)} {header.cells[index].strip()!r}"
    body = filled[at + 1 :]
    if body and _repeats_header(body[0].cells, names):
        body = body[1:]  # the template's second header row (English names)
    raws = []
    for number, row in enumerate(body, start=1):
        shown = position(number, row.line)
        where = f"{name} {shown}"
        values = {column: row.cells[i] for i, column in enumerate(names) if i < len(row.cells)}
        values.pop("", None)
        problem = _cell_problems(row, names)
        raws.append(_Raw(number, where, shown, values, problem))
    return raws


def _names_path(cells: list[str]) -> bool:
    return any(resolve_header(cell) == "path" for cell in cells if cell.strip())


def _header(name: str, header: SheetRow) -> list[str]:
    """The column each header cell means ('' for an empty one); IngestError for a bad header."""
    names: list[str] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header.cells):
        written = cell.strip()
        column = resolve_header(written) if written else ""
        letter = column_letter(index)
        if column is None:
            hint = suggest_header(written)
            problems.append(
                f"column {letter} {written!r} is not a column we know"
                + (f" (did you mean {hint!r}?)" if hint else "")
            )
            column = ""
        elif column in seen:
            first = seen[column]
            problems.append(
                f"columns {column_letter(first)} {header.cells[first].strip()!r} and {letter} "
                f"{written!r} both mean {column!r}; keep one"
            )
            column = ""
        elif column:
            seen[column] = index
        names.append(column)
    place = f"manifest {name}: the header (row {header.line})"
    if problems:
        valid = ", ".join(f"{spec.name} ({spec.zh})" for spec in column_specs().values())
        raise IngestError(f"{place}: {'; '.join(problems)}. Valid columns are: {valid}")
    if "path" not in seen:
        raise IngestError(
            f"{place} has no 'path' (文件) column: each row needs the path of its file(s)"
        )
    return names


def _repeats_header(cells: list[str], names: list[str]) -> bool:
    """Whether a row only names, again, the columns above it (as the template's English row).

    It must name the path column and one more, so that a file called 'file' is not taken for one.
    """
    named = [(i, c) for i, c in enumerate(cells) if c.strip()]
    repeated = all(i < len(names) and names[i] and resolve_header(c) == names[i] for i, c in named)
    return repeated and len(named) > 1 and any(names[i] == "path" for i, _ in named)


def _cell_problems(row: SheetRow, names: list[str]) -> str | None:
    problems = [row.problems[i] for i in sorted(row.problems)]
    for index, cell in enumerate(row.cells):
        if cell.strip() and (index >= len(names) or not names[index]):
            problems.append(
                f"column {column_letter(index)} has no name in the header but holds "
                f"{_short(cell)}; name the column or clear the cell"
            )
    return "; ".join(problems) or None


def _short(value: str, limit: int = 40) -> str:
    value = value.strip()
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _json_rows(text: str, name: str) -> list[_Raw]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"manifest {name}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except (RecursionError, ValueError) as exc:  # nested thousands deep; a 5000-digit number
        raise IngestError(f"manifest {name}: not a manifest's JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise IngestError(f'manifest {name}: JSON must be a list of objects or {{"items": [...]}}')
    rows: list[_Raw] = []
    for number, obj in enumerate(data, start=1):
        shown = f"item {number}"
        where = f"{name} {shown}"
        if not isinstance(obj, dict):
            not_object = 'is not a JSON object (expected {"path": ..., ...})'
            rows.append(_Raw(number, where, shown, {}, not_object))
            continue
        values: dict[str, Any] = {}
        unknown = []
        for key, value in obj.items():
            column = resolve_header(key)
            if column is None or column in values:
                hint = suggest_header(key) if column is None else None
                unknown.append(repr(key) + (f" (did you mean {hint!r}?)" if hint else ""))
            else:
                values[column] = value
        problem = None
        if unknown:
            problem = f"unknown field(s) {', '.join(unknown)}; valid: {', '.join(columns())}"
        rows.append(_Raw(number, where, shown, values, problem))
    return rows


def _check_row(raw: _Raw, headers: Mapping[str, str]) -> ManifestRow:
    if raw.problem:
        raise RowError(raw.where, raw.problem)
    row = ManifestRow(raw.number, raw.where, {}, headers, raw.position)
    values = {column: _canonical(column, value) for column, value in raw.values.items()}
    problems = []
    for column, value in values.items():  # in the header's order, as the archivist reads it
        error = _value_error(column, value)
        if error is not None:
            problems.append(
                f"{row.column(column)}: {_what_is_wrong(error, column_specs()[column])}"
            )
    if problems:
        raise RowError(raw.where, "; ".join(problems))
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if key in MULTI_FIELDS:
            parts = split_multi(value)
            if parts:
                kept[key] = parts
        elif isinstance(value, str):
            if value.strip():
                kept[key] = value.strip()
        elif value is not None:
            kept[key] = value
    if "path" not in kept:
        raise RowError(raw.where, f"{row.column('path')} is empty; each row needs its file path(s)")
    for relpath in kept["path"]:
        if ".." in normalise_relpath(relpath).split("/"):
            raise RowError(raw.where, f"path {relpath!r} points outside the ingested folder ('..')")
    return ManifestRow(raw.number, raw.where, kept, headers, raw.position)


def _canonical(column: str, value: Any) -> Any:
    """A value written as one of its labels ('公开', 'Public') becomes the code ('public')."""
    labels = column_specs()[column].labels
    if not labels or not isinstance(value, str):
        return value
    wanted = unicodedata.normalize("NFKC", value).strip().casefold()
    for code, names in labels.items():
        if wanted in (code, *(label.casefold() for label in names.values())):
            return code
    return value


@cache
def _column_validators() -> dict[str, Draft202012Validator]:
    """One validator per column, its `$ref` inlined: a row is checked value by value.

    The row-level rules of the schema are kept by the reader itself: only known columns reach
    here (unknown headers stop the run, unknown JSON fields fail the row) and an empty 'path'
    fails the row. Checking values alone lets a value seen before (a category, a place, a date)
    be checked once for the whole manifest.
    """
    schema = load_schema("manifest-row")
    validators = {}
    for name, spec in schema["properties"].items():
        reference = spec.get("$ref", "")
        if reference:
            defined = schema["$defs"][reference.removeprefix("#/$defs/")]
            spec = {**defined, **{k: v for k, v in spec.items() if k != "$ref"}}
        validators[name] = Draft202012Validator(spec)
    return validators


def _value_error(column: str, value: Any) -> ValidationError | None:
    if isinstance(value, str) and len(value) <= _CACHED_LENGTH:
        return _text_error(column, value)
    return next(_column_validators()[column].iter_errors(value), None)


_CACHED_LENGTH = 200  # longer texts (descriptions) rarely repeat: not worth keeping


@lru_cache(maxsize=8192)
def _text_error(column: str, value: str) -> ValidationError | None:
    return next(_column_validators()[column].iter_errors(value), None)


def _what_is_wrong(error: ValidationError, spec: ColumnSpec) -> str:
    value: Any = error.instance
    rule: Any = error.validator_value
    if error.validator == "oneOf":  # text or a list of texts: explain the branch of its type
        kind = "array" if isinstance(value, list) else "string"
        branch = next(
            (e for e in error.context or [] if rule[e.relative_schema_path[0]]["type"] == kind),
            None,
        )
        if branch is None or (branch.validator == "type" and not branch.relative_path):
            return f"expected text (several values separated by ';'), not {_kind(value)}"
        entry = f"entry {int(branch.relative_path[0]) + 1}: " if branch.relative_path else ""
        return entry + _what_is_wrong(branch, spec)
    if error.validator == "enum":
        allowed = [
            f"{code} ({spec.labels[code]['zh']})" if code in spec.labels else code
            for code in rule
            if code
        ]
        allowed_text = ", ".join(allowed)
        return f"{_short(str(value))} is not allowed; use one of {allowed_text}, or leave it empty"
    if error.validator == "maxLength":
        return f"the text is {len(value)} characters long; at most {rule} are allowed"
    if error.validator == "minLength":
        return "is empty"
    if error.validator == "maxItems":
        return f"has {len(value)} values; at most {rule} are allowed"
    if error.validator == "pattern":
        return f"{_short(str(value))} is not {spec.expected or 'in the expected form'}"
    if error.validator == "type":
        wanted = " or ".join(
            {"string": "text", "number": "a number"}.get(t, t)
            for t in ([rule] if isinstance(rule, str) else rule)
        )
        return f"expected {wanted}, not {_kind(value)}"
    return f"{_short(str(value))}: {error.message}"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "nothing" if value is None else "text"


def pair_rows(manifest: Manifest, files: list[SourceFile]) -> Pairing:
    """Match rows to files by normalised relative path; a row naming a missing file fails alone.

    The files a failed row names — refused while the manifest was read, too — are left out:
    ingesting them without the row's metadata would hide the mistake, and once stored bare the
    corrected row could no longer describe them (they would be duplicates of the bare item).
    """
    by_path = {f.relpath: f for f in files}
    by_folded = {f.relpath.casefold(): f.relpath for f in files}
    claimed: dict[str, str] = {}  # relpath -> the row that has it, as messages name it
    pairing = Pairing(failures=list(manifest.failures))
    entries: list[ManifestRow | RowFailure] = sorted(
        [*manifest.rows, *manifest.failures], key=lambda entry: entry.number
    )
    for entry in entries:
        if isinstance(entry, RowFailure):
            paths = list(entry.paths)
        else:
            paths = entry.paths
            try:
                pairing.items.append((entry, _files_of(entry, by_path, by_folded, claimed)))
            except RowError as exc:
                failure = RowFailure(entry, entry.number, exc, tuple(paths), entry.position)
                pairing.failures.append(failure)
        # Files of a failed row are not ingested on their own without the row's metadata.
        for relpath in paths:
            if relpath in by_path:
                claimed.setdefault(relpath, entry.shown)
    pairing.unmatched = [f for f in files if f.relpath not in claimed]
    return pairing


def _files_of(
    row: ManifestRow,
    by_path: dict[str, SourceFile],
    by_folded: dict[str, str],
    claimed: dict[str, str],
) -> list[SourceFile]:
    matched = []
    for relpath in row.paths:
        source = by_path.get(relpath)
        if source is None and is_caption_name(relpath):
            raise RowError(
                row.where,
                f"file {relpath!r} is a caption file, not an item's file: name it in the "
                f"captions column (字幕) of its video's or audio's row",
            )
        if source is None:
            hint = by_folded.get(relpath.casefold())
            extra = f" (did you mean {hint!r}? paths are case-sensitive)" if hint else ""
            raise RowError(
                row.where, f"file {relpath!r} was not found in the ingested folder{extra}"
            )
        if relpath in claimed:
            raise RowError(row.where, f"file {relpath!r} already belongs to {claimed[relpath]}")
        if source in matched:
            raise RowError(row.where, f"file {relpath!r} is listed twice in the row")
        matched.append(source)
    return matched
