"""The downloadable XLSX manifest template: headers the reader knows, notes and drop-down lists."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from ingest.manifest import column_specs, load_manifest, resolve_header
from ingest.manifest_template import TEMPLATE_COLUMNS, write_manifest_template
from schemas import categories


def test_headers_in_chinese_then_english_each_read_back_as_its_column(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    write_manifest_template(path)
    sheet = load_workbook(path).active
    chinese = [cell.value for cell in sheet[1]]
    english = [cell.value for cell in sheet[2]]
    assert sheet.title == "清单"
    assert chinese[:4] == ["文件", "编号", "标题", "英文标题"]
    assert english == list(TEMPLATE_COLUMNS)
    assert [resolve_header(h) for h in chinese] == [resolve_header(h) for h in english]
    assert all(sheet.cell(1, n + 1).comment for n in range(len(chinese)))
    assert "分号" in sheet["A1"].comment.text  # several files: ';'-separated
    assert sheet.freeze_panes == "B3"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left beside it


def test_drop_down_lists_for_category_access_and_status(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_manifest_template(path)
    sheet = load_workbook(path).active
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        (cells,) = validation.sqref.ranges
        header = sheet.cell(2, cells.min_col).value
        lists[header] = validation.formula1.strip('"').split(",")
        assert validation.type == "list" and validation.allow_blank
        assert validation.errorStyle == "warning"  # an English code typed instead is allowed
        assert (cells.min_row, cells.max_row) == (3, 5002)
        assert len(validation.formula1) <= 257  # Excel's limit for a list typed into the rule
    assert lists == {
        "category": [category.zh for category in categories()],
        "access": ["公开", "机构内部", "受限"],
        "status": ["草稿", "待审核", "已发布", "已撤回"],
    }
    for column in ("access", "status"):  # every choice is a value the reader understands
        assert {labels["zh"] for labels in column_specs()[column].labels.values()} == set(
            lists[column]
        )


def test_the_empty_template_is_a_manifest_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_manifest_template(path)
    manifest = load_manifest(path)
    assert (manifest.rows, manifest.failures) == ([], [])
