"""What an ingest run tells the archivist: one entry per item, machine-readable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["stored", "updated", "unchanged", "duplicate", "failed", "would-store"]
"""updated: a re-run changed an existing item (its manifest metadata or its files)."""


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


@dataclass
class ItemOutcome:
    source: str  # relative path(s) of the item's files, or "manifest row N"
    outcome: Outcome
    id: str | None = None
    reason: str | None = None  # why it failed, which item it duplicates, what was kept
    row: int | None = None  # manifest row number (1 = first data row), if any
    files: list[str] = field(default_factory=list)  # stored file roles
    conflicts: list[Conflict] = field(default_factory=list)  # on re-runs over people's changes


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
