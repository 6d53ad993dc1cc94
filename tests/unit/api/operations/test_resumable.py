"""Resumable uploads at rest: owners' folders apart, only finished uploads taken (by link, the
scratch copy left until discarded), expired ones swept by their `expires` or, when the sidecar
cannot be read, by their age."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from api.operations.callers import Caller
from api.operations.resumable import (
    KEEP_DAYS,
    discard,
    finished,
    mark_finished,
    owner_folder,
    sweep,
    take,
)
from schemas.errors import InvalidInput

UID = "0123456789abcdef0123456789abcdef"


def upload(folder: Path, uid: str, data: bytes, expires: datetime | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / uid).write_bytes(data)
    info = {"size": len(data), "offset": len(data)}
    if expires is not None:
        info["expires"] = format_datetime(expires, usegmt=True)  # type: ignore[assignment]
    (folder / f"{uid}.info").write_text(json.dumps(info))
    return folder / uid


def test_a_person_and_a_key_have_folders_of_their_own(tmp_path: Path) -> None:
    person = Caller(None, "museum-a", "archivist", user="li.na")
    same_person_other_role = Caller(None, "museum-a", "curator", user="li.na")
    key = Caller("li.na", "museum-a", "archivist")
    folders = {owner_folder(tmp_path, c) for c in (person, key)}
    assert len(folders) == 2 and all(f.parent == tmp_path for f in folders)
    assert owner_folder(tmp_path, same_person_other_role) == owner_folder(tmp_path, person)


def test_only_a_finished_upload_is_taken_and_discard_removes_it(tmp_path: Path) -> None:
    folder = tmp_path / "owner"
    data = upload(folder, UID, b"half", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(InvalidInput, match="not finished"):
        finished(folder, UID)
    with pytest.raises(InvalidInput, match="unknown or expired"):
        finished(folder, "f" * 32)
    with pytest.raises(InvalidInput, match="not an upload id"):
        finished(folder, "../" + UID)
    mark_finished(data, "歌/一.jpg")
    done = finished(folder, UID)
    assert (done.name, done.size) == ("歌/一.jpg", 4)
    target = tmp_path / "job" / "一.jpg"
    target.parent.mkdir()
    take(done, target)
    assert target.read_bytes() == b"half" and data.exists()  # linked, the scratch copy stays
    with pytest.raises(FileExistsError):
        take(done, target)
    discard(folder, UID)
    assert list(folder.iterdir()) == [] and target.read_bytes() == b"half"


def test_sweep_removes_what_expired_and_keeps_the_rest(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old, fresh, broken = "a" * 32, "b" * 32, "c" * 32
    upload(tmp_path / "x", old, b"1", now - timedelta(seconds=1))
    upload(tmp_path / "y", fresh, b"2", now + timedelta(hours=1))
    upload(tmp_path / "y", broken, b"3", None)  # no `expires`: its age decides
    assert sweep(tmp_path, now) == 1
    assert not any((tmp_path / "x").iterdir())
    assert {p.name for p in (tmp_path / "y").iterdir()} >= {fresh, broken}
    aged = time.time() - (KEEP_DAYS * 86400 + 60)
    for path in (tmp_path / "y").glob(f"{broken}*"):
        os.utime(path, (aged, aged))
    assert sweep(tmp_path, now) == 1
    assert {p.name for p in (tmp_path / "y").iterdir()} == {fresh, f"{fresh}.info"}
    assert sweep(tmp_path / "missing") == 0
