"""The ingest report as a spreadsheet: CSV that Excel opens as UTF-8, and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from ingest.report import IngestReport, ItemOutcome, report_csv, report_xlsx

REPORT = IngestReport(
    "job-1",
    "songs",
    "2026-01-01T00:00:00Z",
    items=[
        ItemOutcome("歌曲/01.wav", "stored", id="songs-1", row=1, files=["original", "access"]),
        ItemOutcome("=HYPERLINK(1).jpg", "failed", reason="=HYPERLINK(1).jpg: empty", row=2),
        ItemOutcome(".DS_Store", "skipped", reason=".DS_Store: an operating-system file"),
    ],
    errors=["interrupted before the end"],
)


def test_csv_has_a_bom_chinese_headings_and_no_live_formula() -> None:
    data = report_csv(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["文件", "结果", "清单行", "条目编号", "说明", "已存文件"]
    assert rows[1] == ["歌曲/01.wav", "已入库", "1", "songs-1", "", "original, access"]
    assert rows[2][:2] == ["'=HYPERLINK(1).jpg", "失败"]  # Excel shows it as text
    assert rows[3][1] == "已跳过"
    assert rows[4] == ["", "批次错误", "", "", "interrupted before the end", ""]
    english = list(csv.reader(io.StringIO(report_csv(REPORT, "en").decode("utf-8-sig"))))
    assert english[0][:2] == ["Source", "Outcome"] and english[3][1] == "skipped"


def test_xlsx_holds_the_same_table_as_text() -> None:
    sheet = load_workbook(io.BytesIO(report_xlsx(REPORT))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1] == ["歌曲/01.wav", "已入库", "1", "songs-1", None, "original, access"]
    assert rows[2][0] == "=HYPERLINK(1).jpg" and sheet["A3"].data_type == "s"  # not a formula
    assert len(rows) == 5 and sheet.freeze_panes == "A2"


def test_a_control_character_in_a_name_does_not_break_the_spreadsheet() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    report = IngestReport("j", "c", "2026-01-01T00:00:00Z")
    report.items.append(ItemOutcome("a\x01b.jpg", "failed", reason="bad\x1bname"))
    sheet = load_workbook(BytesIO(report_xlsx(report))).active
    assert sheet.cell(2, 1).value == "a\ufffdb.jpg"
