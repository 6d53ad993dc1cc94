"""The ingest report as a spreadsheet: CSV that Excel opens as UTF-8, and XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from ingest.report import FieldChange, IngestReport, ItemOutcome, report_csv, report_xlsx

REPORT = IngestReport(
    "job-1",
    "songs",
    "2026-01-01T00:00:00Z",
    items=[
        ItemOutcome("歌曲/01.wav", "stored", id="songs-1", row=1, files=["original", "access"]),
        ItemOutcome("=HYPERLINK(1).jpg", "failed", reason="=HYPERLINK(1).jpg: empty", row=2),
        ItemOutcome(".DS_Store", "skipped", reason=".DS_Store: an operating-system file"),
        ItemOutcome(
            "歌曲/02.wav",
            "would-update",
            id="songs-2",
            row=3,
            changes=[
                FieldChange("description", {"zh": "旧"}, {"zh": "新"}, "update"),
                FieldChange("status", "withdrawn", "published", "kept-decision"),
            ],
        ),
    ],
    errors=["interrupted before the end"],
)


def test_csv_has_a_bom_chinese_headings_and_no_live_formula() -> None:
    data = report_csv(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["文件", "结果", "清单行", "条目编号", "说明", "已存文件", "字段变更"]
    assert rows[1] == ["歌曲/01.wav", "已入库", "1", "songs-1", "", "original, access", ""]
    assert rows[2][:2] == ["'=HYPERLINK(1).jpg", "失败"]  # Excel shows it as text
    assert rows[3][1] == "已跳过"
    assert rows[4][1] == "将更新（试运行）"
    assert rows[4][6].splitlines() == [
        "description (将更新): zh: 旧 → zh: 新",
        "status (保留：审核决定): withdrawn → published",
    ]
    assert rows[5] == ["", "批次错误", "", "", "interrupted before the end", "", ""]
    english = list(csv.reader(io.StringIO(report_csv(REPORT, "en").decode("utf-8-sig"))))
    assert english[0][:2] == ["Source", "Outcome"] and english[3][1] == "skipped"
    assert english[0][6] == "Changes"
    assert (
        english[4][6].splitlines()[1]
        == "status (kept: a curator's decision): withdrawn → published"
    )


def test_changes_survive_the_stored_json() -> None:
    again = IngestReport.from_dict(REPORT.to_dict())
    assert again.items[3].changes == REPORT.items[3].changes
    assert REPORT.to_dict()["items"][3]["changes"][1] == {
        "field": "status", "old": "withdrawn", "new": "published", "action": "kept-decision"
    }  # fmt: skip


def test_xlsx_holds_the_same_table_as_text() -> None:
    sheet = load_workbook(io.BytesIO(report_xlsx(REPORT))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1] == ["歌曲/01.wav", "已入库", "1", "songs-1", None, "original, access", None]
    assert rows[2][0] == "=HYPERLINK(1).jpg" and sheet["A3"].data_type == "s"  # not a formula
    assert rows[4][6].startswith("description (") and rows[0][6] == "字段变更"
    assert len(rows) == 6 and sheet.freeze_panes == "A2"


def test_a_control_character_in_a_name_does_not_break_the_spreadsheet() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    report = IngestReport("j", "c", "2026-01-01T00:00:00Z")
    report.items.append(ItemOutcome("a\x01b.jpg", "failed", reason="bad\x1bname"))
    sheet = load_workbook(BytesIO(report_xlsx(report))).active
    assert sheet.cell(2, 1).value == "a\ufffdb.jpg"
