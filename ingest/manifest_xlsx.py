"""Read an XLSX manifest's cells as text, the way the archivist sees them in Excel or WPS.

What a formula shows is its value as last calculated (the value cached in the file); a formula
saved without one (written by a program that does not calculate: no value and not an empty
text result) or showing an error (#REF!) is a problem of its row, naming the cell. Dates typed
as dates become ISO dates (1985-05-03), whole numbers stay whole (1985, not 1985.0; a
zero-padded format such as 000123 keeps its zeros). A cell merged down a column gives its value
to every row it covers; one merged across columns is a problem of its rows (which column would
the value belong to?). The sheet read is the one named 'manifest' or '清单', else the first
visible one.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ingest.errors import IngestError
from ingest.manifest import SheetRow

SHEET_NAMES = ("manifest", "清单")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ZERO_PADDED = re.compile(r"^0+$")
MAX_UNPACKED = 256 * 2**20  # a 10 000-row manifest unpacks to a few MiB


def read_xlsx(data: bytes, name: str) -> tuple[str, list[SheetRow]]:
    """(how messages name the sheet: "sheet '清单' " or '' when it is the only one, its rows)."""
    try:
        _check_size(data, name)
        book = load_workbook(io.BytesIO(data), data_only=True)
        sheet = _sheet(book, name)
        formulas = _formulas(data, sheet.title) if _has_formulas(data) else {}
    # SyntaxError: a worksheet's XML that does not parse (ParseError); zlib.error, EOFError: a
    # damaged member
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        SyntaxError,
        KeyError,
        ValueError,
        TypeError,
    ) as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(
            f"manifest {name}: cannot read it as an Excel workbook (.xlsx): {exc}; "
            "save it again from Excel or WPS as .xlsx, or as CSV UTF-8"
        ) from exc
    label = f"sheet {sheet.title!r} " if len(book.worksheets) > 1 else ""
    down, across = _merged(sheet)
    rows = []
    for cells in sheet.iter_rows(min_row=1, min_col=1):  # from A1, as letters count
        texts: list[str] = []
        problems: dict[int, str] = {}
        for index, cell in enumerate(cells):
            key = (cell.row, cell.column)
            value = down.get(key, cell.value)
            if key in across:
                problems[index] = (
                    f"cells {across[key]} are merged across columns; unmerge them so that each "
                    "value stands in its own column"
                )
            elif key in formulas and value is None and cell.data_type != "str":
                problems[index] = (
                    f"cell {cell.coordinate} holds the formula {formulas[key]} but no calculated "
                    "value (the program that saved the file did not calculate it); open and "
                    "save the file in Excel or WPS, or type the value itself"
                )
            elif cell.data_type == "e":
                problems[index] = (
                    f"cell {cell.coordinate} shows the error {value}; correct its formula or "
                    "type the value itself"
                )
            texts.append(cell_text(value, getattr(cell, "number_format", "General")))
        if cells:
            rows.append(SheetRow(cells[0].row, texts, problems))
    return label, rows


def cell_text(value: Any, number_format: str = "General") -> str:
    """A cell value as the text it stands for: dates as ISO dates, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if _ZERO_PADDED.match(number_format or "") and value >= 0:
            return str(value).zfill(len(number_format))
        return str(value)
    return str(value)


def _sheet(book: Workbook, name: str) -> Worksheet:
    sheets = book.worksheets
    if not sheets:
        raise IngestError(f"manifest {name}: the workbook has no worksheet")
    for sheet in sheets:
        if sheet.title.strip().casefold() in SHEET_NAMES:
            return sheet
    return next((s for s in sheets if s.sheet_state == "visible"), sheets[0])


def _merged(sheet: Worksheet) -> tuple[dict[tuple[int, int], Any], dict[tuple[int, int], str]]:
    """(cells under a merge down one column -> its value, cells of a merge across columns ->
    the range)."""
    down: dict[tuple[int, int], Any] = {}
    across: dict[tuple[int, int], str] = {}
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        if top_left is None:
            continue  # merged for looks only: nothing to place
        for row in range(merged.min_row, merged.max_row + 1):
            if merged.min_col == merged.max_col:
                down[(row, merged.min_col)] = top_left
            else:
                across[(row, merged.min_col)] = merged.coord  # named once per row
    return down, across


def _check_size(data: bytes, name: str) -> None:
    """Refuse a workbook that would unpack to more than MAX_UNPACKED bytes (a zip bomb)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise IngestError(
            f"manifest {name}: unpacks to {unpacked // 2**20} MiB, more than a manifest needs "
            f"({MAX_UNPACKED // 2**20} MiB); split it or save it as CSV"
        )


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet holds a formula (most manifests have none: one read is enough)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            is_sheet = member.startswith("xl/worksheets/") and member.endswith(".xml")
            if is_sheet and _FORMULA_TAG.search(archive.read(member)):
                return True
    return False


def _formulas(data: bytes, title: str) -> dict[tuple[int, int], str]:
    """The formulas of one sheet, by (row, column): a second read, for their text."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        found = {}
        for cells in book[title].iter_rows():
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    found[(cell.row, cell.column)] = str(cell.value)
        return found
    finally:
        book.close()
