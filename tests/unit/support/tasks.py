"""A one-file ingest task, as the coordinator would send it."""

from __future__ import annotations

from pathlib import Path

from ingest.discover import SourceFile
from ingest.task import Settings, Task
from repository import StoreConfig


def one_file_task(tmp_path: Path, source: Path) -> Task:
    """`source` as item "one" of collection "c", stored under `tmp_path / "store"`."""
    return Task(
        files=(SourceFile(source, source.name),),
        collection="c",
        identifier="one",
        store_config=StoreConfig(local_root=tmp_path / "store"),
        settings=Settings(max_pixels=50_000_000),
        dry_run=False,
        scratch=tmp_path / "scratch",
    )
