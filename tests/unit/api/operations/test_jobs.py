"""The files a dry-run job keeps for "apply this import": handed over once, dropped when too old
or when too many wait, and on stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.operations import jobs
from api.operations.jobs import JobRunner, Upload
from api.services import Services
from api.settings import Settings


@pytest.fixture
def runner(tmp_path: Path) -> JobRunner:
    settings = Settings(
        data_dir=tmp_path / "data", storage="local", search="sqlite", _env_file=None
    )
    return JobRunner(Services.from_settings(settings))


def kept_upload(root: Path) -> Upload:
    (root / "files").mkdir(parents=True)
    (root / "files" / "a.jpg").write_bytes(b"picture")
    return Upload(root, plain_files=1)


def test_a_preview_is_claimed_once(runner: JobRunner, tmp_path: Path) -> None:
    upload = kept_upload(tmp_path / "p1")
    runner.keep_preview("p1", upload)
    assert runner.preview_kept("p1") is upload
    assert runner.claim_preview("p1") is upload
    assert runner.claim_preview("p1") is None and runner.preview_kept("p1") is None
    assert upload.root.exists()  # the claiming job removes them when it ends


def test_old_and_surplus_previews_are_removed(
    runner: JobRunner, tmp_path: Path, monkeypatch: Any
) -> None:
    uploads = [kept_upload(tmp_path / f"p{n}") for n in range(jobs.KEPT_PREVIEWS + 1)]
    for n, upload in enumerate(uploads):
        runner.keep_preview(f"p{n}", upload)
    assert runner.preview_kept("p0") is None and not uploads[0].root.exists()  # the oldest
    assert runner.preview_kept("p1") is uploads[1]
    clock = jobs.time.monotonic()
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock + jobs.KEEP_PREVIEW + 1)
    assert runner.claim_preview("p1") is None
    assert not any(upload.root.exists() for upload in uploads)
