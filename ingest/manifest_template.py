"""The manifest template staff download and fill in: an XLSX whose headers `load_manifest` reads.

Row 1 holds the Chinese headers (each a column's first `x-aliases` entry in
`schemas/manifest-row.schema.json`, with a note saying what goes in it), row 2 the English column
names (the reader skips a row that only repeats the header), and the rows below are for items.
Category, access and status offer drop-down lists of their Chinese labels; typing a code or an
English label instead is allowed (Excel only warns), since the reader accepts those too.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ingest.manifest import MULTI_FIELDS, column_letter, column_specs
from schemas import categories, load_schema

TEMPLATE_COLUMNS = (
    "path",
    "identifier",
    "title",
    "title_en",
    "description",
    "description_en",
    "category",
    "region",
    "region_code",
    "date",
    "bearers",
    "project",
    "people",
    "subjects",
    "tags",
    "language",
    "captions",
    "access",
    "status",
    "embargo_until",
    "institution",
    "license",
    "rights_holder",
    "rights_statement",
    "lat",
    "lon",
)
"""The columns the template offers, most used first (title_zh and the like are left to CSV)."""
TEMPLATE_ROWS = 5000  # item rows the drop-down lists cover
SHEET_TITLE = "清单"
_WIDE = {"path": 36, "title": 28, "title_en": 28, "description": 48, "description_en": 48}


def manifest_template() -> bytes:
    """The template as XLSX bytes (for a download)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append([column_specs()[name].zh for name in TEMPLATE_COLUMNS])
    sheet.append(list(TEMPLATE_COLUMNS))
    _style(sheet)
    for index, name in enumerate(TEMPLATE_COLUMNS):
        sheet.cell(1, index + 1).comment = Comment(_note(name), "heritage", width=320, height=160)
        choices = _choices(name)
        if choices:
            _drop_down(sheet, column_letter(index), choices)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_manifest_template(path: Path) -> None:
    """Write the template to `path`, whole or not at all (a temporary file renamed into place)."""
    handle, temporary = tempfile.mkstemp(prefix=".template-", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(manifest_template())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _choices(name: str) -> list[str]:
    if name == "category":
        return [category.zh for category in categories()]
    return [labels["zh"] for labels in column_specs()[name].labels.values()]


def _note(name: str) -> str:
    """What the header's comment says: the column, what to write in it, in both languages."""
    spec = column_specs()[name]
    lines = [f"{spec.zh} / {name}"]
    description = load_schema("manifest-row")["properties"][name].get("description")
    if description:
        lines.append(description)
    if name in MULTI_FIELDS:
        lines.append("多个值用分号（;）分隔。Several values: separate them with ';'.")
    if spec.labels:
        codes = ", ".join(f"{labels['zh']} = {code}" for code, labels in spec.labels.items())
        lines.append(f"可选值 / values: {codes}")
    if spec.expected:
        lines.append(f"Write {spec.expected}.")
    return "\n".join(lines)


def _drop_down(sheet: Worksheet, letter: str, choices: list[str]) -> None:
    """A list typed into the rule itself: Excel allows 255 characters and no commas in it."""
    validation = DataValidation(
        type="list",
        formula1=f'"{",".join(choices)}"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="不在列表中 / not in the list",
        error="请从列表中选择；也可填写英文代码。Choose from the list, or type the English code.",
    )
    validation.add(f"{letter}3:{letter}{TEMPLATE_ROWS + 2}")
    sheet.add_data_validation(validation)


def _style(sheet: Worksheet) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    for index, name in enumerate(TEMPLATE_COLUMNS):
        sheet.column_dimensions[column_letter(index)].width = _WIDE.get(name, 14)
    sheet.freeze_panes = "B3"
