"""The ingest pipeline: discover → identify → normalize → tag → validate → store → index.

The names below are loaded when first asked for, so a worker process that imports only
`ingest.worker` does not load the main process's pipeline (pinyin, authorities, the search
analyser): its start-up is part of every item's wait.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.pipeline import IngestOptions, ProgressCallback, run_ingest
    from ingest.report import IngestReport, ItemOutcome

__all__ = ["IngestOptions", "IngestReport", "ItemOutcome", "ProgressCallback", "run_ingest"]

_HOME = {
    "IngestOptions": "ingest.pipeline",
    "ProgressCallback": "ingest.pipeline",
    "run_ingest": "ingest.pipeline",
    "IngestReport": "ingest.report",
    "ItemOutcome": "ingest.report",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")
