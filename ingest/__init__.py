"""The ingest pipeline: discover → identify → normalize → tag → validate → store → index."""

from ingest.pipeline import IngestOptions, ProgressCallback, run_ingest
from ingest.report import IngestReport, ItemOutcome

__all__ = ["IngestOptions", "IngestReport", "ItemOutcome", "ProgressCallback", "run_ingest"]
