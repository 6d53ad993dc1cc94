"""XLSX manifests as Excel and WPS leave them: dates, numbers, merged cells, formulas, sheets."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest.errors import IngestError
from ingest.manifest import load_manifest
from ingest.manifest_xlsx import cell_text


def save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


def workbook(*rows: list[object]) -> Workbook:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    return book


def calculated(path: Path, cell: str, value: str, kind: str | None = None) -> None:
    """Give a formula cell the value Excel stores with it when it saves (openpyxl stores none);
    `kind` is its type attribute: "str" for text, "e" for an error."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode("utf-8")
    pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v></v></c>')
    kind_attribute = f' t="{kind}"' if kind else ""
    sheet, found = pattern.subn(
        lambda m: f'<c r="{cell}"{m[1]}{kind_attribute}><f>{m[2]}</f><v>{value}</v></c>', sheet
    )
    assert found == 1
    members["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_chinese_headers_dates_and_numbers_read_as_typed(tmp_path: Path) -> None:
    book = workbook(
        ["文件", "编号", "标题", "日期", "纬度", "经度", "地区", "行政区划代码", "状态"],
        ["a.jpg", 1985, "长调", datetime(1985, 5, 3), 39.6, 109.0, "鄂尔多斯", 150602.0, "草稿"],
        ["b.jpg", "ZJ-2", "安代", date(2001, 1, 2), None, None, None, None, None],
        ["c.jpg", "ZJ-3", "剪纸", 1956, None, None, None, None, None],
        ["d.jpg", "ZJ-4", "呼麦", datetime(2019, 5, 3, 14, 30), None, None, None, None, None],
    )
    book.active["B2"].number_format = "000000"  # an identifier typed as 001985
    rows = load_manifest(save(book, tmp_path / "items.xlsx")).rows
    assert rows[0].values == {
        "path": ["a.jpg"],
        "identifier": "001985",
        "title": "长调",
        "date": "1985-05-03",
        "lat": "39.6",
        "lon": "109",
        "region": "鄂尔多斯",
        "region_code": "150602",
        "status": "draft",
    }
    assert [r.values["date"] for r in rows[1:]] == ["2001-01-02", "1956", "2019-05-03T14:30:00"]
    assert rows[0].where == "items.xlsx row 2"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1985, "1985"), (1985.0, "1985"), (0.1, "0.1"), (True, "TRUE"), (None, ""), ("x", "x")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_empty_trailing_rows_and_columns_are_ignored(tmp_path: Path) -> None:
    book = workbook(["文件", "标题", None, None], ["a.jpg", "甲"], [], ["b.jpg", "乙"])
    sheet = book.active
    sheet["F40"].number_format = "@"  # formatted, never typed in: Excel keeps such cells
    sheet["F40"].value = None
    sheet["E1"].value = ""
    manifest = load_manifest(save(book, tmp_path / "m.xlsx"))
    assert manifest.failures == []
    assert [(r.number, r.where) for r in manifest.rows] == [
        (1, "m.xlsx row 2"),
        (2, "m.xlsx row 4"),
    ]


def test_a_header_typo_names_the_column_letter_and_suggests_the_header(tmp_path: Path) -> None:
    book = workbook(["文件", "标题", "传承认"], ["a.jpg", "甲", "王五"])
    with pytest.raises(IngestError) as caught:
        load_manifest(save(book, tmp_path / "m.xlsx"))
    assert str(caught.value).startswith(
        "manifest m.xlsx: the header (row 1): column C '传承认' is not a column we know "
        "(did you mean '传承人'?)"
    )


def test_a_cell_merged_down_a_column_applies_to_every_row_it_covers(tmp_path: Path) -> None:
    book = workbook(["文件", "类别", "标题"], ["a.jpg", "传统音乐", "甲"], ["b.jpg", None, "乙"])
    book.active.append(["c.jpg", None, "丙"])
    book.active.merge_cells("B2:B4")
    rows = load_manifest(save(book, tmp_path / "m.xlsx")).rows
    assert [r.values["category"] for r in rows] == ["传统音乐"] * 3


def test_cells_merged_across_columns_fail_their_row_naming_the_cells(tmp_path: Path) -> None:
    book = workbook(
        ["内蒙古鄂尔多斯市文化馆 非遗资源清单"],  # a merged title above the header: passed over
        ["文件", "描述", "英文描述"],
        ["a.jpg", "一段描述", None],
        ["b.jpg", "好", "good"],
    )
    book.active.merge_cells("A1:C1")
    book.active.merge_cells("B3:C3")
    manifest = load_manifest(save(book, tmp_path / "m.xlsx"))
    assert [r.values for r in manifest.rows] == [
        {"path": ["b.jpg"], "description": "好", "description_en": "good"}
    ]
    (failure,) = manifest.failures
    assert str(failure.error) == (
        "m.xlsx row 3: cells B3:C3 are merged across columns; unmerge them so that each value "
        "stands in its own column"
    )


def test_formulas_give_their_calculated_value_or_a_clear_message(tmp_path: Path) -> None:
    book = workbook(
        ["文件", "标题", "日期", "描述"],
        ["a.jpg", '="长调"&"一"', "=1980+5", '=IF(1>2,"x","")'],
        ["b.jpg", "=A2&B2", None, None],
        ["c.jpg", "=1/0", None, None],
    )
    path = save(book, tmp_path / "m.xlsx")
    calculated(path, "B2", "长调一", "str")  # as Excel saves them: with the value calculated
    calculated(path, "C2", "1985")
    calculated(path, "D2", "", "str")  # a formula whose result is empty text
    calculated(path, "B4", "#DIV/0!", "e")
    manifest = load_manifest(path)
    assert [r.values for r in manifest.rows] == [
        {"path": ["a.jpg"], "title": "长调一", "date": "1985"}
    ]
    errors = [str(f.error) for f in manifest.failures]
    assert errors == [
        "m.xlsx row 3: cell B3 holds the formula =A2&B2 but no calculated value (the program "
        "that saved the file did not calculate it); open and save the file in Excel or WPS, or "
        "type the value itself",
        "m.xlsx row 4: cell B4 shows the error #DIV/0!; correct its formula or type the value "
        "itself",
    ]


def test_the_sheet_named_manifest_is_read_else_the_first(tmp_path: Path) -> None:
    book = workbook(["说明：请在“清单”页填写"])
    book.active.title = "说明"
    listing = book.create_sheet("清单")
    listing.append(["文件", "标题"])
    listing.append(["a.jpg", "x"])
    manifest = load_manifest(save(book, tmp_path / "m.xlsx"))
    assert [(r.values["title"], r.where) for r in manifest.rows] == [
        ("x", "m.xlsx sheet '清单' row 2")
    ]

    other = workbook(["文件", "标题"], ["b.jpg", "y"])
    other.create_sheet("统计").append(["not", "read"])
    (row,) = load_manifest(save(other, tmp_path / "o.xlsx")).rows
    assert (row.values["title"], row.where) == ("y", "o.xlsx sheet 'Sheet' row 2")


def test_unreadable_workbooks_stop_the_run_saying_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(IngestError, match=r"old\.xls: .*Excel 97-2003.*save it as .*\.xlsx"):
        load_manifest(old)
    broken = tmp_path / "broken.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    broken.write_bytes(buffer.getvalue())
    with pytest.raises(IngestError, match=r"broken\.xlsx: cannot read it as an Excel workbook"):
        load_manifest(broken)


def test_a_sheet_starting_below_and_right_of_a1_is_named_by_its_real_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet["C3"], sheet["D3"], sheet["E3"] = "文件", "标题", "访问权限"
    sheet["C4"], sheet["D4"], sheet["E4"] = "a.jpg", "甲", "秘密"
    (failure,) = load_manifest(save(book, tmp_path / "m.xlsx")).failures
    assert str(failure.error).startswith("m.xlsx row 4: column E '访问权限': '秘密' is not allowed")


def _rewritten(path: Path, member: str, data: bytes) -> None:
    """The workbook at `path` with one member's bytes replaced (or added)."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[member] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(name, content)


@pytest.mark.parametrize(
    ("member", "data", "said"),
    [
        ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row>", "cannot read it as an Excel"),
        ("xl/worksheets/stray.xml", b"\0" * (300 * 2**20), "more than a manifest needs"),
    ],
)
def test_a_damaged_or_bloated_workbook_is_refused_by_name(
    tmp_path: Path, member: str, data: bytes, said: str
) -> None:
    path = save(workbook(["path", "title_zh"], ["a.jpg", "剪纸"]), tmp_path / "清单.xlsx")
    _rewritten(path, member, data)
    with pytest.raises(IngestError) as refused:
        load_manifest(path)
    assert "清单.xlsx" in str(refused.value) and said in str(refused.value)
