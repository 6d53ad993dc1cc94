"""One way for tests to run the real pipeline over a folder with a manifest."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api.services import Services
from api.settings import Settings
from ingest.pipeline import IngestOptions, run_ingest
from ingest.report import IngestReport


def ingest_folder(
    settings: Settings,
    source: Path,
    manifest: Path | None,
    collection: str,
    *,
    institution: str,
    agent: str = "pytest-ingest",
    expect_failures: bool = False,
    in_process: bool = False,
    **options: Any,
) -> IngestReport:
    """Ingest `source` with `manifest` (one worker, a small pixel limit) on the configured store
    and index; unless `expect_failures`, every item must succeed. `in_process` runs the
    workers' part in threads of this process, so a test's fakes apply there too."""
    services = Services.from_settings(settings)
    try:
        chosen = IngestOptions(
            collection=collection,
            manifest=manifest,
            workers=1,
            institution=institution,
            agent=agent,
            max_image_pixels=10_000_000,
            **options,
        )
        executors = (lambda lane, width: ThreadPoolExecutor(width)) if in_process else None
        report = run_ingest(
            [source], chosen, services.store_config, services.index, None, executors
        )
    finally:
        services.close()
    if not expect_failures:
        assert report.failed == 0, report.to_dict()
    return report
