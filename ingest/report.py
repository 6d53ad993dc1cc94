"""What an ingest run tells the archivist: one entry per item, machine-readable, and the same as a
table for a spreadsheet (CSV with a BOM, which Excel opens as UTF-8, or XLSX)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal[
    "stored",
    "updated",
    "unchanged",
    "duplicate",
    "failed",
    "would-store",
    "would-update",
    "skipped",
]
"""updated: a re-run changed an existing item (its manifest metadata or its files).
would-store / would-update: what a dry run would have done to a new / an existing item.
skipped: operating-system litter or a hidden file, left out on purpose (the reason says which)."""

ChangeAction = Literal["update", "kept-edited", "kept-decision", "overwrite-edit"]
"""What a run does with one field of an existing item the manifest row would change: applies it
(`update`), keeps the value a person edited (`kept-edited`) or a curator decided
(`kept-decision`: status, access, embargo, owner), or replaces an edit (`overwrite-edit`, only
with --overwrite-edits)."""

REPORT_COLUMNS = ("source", "outcome", "row", "id", "reason", "files", "changes")
_HEADINGS = {
    "zh": ("文件", "结果", "清单行", "条目编号", "说明", "已存文件", "字段变更"),
    "en": ("Source", "Outcome", "Manifest row", "Item id", "Reason", "Stored files", "Changes"),
}
_OUTCOMES_ZH = {
    "stored": "已入库",
    "updated": "已更新",
    "unchanged": "未变",
    "duplicate": "重复",
    "failed": "失败",
    "would-store": "将入库（试运行）",
    "would-update": "将更新（试运行）",
    "skipped": "已跳过",
    "error": "批次错误",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLE_VALUE = 200  # characters of one value in a spreadsheet's changes cell


@dataclass(frozen=True)
class Conflict:
    """A value this run did not apply to an existing item, because a person decided otherwise."""

    field: str  # top-level record field: status, access, embargo_until, title …
    manifest: Any  # what the run would have set (None: it would have removed the field)
    kept: Any  # what the item keeps (None: the field stays absent)
    why: str

    def describe(self) -> str:
        return (
            f"kept {self.field} {_shown(self.kept)} (the manifest says {_shown(self.manifest)}): "
            f"{self.why}"
        )


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)


_ACTIONS = {
    "en": {
        "update": "update",
        "kept-edited": "kept: edited by a person",
        "kept-decision": "kept: a curator's decision",
        "overwrite-edit": "overwrites a person's edit",
    },
    "zh": {
        "update": "将更新",
        "kept-edited": "保留：已被人工修改",
        "kept-decision": "保留：审核决定",
        "overwrite-edit": "覆盖人工修改",
    },
}
SHORT = 60  # characters of one value in a one-line change


@dataclass(frozen=True)
class FieldChange:
    """One field of an existing item the manifest row would change, and what the run does.

    `old` is the item's value, `new` the manifest's (None: the field is absent there); large
    values (files, extracted text) are summarised, see `ingest.record.field_changes`."""

    field: str
    old: Any
    new: Any
    action: ChangeAction

    @property
    def applied(self) -> bool:
        return self.action in ("update", "overwrite-edit")

    def describe(self, width: int = SHORT, lang: str = "en") -> str:
        """One line: `title (kept: edited by a person): {"zh": "安代"} → {"zh": "安代舞"}`; what
        happens comes first, so a line cut to a narrow terminal still says it."""
        label = _ACTIONS["zh" if lang == "zh" else "en"][self.action]
        old, new = self.shown(width)
        return f"{self.field} ({label}): {old} → {new}"

    def shown(self, width: int = SHORT) -> tuple[str, str]:
        """Old and new value, each on one line; of a language map (a title), only the
        languages that change."""
        old, new = self.old, self.new
        if isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            old = {k: old[k] for k in keys if k in old}
            new = {k: new[k] for k in keys if k in new}
        return short(old, width), short(new, width)


def short(value: Any, width: int = SHORT) -> str:
    """A value on one line of at most `width` characters; `—` for an absent one. A language map
    reads `zh: 长调; en: Long song`, a list of words `长调; 民歌`, anything else as JSON."""
    if value is None:
        return "—"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        text = "; ".join(f"{k}: {v}" for k, v in value.items())
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "; ".join(value)
    else:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class ItemOutcome:
    source: str  # relative path(s) of the item's files, or "manifest row N"
    outcome: Outcome
    id: str | None = None
    reason: str | None = None  # why it failed or was skipped, what it duplicates, what was kept
    row: int | None = None  # manifest row number (1 = first data row), if any
    files: list[str] = field(default_factory=list)  # stored file roles
    conflicts: list[Conflict] = field(default_factory=list)  # on re-runs over people's changes
    changes: list[FieldChange] = field(default_factory=list)  # an existing item's fields


@dataclass
class IngestReport:
    job_id: str
    collection: str
    started: str
    finished: str | None = None
    dry_run: bool = False
    items: list[ItemOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # batch-level problems (bad manifest rows…)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.outcome] = counts.get(item.outcome, 0) + 1
        return counts

    @property
    def failed(self) -> int:
        return sum(1 for item in self.items if item.outcome == "failed") + len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts()
        return data

    def to_json(self) -> bytes:
        """As stored at `reports/<job>.json` (and written by the CLI)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestReport:
        """A report as `to_dict` stored it (counts are worked out again, not read)."""
        items = [
            ItemOutcome(
                **{k: v for k, v in item.items() if k not in ("conflicts", "changes")},
                conflicts=[Conflict(**c) for c in item.get("conflicts", [])],
                changes=[FieldChange(**c) for c in item.get("changes", [])],
            )
            for item in data.get("items", [])
        ]
        fields = ("job_id", "collection", "started", "finished", "dry_run", "errors")
        return cls(**{k: data[k] for k in fields if k in data}, items=items)


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run; `report` is what it did until then (it is stored too), so the
    command can still write it and say where."""

    def __init__(self, report: IngestReport):
        super().__init__("interrupted")
        self.report = report


def report_table(report: IngestReport, lang: str = "zh") -> list[list[str]]:
    """The report as rows of text, a heading row first: one row per item, then batch errors."""
    headings = list(_HEADINGS["zh" if lang == "zh" else "en"])
    rows = [headings]
    for item in report.items:
        rows.append(
            [
                item.source,
                _outcome_label(item.outcome, lang),
                "" if item.row is None else str(item.row),
                item.id or "",
                item.reason or "",
                ", ".join(item.files),
                "\n".join(change.describe(TABLE_VALUE, lang) for change in item.changes),
            ]
        )
    rows += [
        ["", _outcome_label("error", lang), "", "", problem, "", ""] for problem in report.errors
    ]
    return rows


def report_csv(report: IngestReport, lang: str = "zh") -> bytes:
    """UTF-8 with a BOM, so Excel shows Chinese; no cell can run as a formula."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerows([[_inert(cell) for cell in row] for row in report_table(report, lang)])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def report_xlsx(report: IngestReport, lang: str = "zh") -> bytes:
    """One sheet, frozen heading, cells always text (a reason starting with '=' stays text)."""
    from openpyxl import Workbook  # imported here: only spreadsheet reports need it
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "报告" if lang == "zh" else "report"
    for row in report_table(report, lang):  # a name or reason may hold what XLSX cannot
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell) for cell in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # openpyxl reads a leading '=' as a formula otherwise
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (40, 12, 8, 36, 80, 24, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _outcome_label(outcome: str, lang: str) -> str:
    return _OUTCOMES_ZH.get(outcome, outcome) if lang == "zh" else outcome


def _inert(text: str) -> str:
    """A cell Excel shows as text: a leading =, +, -, @ would make it a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text
