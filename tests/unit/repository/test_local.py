"""LocalStore housekeeping: what a killed writer leaves in `.tmp/` goes at the next open."""

from __future__ import annotations

import os
import time
from pathlib import Path

from repository import LocalStore
from repository.local import TEMPORARY_GRACE


def leftover(folder: Path, name: str, age: float) -> Path:
    path = folder / name
    path.write_bytes(b"half a blob")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_opening_removes_old_temporary_files_and_spares_a_running_writers(tmp_path: Path) -> None:
    folder = LocalStore(tmp_path).root / ".tmp"
    killed = leftover(folder, "b-killed", TEMPORARY_GRACE + 60)
    running = leftover(folder, "b-running", TEMPORARY_GRACE - 60)
    (folder / "not-ours").mkdir()

    store = LocalStore(tmp_path)

    assert sorted(p.name for p in folder.iterdir()) == ["b-running", "not-ours"]
    assert running.read_bytes() == b"half a blob" and not killed.exists()
    assert list(store.list("")) == []
