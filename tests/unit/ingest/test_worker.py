"""`ingest.worker.process`: the work of one item, and what it stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest import worker
from ingest.discover import SourceFile
from ingest.errors import ItemError
from ingest.normalize import Settings
from repository import LocalStore, StoreConfig
from tests.unit.support import images


def task(tmp_path: Path, source: Path) -> worker.Task:
    return worker.Task(
        files=(SourceFile(source, source.name),),
        collection="c",
        identifier="one",
        store_config=StoreConfig(local_root=tmp_path / "store"),
        settings=Settings(max_pixels=50_000_000),
        dry_run=False,
        scratch=tmp_path / "scratch",
    )


def test_a_photo_is_stored_with_its_derivatives(tmp_path: Path) -> None:
    source = images.jpeg(tmp_path / "photo.jpg", (300, 200))
    result = worker.process(task(tmp_path, source))
    roles = [entry["role"] for entry in result.files[0].entries]
    assert roles[0] == "original" and "access" in roles and "thumbnail" in roles
    store = LocalStore(tmp_path / "store")
    for entry in result.files[0].entries:
        assert store.stat(entry["key"]) is not None
    assert store.get_bytes(result.files[0].entries[0]["key"]) == source.read_bytes()


def test_a_file_rewritten_after_it_was_hashed_is_refused_and_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashed first, changed before its copy reaches the store: the item fails by name and the
    store holds no blob at all (not the original under either content, no derivative)."""
    source = images.jpeg(tmp_path / "photo.jpg", (300, 200))
    real_entry = worker._original_entry

    def hashed_then_rewritten(*args: Any) -> Any:
        entry = real_entry(*args)
        images.jpeg(source, (302, 200))  # the photographer saved it again meanwhile
        return entry

    monkeypatch.setattr(worker, "_original_entry", hashed_then_rewritten)
    with pytest.raises(ItemError) as caught:
        worker.process(task(tmp_path, source))
    assert str(caught.value).startswith("photo.jpg: the file changed while it was being ingested")
    assert list(LocalStore(tmp_path / "store").list("blobs/")) == []
    assert list((tmp_path / "store").rglob("b-*")) == []  # no staged copy left behind


def test_an_item_whose_derivatives_fail_leaves_no_staged_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = images.jpeg(tmp_path / "photo.jpg", (300, 200))

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise ItemError("photo.jpg", "the decoder gave up")

    monkeypatch.setattr(worker, "normalize", failing)
    with pytest.raises(ItemError):
        worker.process(task(tmp_path, source))
    assert list(LocalStore(tmp_path / "store").list("blobs/")) == []
    assert list((tmp_path / "store").rglob("b-*")) == []
