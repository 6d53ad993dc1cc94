"""`ingest.worker.process`: the work of one item, and what it stores."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingest import worker
from ingest.discover import SourceFile
from ingest.errors import ItemError
from ingest.ocr import OcrLimits, available
from repository import LocalStore
from tests.conftest import IN_CI
from tests.unit.support import images
from tests.unit.support.ocr_pages import horizontal_page
from tests.unit.support.tasks import one_file_task


def test_a_photo_is_stored_with_its_derivatives(tmp_path: Path) -> None:
    source = images.jpeg(tmp_path / "photo.jpg", (300, 200))
    result = worker.process(one_file_task(tmp_path, source))
    roles = [entry["role"] for entry in result.files[0].entries]
    assert roles[0] == "original" and "access" in roles and "thumbnail" in roles
    store = LocalStore(tmp_path / "store")
    for entry in result.files[0].entries:
        assert store.stat(entry["key"]) is not None
    assert store.get_bytes(result.files[0].entries[0]["key"]) == source.read_bytes()


def _bytes_read() -> int:
    with open("/proc/self/io") as counters:
        return next(int(line.split()[1]) for line in counters if line.startswith("rchar:"))


def test_a_photo_is_read_from_the_disk_once(tmp_path: Path) -> None:
    """Hashing it, copying it into the store and decoding it share one read (a snapshot), and
    so do hashing and storing each copy made of it: reading the photo three times and each
    copy twice cost a fifth of the ingest's CPU beyond the derivatives."""
    source = images.noisy_jpeg(tmp_path / "photo.jpg", (3000, 2000))
    worker.process(one_file_task(tmp_path, source))  # the libraries' first use, not measured
    again = tmp_path / "again.jpg"
    images.noisy_jpeg(again, (3000, 2000))
    before = _bytes_read()
    result = worker.process(replace(one_file_task(tmp_path, again), identifier="two"))
    read = _bytes_read() - before
    made = sum(e["bytes"] for e in result.files[0].entries if e["role"] != "original")
    original = again.stat().st_size
    # each once, and a few kilobytes besides (the format's signature)
    assert original + made <= read < original + made + 64 * 1024, (read, original, made)


def test_images_beyond_an_items_snapshot_room_are_read_from_the_disk_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item's images are read whole only up to `ITEM_SNAPSHOTS` together: the rest take
    the disk path (hashed, then copied and checked) and are stored the same."""
    first = images.noisy_jpeg(tmp_path / "front.jpg", (600, 400))
    second = images.noisy_jpeg(tmp_path / "back.jpg", (600, 400))
    monkeypatch.setattr(worker, "ITEM_SNAPSHOTS", first.stat().st_size)
    read_whole: list[str] = []
    real_snapshot_of = worker.snapshot_of

    def recording(path: Path, limit: int = worker.SNAPSHOT_MAX) -> Any:
        read_whole.append(f"{path.name} up to {limit}")
        return real_snapshot_of(path, limit)

    monkeypatch.setattr(worker, "snapshot_of", recording)
    both = replace(
        one_file_task(tmp_path, first),
        files=(SourceFile(first, "front.jpg"), SourceFile(second, "back.jpg")),
    )
    result = worker.process(both)
    assert read_whole[:2] == [f"front.jpg up to {first.stat().st_size}", "back.jpg up to 0"]
    store = LocalStore(tmp_path / "store")
    for made, source in zip(result.files, (first, second), strict=True):
        assert store.get_bytes(made.entries[0]["key"]) == source.read_bytes()
        assert {e["role"] for e in made.entries} == {"original", "access", "thumbnail"}


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
        worker.process(one_file_task(tmp_path, source))
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
        worker.process(one_file_task(tmp_path, source))
    assert list(LocalStore(tmp_path / "store").list("blobs/")) == []
    assert list((tmp_path / "store").rglob("b-*")) == []


needs_ocr = pytest.mark.skipif(
    not available() and not IN_CI,  # CI installs them (scripts/system-deps.sh): there it fails
    reason="RapidOCR or Tesseract's _vert models are not installed (scripts/system-deps.sh)",
)
PAGE_1, PAGE_2 = ["蔚县剪纸是传统民间艺术"], ["喜鹊登梅十二生肖"]


def scanned(path: Path) -> Path:
    first, second = horizontal_page(PAGE_1), horizontal_page(PAGE_2)
    first.save(path, "PDF", save_all=True, append_images=[second], resolution=72)
    return path


@needs_ocr
def test_the_worker_reads_a_scanned_documents_pages_and_hands_the_coordinator_the_text(
    tmp_path: Path,
) -> None:
    """OCR runs where the pages were made (any worker of the queue), not in the coordinator."""
    source = scanned(tmp_path / "scan.pdf")
    result = worker.process(
        replace(one_file_task(tmp_path, source), ocr=OcrLimits(), languages=("zh",))
    )
    assert result.ocr_ran and result.ocr is not None
    text = "".join(result.ocr["text"].split())
    assert "喜鹊登梅" in text and "蔚县剪纸" in text
    assert text.index("蔚县剪纸") < text.index("喜鹊登梅")
    assert len(result.ocr["text_pages"]) == 2
    assert [p["page"] for p in result.ocr["ocr"]["pages"]] == [1, 2]
    boxes = LocalStore(tmp_path / "store").get_bytes(result.ocr["file"]["key"])
    assert json.loads(boxes)["pages"].keys() == {"1", "2"}  # the line boxes are stored


def test_ocr_off_or_a_dry_run_reads_nothing(tmp_path: Path) -> None:
    source = scanned(tmp_path / "scan.pdf")
    off = worker.process(one_file_task(tmp_path, source))
    assert not off.ocr_ran and off.ocr is None
    dry = worker.process(replace(one_file_task(tmp_path, source), ocr=OcrLimits(), dry_run=True))
    assert not dry.ocr_ran and dry.ocr is None
